"""Heads of the self-supervised methods (contrastive, DINO-style, pixel, pretext), one per file;
every module here is imported and exported."""
from eossl.package_modules import export_package_modules

__all__ = export_package_modules(__name__, __path__, globals())
