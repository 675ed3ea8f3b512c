#!/usr/bin/env python
"""Time open-vocabulary semantic segmentation against the bare image tower, in one process, as ratios.

For each segmentor (the trained OVEncoderDecoder with its out-of-vocabulary ensemble, and the training-free
ZeroShotSegmentor) and each vocabulary size (e.g. 150 and 847 classes, ADE20K's), the time of mmseg's ``inference``
per image (what `tools/test.py` runs: forward, mask classification, ensemble, per-pixel class scores at the input
size) is put beside the frozen image tower's own forward at the same input size (``forward_features`` without the
dense outputs). Class embeddings are computed once in a warm-up round and then read from the memory cache, as in a
test run. Models have random weights (speed does not depend on them); rounds alternate between the models, and the
median is reported. The class names are encoded with one prompt template (a test run averages many; the
embeddings are computed once, untimed, either way).

Examples:
    python tools/analysis/benchmark_semseg.py --img 512 --classes 150 847 --rounds 3
    python tools/analysis/benchmark_semseg.py --models ZeroShotSegmentor --classes 150   # one segmentor alone
    python tools/analysis/benchmark_semseg.py --size toy --img 128 --rounds 1     # seconds, the test's setting
"""
import argparse
import os.path as osp
import statistics
import time

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', choices=['full', 'toy'], default='full',
                        help='full: ViT-B/16 and Mask2Former at COCO sizes (configs/_base_/models); toy: the '
                        'quickstart sizes')
    parser.add_argument('--img', type=int, default=512, help='input side in pixels')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--classes', type=int, nargs='+', default=[150, 847], help='vocabulary sizes')
    parser.add_argument('--rounds', type=int, default=3, help='timed rounds (median reported)')
    parser.add_argument('--models', nargs='+', choices=['OVEncoderDecoder', 'ZeroShotSegmentor'],
                        default=['OVEncoderDecoder', 'ZeroShotSegmentor'],
                        help='segmentors to time beside the tower (one alone: no other model\'s large tensors '
                        'are allocated between its rounds)')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch decides)')
    return parser.parse_args(argv)


def build_models(size: str, device):
    """``{name: model}``: the OVEncoderDecoder and the ZeroShotSegmentor on the same frozen towers."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import umgclip_mm  # noqa: F401 (registers the models)
    from umgclip_mm.registry import MODELS
    base = osp.join(REPO, 'configs', '_base_', 'models')
    trained = Config.fromfile(osp.join(base, 'ov_encoder_decoder.py'))
    zero_shot = Config.fromfile(osp.join(base, 'zero_shot_segmentor.py'))
    if size == 'toy':
        toy = Config.fromfile(osp.join(base, 'ov_mask2former_toy.py'))
        trained.merge_from_dict({'model.neck': toy.toy_neck, 'model.decode_head': toy.toy_head,
                                 'model.train_cfg': toy.toy_train_cfg})
        trained.model.clip = trained.umgclip_toy
    trained.model.clip.pop('init_cfg', None)
    trained.model.train_vocab = ['class 0', 'class 1']
    zero_shot.model.clip = trained.model.clip
    zero_shot.model.vocab = ['class 0', 'class 1']
    # one prompt template: the class embeddings are computed once, untimed, and cached whatever their number
    for cfg in (trained, zero_shot):
        cfg.model.vocab_encoder = dict(templates=['a photo of a {}.'])
    init_default_scope('mmseg')
    torch.manual_seed(0)
    models = {'OVEncoderDecoder': MODELS.build(trained.model), 'ZeroShotSegmentor': MODELS.build(zero_shot.model)}
    zero_shot_model = models['ZeroShotSegmentor']
    zero_shot_model.clip = models['OVEncoderDecoder'].clip  # one tower: the same weights under both
    zero_shot_model.vocab_encoder = models['OVEncoderDecoder'].vocab_encoder  # and one cache of class embeddings
    return {k: m.to(device).eval() for k, m in models.items()}


def timed(fn, device) -> float:
    t0 = time.perf_counter()
    fn()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    models = build_models(args.size, device)
    tower = models['OVEncoderDecoder'].clip
    x = torch.randn(args.batch, 3, args.img, args.img, device=device)
    metas = [dict(ori_shape=(args.img, args.img), img_shape=(args.img, args.img), pad_shape=(args.img, args.img),
                  padding_size=[0, 0, 0, 0])] * args.batch
    print(f'{args.size} towers ({type(tower.backbone).__name__}, width {tower.backbone.embed_dims}), {args.img}x'
          f'{args.img} px, batch {args.batch}, {device}, {torch.get_num_threads()} threads, median of {args.rounds}')
    print(f'{"model":<20} {"classes":>7} {"s/image":>9} {"/ tower":>8}')
    with torch.no_grad():
        for num_classes in args.classes:
            vocab = [f'class {i}' for i in range(num_classes)]
            for model in models.values():
                model.set_vocabulary(vocab)
            runs = {'tower': lambda: tower.forward_features(x, with_dense=False)}
            runs.update({name: (lambda m=m: m.inference(x, [dict(meta) for meta in metas]))
                         for name, m in models.items() if name in args.models})
            times = {name: [] for name in runs}
            for rnd in range(args.rounds + 1):  # round 0 warms up (and encodes the class names once)
                for name, fn in runs.items():
                    dt = timed(fn, device)
                    if rnd:
                        times[name].append(dt / args.batch)
            base = statistics.median(times['tower'])
            for name, t in times.items():
                med = statistics.median(t)
                print(f'{name:<20} {num_classes:>7} {med:>9.3f} {med / base:>7.2f}x')


if __name__ == '__main__':
    main()
