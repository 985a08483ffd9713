"""Run ``eossl.cli.visualize_contrastive`` from a checkout; installed, the same command is
``eossl-visualize-contrastive``."""
from eossl.cli.visualize_contrastive import main

if __name__ == '__main__':
    main()
