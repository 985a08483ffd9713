"""Build hook for what pyproject.toml cannot declare: a ``.pth`` file at the site-packages root,
and the console scripts, generated from the command modules of ``eossl/cli`` (each command is
declared once, as its module; see ``eossl/cli/console.py``).

All other metadata lives in pyproject.toml. setuptools copies package files only; the start-up hook
``eossl_config_lookup.pth`` (see ``eossl_config_lookup.py``: plain ``Config.fromfile('eossl::...')``
without ``import eossl``) must sit beside the packages, so ``build_py`` copies it into the build
tree, from where it goes into the wheel's root.
"""
import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = 'eossl_config_lookup.pth'
CONSOLE = Path(__file__).resolve().parent / 'eossl' / 'cli' / 'console.py'


def console_scripts() -> list[str]:
    """``eossl.cli.console.console_scripts()``, read by file path (the build has no torch)."""
    spec = importlib.util.spec_from_file_location('eossl_cli_console', CONSOLE)
    console = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(console)
    return console.console_scripts()


class BuildPyWithPth(build_py):
    """``build_py`` that also places the ``.pth`` start-up hook at the root of the build tree."""

    def run(self) -> None:
        super().run()
        self.copy_file(PTH, str(Path(self.build_lib) / PTH), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / PTH)]


setup(cmdclass={'build_py': BuildPyWithPth},
      entry_points={'console_scripts': console_scripts()})
