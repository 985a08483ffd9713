"""Run ``eossl.cli.pca_features`` from a checkout; installed, the same command is
``eossl-pca-features``."""
from eossl.cli.pca_features import main

if __name__ == '__main__':
    main()
