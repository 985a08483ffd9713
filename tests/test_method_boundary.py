"""The method boundary: no code outside a method's own files names its class or reaches into it.

A method's **own files** (``docs/adding_a_method.md``): every repository file whose path has the
method's ``slug`` as a part delimited by ``/``, ``_``, ``-`` or ``.`` (``configs/pera/…``,
``eossl/parity/pera.py``, ``benchmarks/methods/pera.py``, ``projects/disjoint_softcon/…``),
plus the files its class lists in ``own_files`` (its loss, head and neck modules).

**Code** is every ``.py`` file of the shipped tree (``eossl/``, ``benchmarks/``, ``tools/``,
``configs/``, ``projects/``); ``tests/`` are not scanned, since the tests of generic machinery
use concrete methods as fixtures and a new method never edits them. Docstrings, comments and
prose in strings may name a method; code may not:

- the class name as an identifier (``PerA``, ``eossl.models.PerA``, an import), or as a string
  that is a type reference (``'PerA'``, ``'eossl.PerA'``, ``type='PerA'`` inside a string);
- the method's **private attributes** on a model: an attribute only that algorithm class
  defines (``self.<name> = …`` or a method in its class body, none of the other methods nor the
  base class has it), or any ``_``-prefixed attribute, read directly off an object named
  ``model`` (``model.teacher``, ``runner.model.s1_neck``, ``self.model._masks``; not a part's
  own attribute such as ``model.head.num_classes``); recipe fields read through a config
  (``cfg.model.heads``) are not model attributes. Names that a generic
  hook defines as its protocol (:data:`HOOK_PROTOCOLS`) are not private.
"""
import ast
import inspect
import re
from pathlib import Path

import pytest
from mmengine.config import Config

from eossl.models.selfsup import BaseEOSelfSupervisor, registered_methods, resolve_key
from eossl.models.selfsup.cpu_sizes import CPU_SIZES, apply_cpu_size

REPO = Path(__file__).resolve().parents[1]
SCANNED = ('eossl', 'benchmarks', 'tools', 'configs', 'projects')
# attributes a generic hook asks of any model that has them (the hook documents the protocol)
HOOK_PROTOCOLS = {'update_teacher': 'TeacherEMAHook', 'teacher_temp': 'TeacherTempWarmupHook'}


def own_file(path: str, slug: str, own_files: tuple[str, ...]) -> bool:
    """Whether the repository path ``path`` is one of the method's own files."""
    return path in own_files or re.search(
        rf'(^|[/_\-.]){re.escape(slug)}([/_\-.]|$)', path) is not None


def class_attributes(cls: type) -> set[str]:
    """Attributes ``cls``'s own body defines: ``self.<name> = …`` targets and its methods."""
    tree = ast.parse(inspect.getsource(cls))
    names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
              and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name)
              and n.value.id == 'self'}
    return names


def private_attributes(methods: dict[str, type]) -> dict[str, set[str]]:
    """``{slug: attributes only that method's class defines}`` (see the module doc)."""
    base = set(dir(BaseEOSelfSupervisor))
    defined = {slug: class_attributes(cls) - base for slug, cls in methods.items()}
    return {slug: {name for name in names - set(HOOK_PROTOCOLS) if not name.startswith('__')
                   and not any(name in other for s, other in defined.items() if s != slug)}
            for slug, names in defined.items()}


def _receiver_names(node: ast.expr) -> list[str]:
    """Names along an attribute chain's receiver: ``runner.model.head`` → runner, model, head."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return names[::-1]


def violations(source: str, path: str, cls_name: str, private: set[str]) -> list[str]:
    """Where ``source`` (the code of ``path``) names ``cls_name`` or reaches into a model's
    ``private`` (or ``_``-prefixed) attributes."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                       ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    as_type = re.compile(rf"""(^(eossl\.)?{cls_name}$)|(type\s*=\s*['"](eossl\.)?{cls_name}['"])""")
    found = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, ast.Name) and node.id == cls_name or \
                isinstance(node, ast.alias) and node.name.split('.')[-1] == cls_name:
            what = f'names {cls_name}'
        elif isinstance(node, ast.Attribute) and node.attr == cls_name:
            what = f'names {cls_name}'
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                id(node) not in docstrings and as_type.search(node.value):
            what = f'refers to type {cls_name} in a string'
        elif isinstance(node, ast.Attribute) and (
                node.attr in private or node.attr.startswith('_') and
                not node.attr.startswith('__')):
            chain = _receiver_names(node.value)
            if chain and chain[-1] == 'model' and not any('cfg' in n or 'config' in n
                                                          for n in chain):
                what = f'reaches into {".".join(chain)}.{node.attr}'
        if what:
            found.append(f'{path}:{node.lineno}: {what}')
    return found


def test_no_code_outside_a_methods_own_files_names_it_or_its_private_attributes():
    methods = registered_methods()
    assert len(methods) >= 4  # the shipped four at least, found by their classes
    private = private_attributes(methods)
    files = sorted(p for folder in SCANNED for p in (REPO / folder).rglob('*.py'))
    found = []
    for file in files:
        path = file.relative_to(REPO).as_posix()
        source = file.read_text(encoding='utf-8')
        for slug, cls in methods.items():
            if not own_file(path, slug, cls.own_files):
                found += violations(source, path, cls.__name__, private[slug])
    assert found == [], 'code outside the methods\' own files:\n' + '\n'.join(found)


@pytest.mark.parametrize('code, expected', [
    ('if isinstance(model, PerA): pass', 'names PerA'),
    ('from eossl.models.selfsup.pera import PerA', 'names PerA'),
    ("kind = cfg.model.type == 'PerA'", 'refers to type PerA'),
    ("RECIPE = \"model = dict(type='eossl.PerA')\"", 'refers to type PerA'),
    ('x = runner.model.teacher.module.projector', 'reaches into runner.model.teacher'),
    ('x = self.model._masks(samples, 2, device)', 'reaches into self.model._masks'),
])
def test_the_scan_finds_what_it_forbids(code, expected):
    private = private_attributes(registered_methods())['pera']
    assert [expected in v for v in violations(code, 'x.py', 'PerA', private)] == [True]


@pytest.mark.parametrize('code', [
    '"""PerA\'s teacher is an EMA of the student (a docstring may name it)."""',
    "note = 'the PerA recipes draw 8 local crops'",  # prose, not a type reference
    'value = cfg.model.teacher_temp',  # a recipe field read through a config
    'self.num_local = num_local',  # a transform's own attribute of the same name
    'model.update_teacher(0.99)',  # TeacherEMAHook's protocol
])
def test_the_scan_allows_prose_configs_and_protocols(code):
    private = private_attributes(registered_methods())['pera']
    assert violations(code, 'x.py', 'PerA', private) == []


def test_every_method_declares_its_files_and_recipes():
    for slug, cls in registered_methods().items():
        assert cls.slug == slug and (REPO / 'docs' / 'methods' / f'{slug}.md').is_file(), slug
        missing = [path for path in cls.own_files if not (REPO / path).is_file()]
        assert missing == [], f'{cls.__name__}.own_files lists files that do not exist'
        assert list((REPO / 'configs' / slug).glob('*.py')), f'no recipes in configs/{slug}/'


@pytest.mark.parametrize('size', CPU_SIZES)
def test_every_methods_cpu_sizes_resolve_on_its_recipes(size):
    # every override key of every size names fields and transforms the recipe has
    for slug in registered_methods():
        for recipe in sorted((REPO / 'configs' / slug).glob('*.py')):
            cfg = Config.fromfile(str(recipe))
            notes = apply_cpu_size(cfg, size)
            assert all(isinstance(note, str) for note in notes), recipe


def test_transforms_are_found_by_type_with_errors_naming_the_type():
    cfg = Config.fromfile(str(REPO / 'configs' / 'pera' / 'pera_vits16_s2_200e_ssl4eo.py'))
    pipeline = 'train_dataloader.dataset.pipeline'
    assert resolve_key(cfg, f'{pipeline}.[DisjointMaskGenerator].patch_size') == \
        f'{pipeline}.2.patch_size'
    assert resolve_key(cfg, f'{pipeline}.[AlignedMultiViews].local_crop.size') == \
        f'{pipeline}.1.local_crop.size'
    with pytest.raises(KeyError, match='expected one EORandomCrop under '
                                       'train_dataloader.dataset.pipeline, found 0'):
        resolve_key(cfg, f'{pipeline}.[EORandomCrop].size')
    with pytest.raises(KeyError, match='expected one EORandomResizedCrop .* found 2'):
        resolve_key(cfg, f'{pipeline}.[EORandomResizedCrop].size')
