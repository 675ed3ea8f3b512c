"""What a checkpoint holds (UMG-CLIP pretraining towers, a trained task model, published CLIP weights) and the
command that fits it, for the message when a checkpoint does not fit the model of a config."""
from typing import Dict, List, Mapping, Optional, Sequence

import torch

#: Top-level keys of a UMG-CLIP pretraining model (``UMGCLIP``): its two towers and the temperature.
PRETRAINING_PREFIXES = ('backbone', 'text_encoder', 'logit_scale')
#: Keys of a task model's heads, by the model type that has them (for the message).
TASK_HEADS = (('rpn_head.', 'OVTwoStageDetector (detection)'), ('panoptic_head.', 'OVMask2Former (panoptic)'),
              ('decode_head.', 'OVEncoderDecoder (semantic segmentation)'),
              ('head.', 'a zero-shot classifier or retriever'))


def checkpoint_kind(state: Mapping[str, torch.Tensor]) -> str:
    """What a state dict holds, from its keys.

    Args:
        state (Mapping[str, Tensor]): A checkpoint's ``state_dict``.

    Returns:
        str: ``'pretraining'`` (a UMG-CLIP pretraining model: ``backbone.*``, ``text_encoder.*``, ``logit_scale``),
        ``'task'`` (an open-vocabulary task model: its frozen UMG-CLIP under ``clip.*`` and its heads),
        ``'published'`` (OpenAI / open_clip / Hugging Face / EVA-CLIP weights, not converted), or ``'unknown'``.
    """
    keys = list(state)
    if any(k.startswith('clip.') for k in keys):
        return 'task'
    if keys and all(k.split('.')[0] in PRETRAINING_PREFIXES for k in keys):
        return 'pretraining'
    from umgclip_mm.converters import detect_layout
    try:
        detect_layout(state)
    except ValueError:
        return 'unknown'
    return 'published'


def model_kind(model: torch.nn.Module) -> str:
    """``'task'`` for an open-vocabulary task model (it holds a frozen UMG-CLIP as ``model.clip``), ``'pretraining'``
    for a UMG-CLIP (both towers at its top level), else ``'other'``."""
    if isinstance(getattr(model, 'clip', None), torch.nn.Module):
        return 'task'
    if all(isinstance(getattr(model, name, None), torch.nn.Module) for name in ('backbone', 'text_encoder')):
        return 'pretraining'
    return 'other'


def task_model_name(state: Mapping[str, torch.Tensor]) -> Optional[str]:
    """The task model a ``'task'`` state dict comes from, from its heads' keys (``None`` when unknown)."""
    for prefix, name in TASK_HEADS:
        if any(k.startswith(prefix) for k in state):
            return name
    return None


def mismatch_hint(model: torch.nn.Module, state: Mapping[str, torch.Tensor], checkpoint: str) -> str:
    """What to do when ``checkpoint`` (its ``state``) does not load into ``model``: one or two sentences naming what
    the checkpoint is and the command that takes it.

    Args:
        model (nn.Module): The model of the config.
        state (Mapping[str, Tensor]): The checkpoint's state dict.
        checkpoint (str): Its path, for the commands.

    Returns:
        str: The hint (no leading newline).
    """
    have, want = checkpoint_kind(state), model_kind(model)
    if have == 'pretraining' and want == 'task':
        return (f'{checkpoint} is a UMG-CLIP pretraining checkpoint: it holds the towers only, not this task '
                f'model\'s heads. Train the task model from it (python tools/train.py CONFIG --cfg-options '
                f'model.clip.init_cfg.checkpoint={checkpoint}) and test the checkpoint that writes; a training-free '
                f'config (configs/zeroshot/*, configs/quickstart/semseg_zeroshot_synthetic.py) takes it as it is.')
    if have == 'task' and want == 'pretraining':
        name = task_model_name(state)
        return (f'{checkpoint} is the checkpoint of a trained task model ({name or "an open-vocabulary task model"}: '
                f'its UMG-CLIP under clip.*, plus its heads), not of UMG-CLIP pretraining. Test it with its task '
                f'config (python tools/test.py TASK_CONFIG {checkpoint}); pretraining starts from a pretraining '
                f'checkpoint (work_dirs/<pretraining config>/iter_*.pth) or from published CLIP weights converted '
                f'by tools/model_converters/clip2umgclip.py.')
    if have == 'published':
        return (f'{checkpoint} holds published CLIP weights in their own layout: convert them first with python '
                f'tools/model_converters/clip2umgclip.py {checkpoint} checkpoints/clip_converted.pth --save-config '
                f'(it writes the matching config too).')
    if have == 'task' and want == 'task':
        name = task_model_name(state)
        return (f'{checkpoint} is a task checkpoint' + (f' of {name}' if name else '') + ' trained with another '
                'config (another model, tower size or head): give it the config it was trained with (the run\'s '
                'work_dirs folder keeps a copy of it).')
    return ('Was it converted for another architecture? tools/model_converters/clip2umgclip.py --save-config writes '
            'the matching config.')


def unfilled_parts(model: torch.nn.Module, missing_keys: Sequence[str]) -> List[str]:
    """The parts of ``model`` that a non-strict load (mmengine's ``load_from``, ``--resume``, ``tools/test.py``'s
    checkpoint) left entirely at their initial weights.

    Args:
        model (nn.Module): The model loaded into (not a wrapper).
        missing_keys (Sequence[str]): The model's keys the checkpoint did not have (``num_batches_tracked``
            ignored, as mmengine does).

    Returns:
        list[str]: ``['']`` when none of the model's weights came from the checkpoint; else the names of the
        top-level parts with weights (``decode_head``, ``panoptic_head``, ...) none of whose weights did; ``[]``
        when every part got some.
    """
    missing = {k for k in missing_keys if 'num_batches_tracked' not in k}
    own = [k for k in model.state_dict() if 'num_batches_tracked' not in k]
    if not own or not missing:
        return []
    if all(k in missing for k in own):
        return ['']
    parts: Dict[str, List[str]] = {}
    for key in own:
        parts.setdefault(key.split('.')[0], []).append(key)
    return [name for name, keys in parts.items() if '.' in keys[0] and all(k in missing for k in keys)]
