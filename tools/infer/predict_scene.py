"""Run ``eossl.cli.predict_scene`` from a checkout; installed, the same command is
``eossl-predict-scene``."""
from eossl.cli.predict_scene import main

if __name__ == '__main__':
    main()
