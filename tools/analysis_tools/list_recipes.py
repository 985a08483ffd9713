"""Run ``eossl.cli.list_recipes`` from a checkout; installed, the same command is
``eossl-list-recipes``."""
from eossl.cli.list_recipes import main

if __name__ == '__main__':
    main()
