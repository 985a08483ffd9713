"""eossl registries: children of mmengine's root registries under the scope ``eossl``.

Because each registry has an mmengine parent and lazy ``locations``, a config can say
``type='eossl.X'`` from inside an mmseg or mmpretrain recipe, and ``type='mmpretrain.X'`` from an
eossl recipe; importing ``eossl`` alone is enough to register every eossl component.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'LOOPS', 'HOOKS', 'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
    'WEIGHT_INITIALIZERS', 'METRICS', 'EVALUATOR', 'VISUALIZERS', 'VISBACKENDS', 'FUNCTIONS'
]


def _child(name: str, parent: Registry, *locations: str) -> Registry:
    """A registry of scope ``eossl`` whose modules are imported lazily from ``locations``."""
    return Registry(name, parent=parent, scope='eossl', locations=list(locations))


RUNNERS = _child('runner', MMENGINE_RUNNERS, 'eossl.engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'eossl.engine')
HOOKS = _child('hook', MMENGINE_HOOKS, 'eossl.engine', 'eossl.checkpoints')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'eossl.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, 'eossl.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, 'eossl.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS, 'eossl.engine')
DATASETS = _child('dataset', MMENGINE_DATASETS, 'eossl.datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, 'eossl.datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, 'eossl.datasets.transforms')
MODELS = _child('model', MMENGINE_MODELS, 'eossl.models')
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, 'eossl.compat')
WEIGHT_INITIALIZERS = _child('weight initializer', MMENGINE_WEIGHT_INITIALIZERS, 'eossl.models')
METRICS = _child('metric', MMENGINE_METRICS, 'eossl.evaluation')
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, 'eossl.evaluation')
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, 'eossl.visualization')
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, 'eossl.visualization')
# callables named in configs, e.g. FSDP wrap policies: type='eossl.transformer_block_wrap_policy'
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, 'eossl.engine')
