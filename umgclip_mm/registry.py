"""Registries of umgclip_mm, children of mmengine's root registries (scope ``umgclip_mm``).

A config whose default scope is another toolbox names our parts with the prefix (``type='umgclip_mm.UMGCLIPViT'``
inside an mmdet config); a config whose default scope is ours names toolbox parts with theirs
(``type='mmdet.Mask2FormerHead'``). ``locations`` make every registry import its modules lazily, so a build by name
works with nothing but ``custom_imports=dict(imports=['umgclip_mm'])`` or even with only the scope prefix.
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
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'LOOPS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
    'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'FUNCTIONS', 'STRATEGIES'
]

RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, scope='umgclip_mm')
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope='umgclip_mm', locations=['umgclip_mm.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope='umgclip_mm', locations=['umgclip_mm.engine'])

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope='umgclip_mm', locations=['umgclip_mm.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS, scope='umgclip_mm',
                         locations=['umgclip_mm.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, scope='umgclip_mm', locations=['umgclip_mm.datasets'])

MODELS = Registry('model', parent=MMENGINE_MODELS, scope='umgclip_mm', locations=['umgclip_mm.models'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, scope='umgclip_mm')
TASK_UTILS = Registry(
    'task util', parent=MMENGINE_TASK_UTILS, scope='umgclip_mm', locations=['umgclip_mm.models'])

OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, scope='umgclip_mm')
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope='umgclip_mm',
                          locations=['umgclip_mm.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, scope='umgclip_mm')
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, scope='umgclip_mm')

METRICS = Registry('metric', parent=MMENGINE_METRICS, scope='umgclip_mm', locations=['umgclip_mm.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, scope='umgclip_mm')

VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, scope='umgclip_mm',
                       locations=['umgclip_mm.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, scope='umgclip_mm')
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, scope='umgclip_mm', locations=['umgclip_mm.engine'])
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES, scope='umgclip_mm', locations=['umgclip_mm.engine'])
