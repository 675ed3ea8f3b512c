"""Build a model from a config and a checkpoint."""
import logging
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_state_dict

from umgclip_mm.registry import MODELS
from umgclip_mm.utils import load_checkpoint_file


def load_model_weights(model: torch.nn.Module, checkpoint: str, strict: bool = True) -> None:
    """Load the ``state_dict`` of a checkpoint file into ``model`` (weights-only unpickling, then mmengine's
    ``load_state_dict``).

    Args:
        model (nn.Module): The model.
        checkpoint (str): Path of an mmengine checkpoint (``{'state_dict': ...}``) or of a bare state dict.
        strict (bool): Refuse missing, unexpected or mis-shaped keys, listing them (else log them and load the
            rest).
    """
    ckpt = load_checkpoint_file(checkpoint)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{checkpoint!r} holds no state dict (found {type(ckpt).__name__})')
    try:
        load_state_dict(model, state, strict=strict, logger='current')
    except RuntimeError as err:
        # mmengine's message: a header, one line per mis-shaped key, one line listing the unexpected keys and one
        # the missing keys. Keep the key lists and six mis-shaped keys, each line cut at 300 characters.
        lines = [line for line in str(err).splitlines()[1:] if line]
        shapes = [line for line in lines if line.startswith('size mismatch')]
        shown = [line for line in lines if line not in shapes] + shapes[:6]
        shown = [line if len(line) <= 300 else line[:300] + ' ...' for line in shown]
        more = f'\n({len(shapes) - 6} more size mismatches)' if len(shapes) > 6 else ''
        raise KeyError(f'{checkpoint!r} does not match the model of the config:\n' + '\n'.join(shown) + more +
                       '\nWas it converted for another architecture? tools/model_converters/clip2umgclip.py '
                       '--save-config writes the matching config.') from err


def init_model(config: Union[str, Config, dict],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of a config, load a checkpoint into it, and return it in eval mode.

    Args:
        config (str | Config | dict): Config file path or object; its ``model`` entry is built.
        checkpoint (str, optional): Checkpoint path. ``None`` keeps the random (or ``init_cfg``) weights; mmengine's
            per-parameter initialisation report is not logged then (warnings still are).
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
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.WARNING)
        try:
            model.init_weights()
        finally:
            logger.setLevel(level)
    else:
        load_model_weights(model, checkpoint)
    model.cfg = config
    return model.to(device).eval()
