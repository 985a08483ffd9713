"""Engine parts: hooks, the FSDP wrap policy and the command-line rules of tools/."""
from . import fsdp, hooks  # noqa: F401  (importing registers the hooks and the wrap policy)
