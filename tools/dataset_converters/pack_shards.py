"""Run ``eossl.cli.pack_shards`` from a checkout; installed, the same command is
``eossl-pack-shards``."""
from eossl.cli.pack_shards import main

if __name__ == '__main__':
    main()
