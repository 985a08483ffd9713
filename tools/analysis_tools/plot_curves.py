"""Run ``eossl.cli.plot_curves`` from a checkout; installed, the same command is
``eossl-plot-curves``."""
from eossl.cli.plot_curves import main

if __name__ == '__main__':
    main()
