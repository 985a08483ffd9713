"""Write tests/data/parity/*.npz from the official repositories; see eossl.cli.parity_references."""
from eossl.cli.parity_references import main

if __name__ == '__main__':
    main()
