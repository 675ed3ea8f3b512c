#!/usr/bin/env python
"""Print the quickstart's result tables (the ones in README.md) from the logs of its runs.

`make quickstart` writes, under work_dirs/: quickstart (pretraining, all six terms), quickstart_panoptic (open-
vocabulary panoptic segmentation, out-of-vocabulary branch on), quickstart_semseg (semantic segmentation, mmseg's
runner), quickstart_semseg_zeroshot (the training-free segmentor), quickstart_panoptic_semantic (the panoptic
checkpoint's semantic output) and quickstart_detection (detection, mmdet's runner).
The tables compare each with an ablation, which --run-ablations runs when its logs are missing (about 4 minutes on
2 cores):

- pretraining with the region and mask loss weights at 0 (work_dirs/quickstart_image_only);
- the panoptic, semantic and detection checkpoints evaluated with the out-of-vocabulary branch off
  (work_dirs/quickstart_panoptic_off, quickstart_semseg_off, quickstart_detection_off).

A table whose runs are missing says so (the three task families are independent).

Every figure printed is read from a log; nothing is typed in. `make quickstart-report` runs both steps.

Examples:
    python tools/analysis/quickstart_report.py --run-ablations
    python tools/analysis/quickstart_report.py --work-root work_dirs
"""
import argparse
import glob
import json
import os.path as osp
import re
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRETRAIN = 'configs/quickstart/pretrain_synthetic.py'
PANOPTIC = 'configs/quickstart/panoptic_synthetic.py'
SEMSEG = 'configs/quickstart/semseg_synthetic.py'
SEMSEG_ZEROSHOT = 'configs/quickstart/semseg_zeroshot_synthetic.py'
PANOPTIC_SEMANTIC = 'configs/quickstart/panoptic_semantic_synthetic.py'
DETECTION = 'configs/quickstart/detection_synthetic.py'
LEVELS = ('image', 'region', 'mask')
TERMS = [f'loss_{lv}_{k}' for lv in LEVELS for k in ('caption', 'tag')]
NO_REGION_MASK = [f'model.loss_{lv}_{k}.loss_weight=0' for lv in ('region', 'mask') for k in ('caption', 'tag')]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-root', default='work_dirs', help='where the quickstart wrote its runs')
    parser.add_argument('--run-ablations', action='store_true', help='run the ablations whose logs are missing')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='passed to the ablation runs (e.g. data roots)')
    return parser.parse_args(argv)


def last_log(work_dir: str) -> str:
    """Text of the newest mmengine log in ``work_dir`` ('' when there is none)."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.log')))
    return open(logs[-1], encoding='utf-8').read() if logs else ''


def logged(text: str, key: str) -> float:
    """The last value of ``key`` in an mmengine log, or NaN."""
    found = re.findall(re.escape(key) + r': (-?[\d.]+)', text)
    return float(found[-1]) if found else float('nan')


def loss_rows(work_dir: str) -> list:
    """Training rows of mmengine's scalars.json (the ones with losses)."""
    rows = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path, encoding='utf-8') as f:
            rows += [r for r in map(json.loads, f) if any(k.startswith('loss') for k in r)]
    return rows


def run(*args) -> None:
    print('[quickstart_report] ' + ' '.join(args), file=sys.stderr)
    subprocess.run([sys.executable, *args], cwd=REPO, check=True)


def pretraining_table(full: str, ablation: str) -> str:
    text_full, text_abl = last_log(full), last_log(ablation)

    def cells(text):
        if not text:
            return ['not run (--run-ablations)'] * len(LEVELS)
        return [f"{logged(text, f'retrieval/{lv}_top1'):.1f}% ({logged(text, f'retrieval/{lv}_top5'):.1f}%)"
                for lv in LEVELS]

    lines = ['| run | images | regions | masks |', '| --- | --- | --- | --- |',
             '| all six terms | ' + ' | '.join(cells(text_full)) + ' |',
             '| region and mask weights 0 | ' + ' | '.join(cells(text_abl)) + ' |',
             '| chance | ' + ' | '.join(f"{logged(text_full, f'retrieval/{lv}_chance'):.1f}%" for lv in LEVELS) + ' |']
    rows = loss_rows(full)
    if rows:
        falls = ', '.join(f'{t[5:].replace("_", " ")} {rows[0][t]:.2f} -> {rows[-1][t]:.2f}' for t in TERMS
                          if t in rows[0])
        lines.append(f'\nLosses, first logged iteration ({rows[0].get("iter")}) -> last ({rows[-1].get("iter")}): '
                     f'{falls}.')
    return '\n'.join(lines)


def panoptic_table(on: str, off: str) -> str:
    lines = ['| run | PQ (all 13) | PQ things / stuff | PQ / SQ / RQ seen (10) | PQ / SQ / RQ unseen (3) |',
             '| --- | --- | --- | --- | --- |']
    for name, text in (('branch on (FC-CLIP ensemble)', last_log(on)), ('branch off (`model.ensemble=None`)',
                                                                          last_log(off))):
        if not text:
            lines.append(f'| {name} | not run (--run-ablations) | | | |')
            continue
        split = ['{:.1f} / {:.1f} / {:.1f}'.format(*(logged(text, f'coco_panoptic/{m}_{s}') for m in ('PQ', 'SQ', 'RQ')))
                 for s in ('seen', 'unseen')]
        lines.append(f"| {name} | {logged(text, 'coco_panoptic/PQ'):.1f} | {logged(text, 'coco_panoptic/PQ_th'):.1f} "
                     f"/ {logged(text, 'coco_panoptic/PQ_st'):.1f} | {split[0]} | {split[1]} |")
    return '\n'.join(lines)


def semantic_table(runs) -> str:
    """mIoU rows of the semantic runs ``[(name, work_dir), ...]``."""
    lines = ['| model | mIoU (all 13) | mIoU seen (10) | mIoU unseen (3) | harmonic mean |',
             '| --- | --- | --- | --- | --- |']
    for name, work_dir in runs:
        text = last_log(work_dir)
        if not text:
            lines.append(f'| {name} | not run | | | |')
            continue
        lines.append(f'| {name} | ' + ' | '.join(f'{logged(text, k):.1f}' for k in ('mIoU', 'mIoU_seen', 'mIoU_unseen',
                                                                                     'hIoU')) + ' |')
    return '\n'.join(lines)


def detection_table(on: str, off: str) -> str:
    lines = ['| run | box AP50 seen (6) | box AP50 unseen (star, hexagon) | box AP (all 8) |', '| --- | --- | --- | --- |']
    for name, text in (('region score on (F-VLM ensemble)', last_log(on)),
                       ('region score off (`model.ensemble=None`)', last_log(off))):
        if not text:
            lines.append(f'| {name} | not run | | |')
            continue
        lines.append(f"| {name} | {100 * logged(text, 'coco/base_ap50'):.1f} | "
                     f"{100 * logged(text, 'coco/novel_ap50'):.1f} | {100 * logged(text, 'coco/bbox_mAP'):.1f} |")
    return '\n'.join(lines)


def newest_checkpoint(work_dir: str) -> str:
    ckpts = sorted(glob.glob(osp.join(work_dir, 'iter_*.pth')), key=lambda p: int(re.findall(r'\d+', p)[-1]))
    if not ckpts:
        raise SystemExit(f'no checkpoint in {work_dir}')
    return ckpts[-1]


def main(argv=None):
    args = parse_args(argv)
    root = args.work_root
    full, ablation = osp.join(root, 'quickstart'), osp.join(root, 'quickstart_image_only')
    pan, pan_off = osp.join(root, 'quickstart_panoptic'), osp.join(root, 'quickstart_panoptic_off')
    semseg, semseg_off = osp.join(root, 'quickstart_semseg'), osp.join(root, 'quickstart_semseg_off')
    det, det_off = osp.join(root, 'quickstart_detection'), osp.join(root, 'quickstart_detection_off')
    for needed in (full, pan):
        if not last_log(needed):
            raise SystemExit(f'no log in {needed}: run `make quickstart` first (or pass --work-root)')
    if args.run_ablations:
        if not last_log(ablation):
            run('tools/train.py', PRETRAIN, '--work-dir', ablation, '--cfg-options', *args.cfg_options,
                *NO_REGION_MASK)
        for config, work_dir, off in ((PANOPTIC, pan, pan_off), (SEMSEG, semseg, semseg_off),
                                      (DETECTION, det, det_off)):
            if last_log(work_dir) and not last_log(off):
                run('tools/test.py', config, newest_checkpoint(work_dir), '--work-dir', off, '--cfg-options',
                    *args.cfg_options, 'model.ensemble=None')
    print('Pretraining (tools/train.py ' + PRETRAIN + '): held-out retrieval, top-1 (top-5)\n')
    print(pretraining_table(full, ablation))
    print('\nOpen-vocabulary panoptic segmentation (tools/train.py ' + PANOPTIC + '): PQ on the held-out scenes\n')
    print(panoptic_table(pan, pan_off))
    print(f'\nOpen-vocabulary semantic segmentation: mIoU on the held-out scenes (tools/train.py {SEMSEG}; tools/test.py '
          f'{SEMSEG_ZEROSHOT} and {PANOPTIC_SEMANTIC})\n')
    print(semantic_table([('OVEncoderDecoder, trained on the seen classes, branch on', semseg),
                          ('OVEncoderDecoder, branch off (`model.ensemble=None`)', semseg_off),
                          ('panoptic checkpoint, semantic output (FC-CLIP protocol)',
                           osp.join(root, 'quickstart_panoptic_semantic')),
                          ('ZeroShotSegmentor (training-free, nothing trained)',
                           osp.join(root, 'quickstart_semseg_zeroshot'))]))
    print(f'\nOpen-vocabulary detection (tools/train.py {DETECTION}): box AP50 on the held-out scenes\n')
    print(detection_table(det, det_off))


if __name__ == '__main__':
    main()
