#!/usr/bin/env python
r"""Convert published CLIP weights into a UMGCLIP checkpoint.

Reads (detecting the format itself) an OpenAI CLIP state dict or TorchScript archive, an open_clip state dict
(.pt/.pth/.bin/.safetensors; ViT towers, and the EVA02 towers of open_clip's EVA02-* models), the original EVA-CLIP
release (EVA02_CLIP_*_psz14_s4B.pt), or a Hugging Face CLIPModel folder (config.json + safetensors or bin), infers
the architecture from the weights (the published EVA02 towers B/16, L/14, L/14@336, E/14 by their sizes), and
writes an mmengine checkpoint that `umgclip_mm.apis.init_model(cfg, DST)` loads with no missing or unexpected keys.

Examples:
    python tools/model_converters/clip2umgclip.py ViT-B-16.pt checkpoints/clip_vit-b16_openai.pth \
        --save-config work_dirs/vitb16_openai.py
    python tools/model_converters/clip2umgclip.py EVA02_CLIP_L_psz14_s4B.pt checkpoints/clip_eva02-l14_merged2b.pth
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.logging import print_log


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='source weights: a file, or a Hugging Face CLIPModel folder')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument('--vision-heads', type=int, help='image-tower attention heads (default: config.json, '
                        'else width // 64 as in every published CLIP ViT)')
    parser.add_argument('--text-heads', type=int, help='text-tower attention heads (default as --vision-heads)')
    parser.add_argument('--act', choices=['quick_gelu', 'gelu'],
                        help="MLP activation; weights cannot tell it. Default: config.json's hidden_act, else "
                        "quick_gelu (OpenAI's releases). open_clip LAION/DataComp weights need --act gelu")
    parser.add_argument('--save-config', metavar='PATH', help='also write a config file that builds the model')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from umgclip_mm.converters import convert_clip, save_config
    ckpt, model_cfg = convert_clip(args.src, args.vision_heads, args.text_heads, args.act)
    meta = ckpt['meta']
    if args.act is None and meta['source_layout'] == 'openai' and meta['source_storage'] != 'torchscript':
        print_log('the activation was not given and cannot be read from the weights: assuming quick_gelu '
                  "(OpenAI's CLIP). Pass --act gelu for open_clip weights trained with GELU (LAION, DataComp).",
                  logger='current', level=30)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(ckpt, args.dst)
    v, t = model_cfg['backbone'], model_cfg['text_encoder']
    if v['type'].endswith('EVA02CLIPViT'):
        image = f"EVA02 tower {v['arch'] if isinstance(v['arch'], str) else 'custom ' + str(v['arch'])} at " \
                f"{v['img_size']}px"
    else:
        image = f"ViT patch {v['patch_size']} at {v['img_size']}px, width {v['embed_dims']}, {v['num_layers']} " \
                f"layers, {v['num_heads']} heads"
    print_log(f"converted {args.src} ({meta['source_layout']} layout, {meta['source_storage']}) -> {args.dst}: "
              f"image tower {image}; text tower width {t['embed_dims']}, {t['num_layers']} layers, "
              f"{t['num_heads']} heads, context {t['context_length']}; joint dim {v['output_dims']}; "
              f"text act {t['act']}", logger='current')
    if args.save_config:
        save_config(model_cfg, args.save_config)
        print_log(f'config written to {args.save_config}', logger='current')


if __name__ == '__main__':
    main()
