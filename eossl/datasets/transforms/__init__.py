"""Band-safe data transforms for any number of bands: loading, geometric, photometric,
masking and packing (each registered in ``eossl.registry.TRANSFORMS``); every module here is
imported and exported, so a new transform is a new file."""
from eossl.package_modules import export_package_modules

__all__ = export_package_modules(__name__, __path__, globals())
