"""What every source-format converter shares: key renaming by table, and reading a block count off the keys."""
import re
from typing import Dict, Optional

import torch

StateDict = Dict[str, torch.Tensor]

# Keys that carry no weights (buffers recomputed by the model, or constants).
IGNORED = re.compile(r'(^|\.)(position_ids|attn_mask|input_resolution|context_length|vocab_size)$')


def rename(key: str, table: Dict[str, str]) -> Optional[str]:
    """Apply the first entry of ``table`` that is ``key`` itself or a dotted prefix of it (None if none is)."""
    for src, dst in table.items():
        if key == src or key.startswith(src + '.'):
            return dst + key[len(src):]
    return None


def num_layers(state: StateDict, prefix: str) -> int:
    """Number of blocks ``prefix0.``, ``prefix1.``, ... in ``state``; an error if none or not a complete run."""
    ids = {int(m.group(1)) for k in state for m in [re.match(re.escape(prefix) + r'(\d+)\.', k)] if m}
    if not ids or ids != set(range(len(ids))):
        raise KeyError(f'no complete run of blocks {prefix}0.. in the weights')
    return len(ids)
