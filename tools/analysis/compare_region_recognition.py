#!/usr/bin/env python
r"""Compare two (or more) checkpoints on the same zero-shot recognition test: one config, the same images, boxes
and masks, each checkpoint evaluated in turn by mmengine's Runner; prints every metric side by side with the
difference to the first, per class too (ZeroShotRecognitionMetric's per_class), and optionally writes them as JSON.

Any UMG-CLIP checkpoint of the config's towers works: ours, or published weights converted by
tools/model_converters/clip2umgclip.py.

Examples:
    python tools/analysis/compare_region_recognition.py configs/zeroshot/umgclip-eva02-l14_zeroshot-region_coco.py \
        checkpoints/clip_eva02-l14_merged2b.pth checkpoints/umgclip_eva02-l14_umg41m.pth --names EVA02-CLIP UMG-CLIP
    python tools/analysis/compare_region_recognition.py configs/quickstart/zeroshot_synthetic.py \
        work_dirs/quickstart_image_only/iter_600.pth work_dirs/quickstart/iter_600.pth --names image-only UMG-CLIP
"""
import argparse
import copy
import json
import os.path as osp


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='a zero-shot recognition config (configs/zeroshot/*region*, quickstart)')
    parser.add_argument('checkpoints', nargs='+', help='two or more checkpoints to compare (the first is the base)')
    parser.add_argument('--names', nargs='+', help='a column name per checkpoint (default: the file names)')
    parser.add_argument('--work-dir', default='work_dirs/compare_region_recognition',
                        help='logs go to WORK_DIR/NAME')
    parser.add_argument('--out', help='write {name: metrics} to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config entries (key=value)')
    args = parser.parse_args(argv)
    if len(args.checkpoints) < 2:
        parser.error('give at least two checkpoints to compare')
    args.names = args.names or [osp.splitext(osp.basename(c))[0] for c in args.checkpoints]
    if len(args.names) != len(args.checkpoints) or len(set(args.names)) != len(args.names):
        parser.error(f'--names: {len(args.checkpoints)} distinct names needed, got {args.names}')
    return args


def evaluate(cfg, name: str, checkpoint: str, work_dir: str) -> dict:
    """The test metrics of one checkpoint under ``cfg``."""
    from mmengine.runner import Runner
    cfg = copy.deepcopy(cfg)
    cfg.update(load_from=checkpoint, work_dir=osp.join(work_dir, name), experiment_name=f'compare_{name}')
    return Runner.from_cfg(cfg).test()


def table(results: dict) -> str:
    """Metric rows, a column per checkpoint and the difference of each to the first."""
    names = list(results)
    keys = list(dict.fromkeys(k for m in results.values() for k in m))
    width = max([len(k) for k in keys] + [6])
    head = f'{"metric":<{width}}' + ''.join(f'{n:>14}' for n in names)
    head += ''.join(f'{n + " - " + names[0]:>{max(14, len(n) + len(names[0]) + 5)}}' for n in names[1:])
    lines = [head]
    for key in keys:
        vals = [results[n].get(key) for n in names]
        row = f'{key:<{width}}' + ''.join(f'{v:>14.2f}' if v is not None else f'{"-":>14}' for v in vals)
        for n, v in zip(names[1:], vals[1:]):
            w = max(14, len(n) + len(names[0]) + 5)
            row += f'{v - vals[0]:>+{w}.2f}' if v is not None and vals[0] is not None else f'{"-":>{w}}'
        lines.append(row)
    return '\n'.join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    import umgclip_mm  # noqa: F401  (registers the checkpoint allow-list)
    from mmengine.config import Config

    from umgclip_mm.apis.launch import check_data_exist
    for ckpt in args.checkpoints:
        if not osp.isfile(ckpt):
            raise SystemExit(f'checkpoint {ckpt} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
    for evaluator in evaluators:
        if str(evaluator.get('type', '')).endswith('ZeroShotRecognitionMetric'):
            evaluator['per_class'] = True
    check_data_exist(cfg, ['test_dataloader'])
    results = {name: evaluate(cfg, name, ckpt, args.work_dir) for name, ckpt in zip(args.names, args.checkpoints)}
    print(table(results))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
