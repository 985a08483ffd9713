"""Run ``eossl.cli.softcon_to_eossl`` from a checkout; installed, the same command is
``eossl-softcon-to-eossl``."""
from eossl.cli.softcon_to_eossl import main

if __name__ == '__main__':
    main()
