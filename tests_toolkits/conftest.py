"""The toolkit tests run against the installed eossl wheel, with the checkout off ``sys.path``;
the one test helper they share with ``tests/`` (``tests/tiny_checkpoints.py``, not part of the
wheel) is loaded by file path as the module ``tiny_checkpoints``."""
import importlib.util
import sys
from pathlib import Path

_HELPER = Path(__file__).resolve().parents[1] / 'tests' / 'tiny_checkpoints.py'
_spec = importlib.util.spec_from_file_location('tiny_checkpoints', _HELPER)
assert _spec is not None and _spec.loader is not None, _HELPER
sys.modules['tiny_checkpoints'] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sys.modules['tiny_checkpoints'])
