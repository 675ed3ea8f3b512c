#!/usr/bin/env python
"""Fill the text-embedding cache ahead of time: encode a config's vocabularies (or shipped class lists) with a
checkpoint's text tower, so that tools/test.py, tools/train.py, the demos and the web page read them from disk.

Large vocabularies cost minutes on a CPU (ADE-847 with CLIP's 80 templates: 847 classes, about 2,000 names, 160,000
prompts); each (text-tower weights, classes, templates) is encoded once per machine and kept in the config's
``model.vocab_encoder.cache_dir``: by default the shared ``$UMGCLIP_CACHE_DIR/text_embeddings`` (without the
variable ``~/.cache/umgclip_mm/text_embeddings``), which every config and tool reads. The templates are the
config's, so the files written are the ones the config looks up.

Examples:
    python tools/analysis/encode_vocabulary.py \\
        configs/ov_semseg/ov-semseg_umgclip-vit-b16_8xb2-80k_coco-stuff2ade20k-847.py work_dirs/semseg/iter_80000.pth
    python tools/analysis/encode_vocabulary.py CONFIG CKPT --class-list ade20k_847 pascal_context_459
    python tools/analysis/encode_vocabulary.py CONFIG CKPT --class-list lvis_v1_base_866 --device cuda

Prints one line per vocabulary (classes, prompts, seconds, the cache file) and, for long ones, progress lines with
an estimate of the time left. Exit status 1 with a message for a missing file, a checkpoint that does not fit the
config, a config without an open-vocabulary model or an unknown class list.
"""
import argparse
import os.path as osp
import time
from typing import List, Optional

from mmengine.config import DictAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config of an open-vocabulary model (its vocab_encoder gives the templates '
                        'and the cache folder)')
    parser.add_argument('checkpoint', help='checkpoint whose text tower encodes (the cache is keyed by its weights)')
    parser.add_argument('--class-list', nargs='+', metavar='NAME',
                        help='shipped class lists to encode instead of the config\'s train and test vocabularies '
                        '(ade20k_150, ade20k_847, pascal_context_59, pascal_context_459, pascal_voc_20, '
                        'lvis_v1_base_866, ...)')
    parser.add_argument('--cache-dir', help='cache folder (default: the config\'s model.vocab_encoder.cache_dir)')
    parser.add_argument('--device', default='cpu', help='device of the text tower (cpu, cuda)')
    parser.add_argument('--log-interval', type=float, default=15.0, metavar='SECONDS',
                        help='seconds between progress lines (default 15)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args(argv)


def config_vocabularies(model) -> List[tuple]:
    """``(label, vocabulary)`` of a task model's train and test vocabularies (once when they are the same)."""
    found = []
    for label in ('train_vocab', 'test_vocab'):
        vocab = getattr(model, label, None)
        if vocab is not None and all(vocab != v for _, v in found):
            found.append((label, vocab))
    return found


def main(argv: Optional[List[str]] = None) -> List[dict]:
    args = parse_args(argv)
    from mmengine.logging import MMLogger

    from umgclip_mm.apis import init_model
    from umgclip_mm.vocabulary import available_class_lists, build_vocabulary
    if not MMLogger.check_instance_created('encode_vocabulary'):
        MMLogger.get_instance('encode_vocabulary', log_level='INFO')  # the progress lines go to the console
    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            raise SystemExit(f'{path} does not exist')
    unknown = sorted(set(args.class_list or []) - set(available_class_lists()))
    if unknown:
        raise SystemExit(f'--class-list: no shipped class list {", ".join(unknown)}; available: '
                         f'{", ".join(available_class_lists())}')
    try:
        model = init_model(args.config, args.checkpoint, cfg_options=args.cfg_options, device=args.device)
    except (ValueError, KeyError, FileNotFoundError) as err:
        raise SystemExit(str(err))
    encoder = getattr(model, 'vocab_encoder', None)
    if encoder is None or getattr(model, 'clip', None) is None:
        raise SystemExit(f'{args.config}: its model ({type(model).__name__}) encodes no vocabulary; give the config '
                         f'of an open-vocabulary model (configs/ov_semseg, configs/ov_mask2former, configs/fvlm, '
                         f'configs/zeroshot)')
    if args.cache_dir:
        encoder.cache_dir = osp.expanduser(args.cache_dir)
    if not encoder.cache_dir:
        raise SystemExit(f'{args.config}: model.vocab_encoder.cache_dir is None (memory only), so nothing would be '
                         f'kept: give --cache-dir DIR or drop the setting (the default is the shared cache)')
    encoder.log_interval = args.log_interval
    vocabularies = ([(name, build_vocabulary(dict(class_list=name))) for name in args.class_list]
                    if args.class_list else config_vocabularies(model))
    print(f'{len(vocabularies)} vocabularies x {len(encoder.templates)} templates, cache {encoder.cache_dir}')
    rows = []
    for label, vocab in vocabularies:
        path = encoder.cache_file(model.clip, vocab)
        before = encoder.num_encoded
        t0 = time.perf_counter()
        encoder(model.clip, vocab)
        seconds = time.perf_counter() - t0
        encoded = encoder.num_encoded - before
        state = f'encoded {encoded} prompts in {seconds:.1f} s' if encoded else 'already cached'
        print(f'{label}: {len(vocab)} classes, {state} -> {path}')
        rows.append(dict(vocabulary=label, classes=len(vocab), encoded=encoded, seconds=seconds, file=path))
    return rows


if __name__ == '__main__':
    main()
