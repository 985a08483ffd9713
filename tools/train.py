"""Run ``eossl.cli.train`` from a checkout; installed, the same command is ``eossl-train``."""
import os

# numpy's OpenBLAS reads this when it loads: one thread per DataLoader worker (see eossl.cli.train).
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

from eossl.cli.train import main  # noqa: E402

if __name__ == '__main__':
    main()
