"""Run ``eossl.cli.compute_band_stats`` from a checkout; installed, the same command is
``eossl-compute-band-stats``."""
from eossl.cli.compute_band_stats import main

if __name__ == '__main__':
    main()
