"""Command-line recipe overrides that mmengine's ``--cfg-options`` cannot express.

- :class:`LiteralDictAction`: ``--cfg-options`` whose values may be Python literals, including
  dicts and lists of dicts: ``'model.head=dict(type="X", in_channels=32)'`` or
  ``'vis_backends=[dict(type="TensorboardVisBackend")]'`` (mmengine's ``DictAction`` recurses
  forever on the first and raises ``TypeError`` on the second). Values that are not literals
  are parsed by ``DictAction`` as before (``a=1,2`` → ``[1, 2]``, ``a=text`` → ``'text'``).
- :func:`merge_cfg_file`: ``--cfg-file override.py``: an mmengine config whose fields are
  merged into the recipe (nested dicts merge, ``_delete_=True`` replaces).
- :func:`load_recipe`: a recipe file with ``--cfg-options`` merged, as every tool reads it.
- :func:`enable_tensorboard`: ``--tensorboard``: add mmengine's TensorBoard backend next to the
  recipe's own backends (needs the ``tensorboard`` extra).
"""
import argparse
import ast
import importlib.util
from typing import Any

from mmengine.config import Config, DictAction


def _literal(node: ast.AST) -> Any:
    """Evaluate a literal, ``dict(k=v, ...)`` included; anything else is a ``ValueError``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'dict':
        if node.args or any(k.arg is None for k in node.keywords):
            raise ValueError('dict(...) takes keyword arguments only')
        return {k.arg: _literal(k.value) for k in node.keywords}
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(v) for v in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    return ast.literal_eval(node)


def parse_value(text: str) -> Any:
    """A ``--cfg-options`` value: a Python literal (``dict(...)`` allowed) when it is one,
    else mmengine's ``DictAction`` parsing."""
    try:
        value = _literal(ast.parse(text.strip(), mode='eval').body)
    except (SyntaxError, ValueError, TypeError):
        return DictAction._parse_iterable(text)
    # a bare ``1,2`` is a list, as DictAction reads it; ``(1, 2)`` stays a tuple
    return list(value) if isinstance(value, tuple) and not text.strip().startswith('(') else value


class LiteralDictAction(argparse.Action):
    """``KEY=VALUE ...`` → ``{KEY: parse_value(VALUE)}`` (see the module docstring)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        options = dict(getattr(namespace, self.dest, None) or {})
        for item in values:
            key, sep, value = item.partition('=')
            if not sep:
                parser.error(f'{option_string} {item!r}: expected KEY=VALUE')
            options[key] = parse_value(value)
        setattr(namespace, self.dest, options)


def add_cfg_options(parser: argparse.ArgumentParser) -> None:
    """``--cfg-options KEY=VALUE ...``, parsed by :class:`LiteralDictAction`: the one declaration
    every eossl command that reads a recipe uses (a test checks that none declares its own)."""
    parser.add_argument('--cfg-options', nargs='+', action=LiteralDictAction,
                        help='override recipe fields: KEY=VALUE, VALUE a Python literal '
                        "(dicts too: 'model.head=dict(type=\"X\")') or as mmengine parses it")


def add_override_arguments(parser: argparse.ArgumentParser) -> None:
    """``--cfg-options``, ``--cfg-file`` and ``--tensorboard``, shared by train and test."""
    add_cfg_options(parser)
    parser.add_argument('--cfg-file', action='append', default=[],
                        help='merge this config file (.py/.yaml/.json) into the recipe; '
                        'repeatable, applied before --cfg-options')
    parser.add_argument('--tensorboard', action='store_true',
                        help="also log to TensorBoard (<work_dir>/<timestamp>/vis_data); needs "
                        "pip install 'eossl[tensorboard]'")


def load_recipe(path: str, cfg_options: dict | None = None) -> Config:
    """The recipe at ``path`` (a file or ``eossl::name``) with ``cfg_options`` merged into it."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def merge_cfg_file(cfg: Config, path: str) -> Config:
    """Merge the fields of the config file ``path`` into ``cfg`` (in place)."""
    override = Config.fromfile(path)
    cfg.merge_from_dict(override.to_dict())
    return cfg


def enable_tensorboard(cfg: Config) -> Config:
    """Add ``TensorboardVisBackend`` to the recipe's visualizer (in place)."""
    if importlib.util.find_spec('tensorboard') is None:
        raise ImportError("--tensorboard: the tensorboard package is not installed; "
                          "pip install 'eossl[tensorboard]' (or pip install tensorboard)")
    visualizer = cfg.setdefault('visualizer', dict(type='mmengine.Visualizer'))
    backends = list(visualizer.get('vis_backends') or [dict(type='LocalVisBackend')])
    if not any('Tensorboard' in str(b.get('type')) for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer['vis_backends'] = backends
    return cfg


def apply_overrides(cfg: Config, args: argparse.Namespace) -> dict | None:
    """Apply ``--cfg-file`` and ``--tensorboard`` to ``cfg``; return the ``--cfg-options``
    (merged last, by :func:`eossl.cli.launch.runner_config.merge_cli_args`)."""
    for path in args.cfg_file:
        merge_cfg_file(cfg, path)
    if args.tensorboard:
        enable_tensorboard(cfg)
    return args.cfg_options
