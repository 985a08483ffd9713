"""Run ``eossl.cli.knn_probe`` from a checkout; installed, the same command is
``eossl-knn-probe``."""
from eossl.cli.knn_probe import main

if __name__ == '__main__':
    main()
