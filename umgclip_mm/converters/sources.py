"""Reading published weights off disk: state dict files (pickle, safetensors), OpenAI's TorchScript archives, and
Hugging Face folders (single or sharded)."""
import json
import os.path as osp
import zipfile
from typing import Tuple

import torch

from umgclip_mm.utils import load_checkpoint_file
from .common import StateDict


def _is_torchscript(path: str) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(name.split('/', 1)[-1].startswith('code/') for name in zf.namelist())


def _load_state_file(path: str) -> Tuple[StateDict, str]:
    """State dict of one file and how it was stored (``safetensors``, ``torchscript`` or ``pickle``)."""
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path), 'safetensors'
    if _is_torchscript(path):
        # OpenAI's release archives. TorchScript deserialisation restores a scripted module (tensors and TorchScript
        # code, which is only compiled, never run here), not arbitrary Python objects; we keep nothing but its
        # tensors.
        return {k: v.detach().clone() for k, v in torch.jit.load(path, map_location='cpu').state_dict().items()}, \
            'torchscript'
    ckpt = load_checkpoint_file(path)
    for key in ('state_dict', 'model', 'module'):
        if isinstance(ckpt, dict) and isinstance(ckpt.get(key), dict):
            ckpt = ckpt[key]
            break
    if not isinstance(ckpt, dict):
        raise ValueError(f'{path!r} holds a {type(ckpt).__name__}, not a state dict')
    return ckpt, 'pickle'


def _load_hf_folder(src: str, info: dict) -> StateDict:
    cfg_path = osp.join(src, 'config.json')
    if not osp.isfile(cfg_path):
        raise FileNotFoundError(f'{src!r} is a folder but has no config.json: a Hugging Face CLIPModel folder '
                                'holds config.json and model.safetensors or pytorch_model.bin')
    with open(cfg_path, encoding='utf-8') as f:
        info['hf_config'] = json.load(f)
    files = [n for n in ('model.safetensors', 'pytorch_model.bin') if osp.isfile(osp.join(src, n))]
    index = [n for n in ('model.safetensors.index.json', 'pytorch_model.bin.index.json')
             if osp.isfile(osp.join(src, n))]
    if files:
        state, info['storage'] = _load_state_file(osp.join(src, files[0]))
        return state
    if not index:
        raise FileNotFoundError(f'{src!r} has config.json but no model.safetensors, pytorch_model.bin or '
                                'a *.index.json of shards')
    with open(osp.join(src, index[0]), encoding='utf-8') as f:
        shards = sorted(set(json.load(f)['weight_map'].values()))
    state = {}
    for shard in shards:
        part, info['storage'] = _load_state_file(osp.join(src, shard))
        state.update(part)
    return state


def load_source(src: str) -> Tuple[StateDict, dict]:
    """Read the weights of ``src`` (file or Hugging Face folder).

    Args:
        src (str): A state dict file, OpenAI TorchScript archive, or Hugging Face ``CLIPModel`` folder.

    Returns:
        tuple: the state dict (``module.`` prefixes removed) and a dict of facts about the source: ``storage``,
        and for Hugging Face folders ``hf_config`` (the parsed ``config.json``).
    """
    if not osp.exists(src):
        raise FileNotFoundError(f'no such file or folder: {src!r}')
    info = {}
    if osp.isdir(src):
        state = _load_hf_folder(src, info)
    else:
        state, info['storage'] = _load_state_file(src)
    state = {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in state.items()}
    return state, info
