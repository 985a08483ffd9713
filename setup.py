"""Build hook for what pyproject.toml cannot declare: a ``.pth`` file at the site-packages root.

All metadata lives in pyproject.toml. setuptools copies package files only; the start-up hook
``eossl_config_lookup.pth`` (see ``eossl_config_lookup.py``: plain ``Config.fromfile('eossl::...')``
without ``import eossl``) must sit beside the packages, so ``build_py`` copies it into the build
tree, from where it goes into the wheel's root.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = 'eossl_config_lookup.pth'


class BuildPyWithPth(build_py):
    """``build_py`` that also places the ``.pth`` start-up hook at the root of the build tree."""

    def run(self) -> None:
        super().run()
        self.copy_file(PTH, str(Path(self.build_lib) / PTH), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / PTH)]


setup(cmdclass={'build_py': BuildPyWithPth})
