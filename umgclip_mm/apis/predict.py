"""What the inferencers predict with: the config's test pipeline without annotation loading, the autocast context of
a compute dtype, and the prediction's tensors back in fp32."""
import contextlib
import copy
from typing import List

import torch
from mmengine.config import Config

from .exceptions import InputError

#: ``--dtype`` choices: the compute dtype of autocast (``fp16`` on CUDA only).
DTYPES = ('fp32', 'bf16', 'fp16')


def inference_pipeline(cfg: Config) -> List[dict]:
    """The config's test pipeline (``test_dataloader.dataset.pipeline``, else ``test_pipeline``) without its
    annotation loading."""
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
    pipeline = (loader.get('dataset') or {}).get('pipeline') or cfg.get('test_pipeline')
    if not pipeline:
        raise InputError('the config has no test pipeline (test_dataloader.dataset.pipeline or test_pipeline) to '
                         'prepare the image with')
    return [copy.deepcopy(t) for t in pipeline if 'Annotations' not in str(t.get('type', ''))]


def autocast_context(device, dtype: str = 'fp32'):
    """The context a prediction runs in for ``--dtype``: nothing for ``'fp32'``; ``torch.autocast`` with bfloat16
    (``'bf16'``, CPU or CUDA) or float16 (``'fp16'``, CUDA only) otherwise: matrix products and convolutions in the
    low precision, reductions and the rest in fp32, as ``--amp`` trains.

    Raises:
        InputError: An unknown dtype, or ``'fp16'`` on the CPU (which computes it slower than fp32, if at all).
    """
    if dtype not in DTYPES:
        raise InputError(f'--dtype {dtype}: use one of {", ".join(DTYPES)}')
    if dtype == 'fp32':
        return contextlib.nullcontext()
    kind = torch.device(device).type
    if dtype == 'fp16' and kind != 'cuda':
        raise InputError('--dtype fp16 needs a CUDA device (--device cuda); on the CPU use --dtype bf16')
    return torch.autocast(kind, dtype=torch.bfloat16 if dtype == 'bf16' else torch.float16)


def to_float32(sample):
    """``sample`` (a data sample, in place) with every bfloat16 / float16 tensor of its data fields made float32, so
    an autocast prediction converts to numpy and JSON as an fp32 one does."""
    from mmengine.structures import BaseDataElement
    for key in list(sample.keys()):
        value = sample.get(key)
        if isinstance(value, BaseDataElement):
            to_float32(value)
        elif isinstance(value, torch.Tensor) and value.dtype in (torch.bfloat16, torch.float16):
            sample.set_field(value.float(), key)
    return sample
