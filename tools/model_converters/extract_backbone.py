"""Run ``eossl.cli.extract_backbone`` from a checkout; installed, the same command is
``eossl-extract-backbone``."""
from eossl.cli.extract_backbone import main

if __name__ == '__main__':
    main()
