"""OpenAI's CLIP and open_clip's ``CLIP`` / ``CustomTextCLIP`` layout (``visual.conv1.weight``,
``transformer.resblocks.*``, ``text_projection``) -> UMGCLIP keys. open_clip's EVA02 models keep their text tower
in this layout too."""
import re
from collections import OrderedDict

from .common import IGNORED, StateDict, rename

# Per-block renames shared by both towers: OpenAI/open_clip name -> ours.
OPENAI_BLOCK = {
    'ln_1': 'norm1', 'ln_2': 'norm2', 'attn.in_proj_weight': 'attn.qkv.weight', 'attn.in_proj_bias': 'attn.qkv.bias',
    'attn.out_proj': 'attn.proj', 'mlp.c_fc': 'mlp.fc1', 'mlp.c_proj': 'mlp.fc2'
}
OPENAI_TOP = {
    'visual.conv1.weight': 'backbone.patch_embed.weight', 'visual.class_embedding': 'backbone.cls_token',
    'visual.positional_embedding': 'backbone.pos_embed', 'visual.ln_pre': 'backbone.pre_norm',
    'visual.ln_post': 'backbone.post_norm', 'visual.proj': 'backbone.proj',
    'token_embedding.weight': 'text_encoder.token_embedding.weight', 'positional_embedding': 'text_encoder.pos_embed',
    'ln_final': 'text_encoder.final_norm', 'text_projection': 'text_encoder.proj', 'logit_scale': 'logit_scale'
}


def convert_openai(state: StateDict) -> StateDict:
    """Rename an OpenAI / open_clip state dict into UMGCLIP keys (an error names any key with no counterpart)."""
    out = OrderedDict()
    for key, value in state.items():
        if key.startswith('text.'):  # open_clip CustomTextCLIP keeps the text tower under 'text.'
            key = key[len('text.'):]
        if IGNORED.search(key):
            continue
        if key == 'text_projection.weight':  # open_clip's Linear text projection: [out, in]
            out['text_encoder.proj'] = value.t().contiguous()
            continue
        m = re.match(r'(visual\.)?transformer\.resblocks\.(\d+)\.(.+)', key)
        if m:
            tower = 'backbone' if m.group(1) else 'text_encoder'
            rest = rename(m.group(3), OPENAI_BLOCK)
            if rest is None:
                raise KeyError(f'unsupported block parameter {key!r} (layer scale or other non-CLIP block?)')
            out[f'{tower}.transformer.layers.{m.group(2)}.{rest}'] = value
            continue
        new = rename(key, OPENAI_TOP)
        if new is None:
            raise KeyError(f'unsupported parameter {key!r} for a CLIP ViT (e.g. text_projection bias, '
                           'attentional pooling, SigLIP logit_bias)')
        out[new] = value
    return out
