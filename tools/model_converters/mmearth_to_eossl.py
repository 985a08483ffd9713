"""Run ``eossl.cli.mmearth_to_eossl`` from a checkout; installed, the same command is
``eossl-mmearth-to-eossl``."""
from eossl.cli.mmearth_to_eossl import main

if __name__ == '__main__':
    main()
