"""Run ``eossl.cli.print_config`` from a checkout; installed, the same command is
``eossl-print-config``."""
from eossl.cli.print_config import main

if __name__ == '__main__':
    main()
