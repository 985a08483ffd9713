"""Run ``eossl.cli.visualize_pera`` from a checkout; installed, the same command is
``eossl-visualize-pera``."""
from eossl.cli.visualize_pera import main

if __name__ == '__main__':
    main()
