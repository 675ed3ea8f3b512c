"""Build a model from a config and a checkpoint."""
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from umgclip_mm.registry import MODELS
from umgclip_mm.utils import load_checkpoint_file


def load_model_weights(model: torch.nn.Module, checkpoint: str, strict: bool = True) -> None:
    """Load the ``state_dict`` of a checkpoint file into ``model`` (weights-only unpickling).

    Args:
        model (nn.Module): The model.
        checkpoint (str): Path of an mmengine checkpoint (``{'state_dict': ...}``) or of a bare state dict.
        strict (bool): Refuse missing or unexpected keys, listing them.
    """
    ckpt = load_checkpoint_file(checkpoint)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{checkpoint!r} holds no state dict (found {type(ckpt).__name__})')
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}' for k in own
                  if k in state and state[k].shape != own[k].shape]
    if strict and (missing or unexpected or mismatched):

        def head(keys):
            return f'{keys[:6]}{" ..." if len(keys) > 6 else ""} ({len(keys)})'

        raise KeyError(f'{checkpoint!r} does not match the model of the config: missing keys {head(missing)}, '
                       f'unexpected keys {head(unexpected)}, shape mismatches (checkpoint vs model) '
                       f'{head(mismatched)}. Was it converted for another architecture? '
                       'tools/model_converters/clip2umgclip.py --save-config writes the matching config.')
    model.load_state_dict({k: v for k, v in state.items() if k in own and v.shape == own[k].shape}, strict=False)


def init_model(config: Union[str, Config, dict],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of a config, load a checkpoint into it, and return it in eval mode.

    Args:
        config (str | Config | dict): Config file path or object; its ``model`` entry is built.
        checkpoint (str, optional): Checkpoint path. ``None`` keeps the random (or ``init_cfg``) weights.
        device (str | torch.device): Device of the returned model.
        cfg_options (dict, optional): Overrides merged into the config (``mmengine`` dotted keys).

    Returns:
        nn.Module: The model, in eval mode.
    """
    if isinstance(config, str):
        config = Config.fromfile(config)
    elif isinstance(config, dict) and not isinstance(config, Config):
        config = Config(config)
    if cfg_options:
        config.merge_from_dict(cfg_options)
    init_default_scope(config.get('default_scope', 'umgclip_mm'))
    model = MODELS.build(config.model)
    if checkpoint is None:
        model.init_weights()
    else:
        load_model_weights(model, checkpoint)
    model.cfg = config
    return model.to(device).eval()
