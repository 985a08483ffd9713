"""Process-wide setup helpers, and the output-path helper every command uses."""
import datetime
import os
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every eossl component into its registry and optionally make ``eossl`` the scope.

    Args:
        init_default_scope: set the current default scope to ``eossl`` so that unprefixed
            ``type=`` names in a config resolve to eossl first (then to mmengine's roots).
    """
    import eossl.datasets  # noqa: F401
    import eossl.engine  # noqa: F401
    import eossl.evaluation  # noqa: F401
    import eossl.models  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('eossl'):
        DefaultScope.get_instance('eossl', scope_name='eossl')
    elif current.scope_name != 'eossl':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "eossl"; '
                      'a new default scope named "eossl" is created for eossl components.',
                      stacklevel=2)
        name = f'eossl-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='eossl')


def ensure_parent_dir(path: str | os.PathLike) -> str:
    """Create the folder ``path`` will be written into (a no-op when it exists) and return
    ``path`` as a string, so that a tool asked to write ``checkpoints/x.pth`` on a fresh clone
    does not stop with "Parent directory checkpoints does not exist"."""
    parent = os.path.dirname(os.fspath(path))
    if parent:
        os.makedirs(parent, exist_ok=True)
    return os.fspath(path)
