"""Run ``eossl.cli.visualize_mpmae`` from a checkout; installed, the same command is
``eossl-visualize-mpmae``."""
from eossl.cli.visualize_mpmae import main

if __name__ == '__main__':
    main()
