"""Run ``eossl.cli.bigearthnet_example`` from a checkout; installed, the same command is
``eossl-bigearthnet-example``."""
from eossl.cli.bigearthnet_example import main

if __name__ == '__main__':
    main()
