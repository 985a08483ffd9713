"""Self-supervised algorithms, one per file (each a ``BaseEOSelfSupervisor`` subclass with its
``slug``); every module here is imported and exported, so a new method is a new file."""
from eossl.package_modules import export_package_modules

__all__ = export_package_modules(__name__, __path__, globals())
