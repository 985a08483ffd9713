"""Run ``eossl.cli.fit_wavelength_stem`` from a checkout."""
from eossl.cli.fit_wavelength_stem import main

if __name__ == '__main__':
    main()
