#!/usr/bin/env python
"""Time the zero-shot class embeddings: encoding a vocabulary x templates with the text tower, against loading them
from the shared cache (VocabularyEncoder's disk cache, then its memory cache), side by side in one process.

By default: ImageNet-1k's 1000 classes (CLIP's curated names) x CLIP's 80 ImageNet templates (80,000 prompts) on
the toy text tower of configs/_base_/models/umgclip_towers.py (random weights unless --checkpoint). The cache lives
in a temporary folder (or --cache-dir, emptied of nothing: a warm cache there makes the first row a load too).

Example (the figure of configs/zeroshot/README.md):
    python tools/analysis/benchmark_class_embeds.py --tower umgclip_toy --rounds 3
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time

import torch

TOWERS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs', '_base_', 'models',
                  'umgclip_towers.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--tower', default='umgclip_toy', help='tower-pair variable of umgclip_towers.py')
    parser.add_argument('--checkpoint', help='UMG-CLIP checkpoint to load (default: random weights)')
    parser.add_argument('--classes', type=int, default=1000, help='the first N ImageNet classes')
    parser.add_argument('--templates', type=int, default=80, help="the first N of CLIP's 80 templates")
    parser.add_argument('--rounds', type=int, default=3, help='timed loads (median reported)')
    parser.add_argument('--batch-size', type=int, default=256, help='prompts per text-tower call')
    parser.add_argument('--cache-dir', help='cache folder (default: a temporary one)')
    parser.add_argument('--threads', type=int, help='torch threads (default: torch\'s)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    from mmengine.config import Config

    from umgclip_mm.apis.inference import load_model_weights
    from umgclip_mm.models.open_vocab import VocabularyEncoder
    from umgclip_mm.registry import MODELS
    from umgclip_mm.vocabulary import Vocabulary
    from umgclip_mm.vocabulary.imagenet_templates import openai_imagenet_templates, openai_imagenet_vocabulary
    if args.threads:
        torch.set_num_threads(args.threads)
    towers = Config.fromfile(TOWERS)
    if args.tower not in towers:
        raise SystemExit(f'--tower {args.tower}: not a variable of {TOWERS}; one of '
                         f'{sorted(k for k in towers if k.startswith("umgclip"))}')
    torch.manual_seed(0)
    clip = MODELS.build(towers[args.tower]).eval()
    if args.checkpoint:
        load_model_weights(clip, args.checkpoint)
    full = openai_imagenet_vocabulary()
    vocab = Vocabulary(full.synonyms[:args.classes], min(args.classes, len(full)))
    templates = openai_imagenet_templates()[:args.templates]
    text_params = sum(p.numel() for p in clip.text_encoder.parameters()) / 1e6
    print(f'{args.tower}: text tower {text_params:.2f}M parameters; {len(vocab)} classes x {len(templates)} '
          f'templates = {len(vocab) * len(templates)} prompts; {torch.get_num_threads()} threads')
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = args.cache_dir or tmp
        encoder = VocabularyEncoder(templates=templates, cache_dir=cache_dir, batch_size=args.batch_size)
        start = time.perf_counter()
        embeds = encoder(clip, vocab)
        encode_s = time.perf_counter() - start
        disk, memory = [], []
        for _ in range(args.rounds):
            fresh = VocabularyEncoder(templates=templates, cache_dir=cache_dir)  # a new run: disk cache only
            start = time.perf_counter()
            loaded = fresh(clip, vocab)
            disk.append(time.perf_counter() - start)
            start = time.perf_counter()
            fresh(clip, vocab)
            memory.append(time.perf_counter() - start)
            if fresh.num_encoded or not torch.equal(loaded, embeds):
                raise RuntimeError('the cache did not return the encoded class embeddings')
    disk_s, memory_s = statistics.median(disk), statistics.median(memory)
    print(f'{"class embeddings":<28}{"seconds":>12}{"speed-up":>12}')
    print(f'{"encoded (text tower)":<28}{encode_s:>12.3f}{"":>12}')
    print(f'{"loaded from the disk cache":<28}{disk_s:>12.4f}{encode_s / disk_s:>11.0f}x')
    print(f'{"from the memory cache":<28}{memory_s:>12.4f}{encode_s / memory_s:>11.0f}x')
    print(f'class embeddings {tuple(embeds.shape)}, {encoder.num_encoded} prompts encoded once; disk and memory loads '
          f'are the median of {args.rounds}')


if __name__ == '__main__':
    main()
