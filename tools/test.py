"""Run ``eossl.cli.test`` from a checkout; installed, the same command is ``eossl-test``."""
from eossl.cli.test import main

if __name__ == '__main__':
    main()
