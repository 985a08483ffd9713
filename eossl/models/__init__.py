from . import backbones, heads, losses, necks, selfsup  # noqa: F401
from . import data_preprocessors  # noqa: F401
from . import classifiers  # noqa: F401
