"""Run ``eossl.cli.eossl_to_softcon`` from a checkout; installed, the same command is
``eossl-eossl-to-softcon``."""
from eossl.cli.eossl_to_softcon import main

if __name__ == '__main__':
    main()
