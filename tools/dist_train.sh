#!/usr/bin/env bash
# Train on NPROC processes per node with torchrun:
#   tools/dist_train.sh CONFIG NPROC [train.py options]
# Several nodes: run it on every node with NNODES, NODE_RANK, MASTER_ADDR (and PORT) set the same.
# MAX_RESTARTS=N: restart the process group up to N times when a process dies; a restarted group
# resumes from the newest intact checkpoint. On a machine without CUDA the processes use gloo.
# The same command as the installed `eossl-dist-train` (eossl/cli/dist_train.py).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$HERE/..:${PYTHONPATH:-}" exec python -m eossl.cli.dist_train "$@"
