"""eossl's command-line tools, one module per installed command (``eossl-train`` → ``train``).

Each module has ``main(argv=None)``; the scripts under ``tools/`` are thin wrappers of the same
functions, so a checkout and an installed wheel run identical code.
"""
