#!/usr/bin/env python
r"""Print the quickstart's result tables (the ones in README.md) from the logs of its runs.

`make quickstart` writes, under work_dirs/: quickstart (pretraining, all six terms), quickstart_panoptic (open-
vocabulary panoptic segmentation, the ensemble on), quickstart_semseg (semantic segmentation, mmseg's
runner), quickstart_semseg_zeroshot (the training-free segmentor), quickstart_panoptic_semantic (the panoptic
checkpoint's semantic output), quickstart_detection (detection, mmdet's runner) and quickstart_zeroshot(_retrieval)
(zero-shot recognition and retrieval with the pretrained towers).
The tables compare each with an ablation, which --run-ablations runs when its logs are missing (about 4 minutes on
2 cores):

- pretraining with the region and mask loss weights at 0 (work_dirs/quickstart_image_only), and its zero-shot
  recognition and retrieval (quickstart_zeroshot_image_only, quickstart_zeroshot_retrieval_image_only);
- the panoptic, semantic and detection checkpoints evaluated with the ensemble off
  (work_dirs/quickstart_panoptic_off, quickstart_semseg_off, quickstart_detection_off).

A table whose runs are missing says so (the three task families are independent).

Every figure printed is read from a log; nothing is typed in. `make quickstart-report` runs both steps.

The same tables, each with the logs its figures come from, go to a results page (--out, default
WORK_ROOT/quickstart/results.md) with a figure per held-out scene (four scenes showing unseen classes, in
WORK_ROOT/quickstart/results/): the image, the toy world's ground-truth panoptic PNG and the panoptic checkpoint's
prediction side by side, drawn as the demos draw (OVDetLocalVisualizer, the same colours). A missing checkpoint or data set is named on the
page with the command that makes it.

--step runs one of the quickstart's commands quietly (what the Makefile does for each run): its whole output goes to
WORK_DIR/console.log (mmengine's own log is WORK_DIR/<timestamp>/<timestamp>.log), the console keeps a line per run,
mmengine's one-line messages (progress, checkpoints, evaluations, warnings) and any traceback; on failure the tail of
the output. mmengine 0.10 has no setting for this: `log_level` sets the console's and the log file's level alike.

Examples:
    python tools/analysis/quickstart_report.py --run-ablations
    python tools/analysis/quickstart_report.py --work-root work_dirs --out /tmp/results.md
    python tools/analysis/quickstart_report.py --step tools/train.py configs/quickstart/pretrain_synthetic.py \
        --work-dir work_dirs/quickstart
"""
import argparse
import collections
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
import warnings

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRETRAIN = 'configs/quickstart/pretrain_synthetic.py'
PANOPTIC = 'configs/quickstart/panoptic_synthetic.py'
SEMSEG = 'configs/quickstart/semseg_synthetic.py'
SEMSEG_ZEROSHOT = 'configs/quickstart/semseg_zeroshot_synthetic.py'
PANOPTIC_SEMANTIC = 'configs/quickstart/panoptic_semantic_synthetic.py'
DETECTION = 'configs/quickstart/detection_synthetic.py'
ZEROSHOT = 'configs/quickstart/zeroshot_synthetic.py'
ZEROSHOT_RETRIEVAL = 'configs/quickstart/zeroshot_retrieval_synthetic.py'
LEVELS = ('image', 'region', 'mask')
TERMS = [f'loss_{lv}_{k}' for lv in LEVELS for k in ('caption', 'tag')]
NO_REGION_MASK = [f'model.loss_{lv}_{k}.loss_weight=0' for lv in ('region', 'mask') for k in ('caption', 'tag')]
NUM_SCENES = 4
SCALE = 3  # the toy world's 128-px scenes drawn at 384 px, so that the class labels can be read
# mmengine's log records: "11/25 06:54:30 - mmengine - INFO - message"; other lines continue the record before them
RECORD = re.compile(r'^\d\d/\d\d \d\d:\d\d:\d\d - \S+ - (DEBUG|INFO|WARNING|ERROR|CRITICAL) - (.*)$')
# one-line INFO records of the runner's set-up, for the log file only
NOISE = ('paramwise_options --', 'Distributed training is not used', 'Checkpoints will be saved to')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-root', default='work_dirs', help='where the quickstart wrote its runs')
    parser.add_argument('--run-ablations', action='store_true', help='run the ablations whose logs are missing')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='passed to the ablation runs (e.g. data roots)')
    parser.add_argument('--out', help='the results page (default: WORK_ROOT/quickstart/results.md); its scene '
                        'figures go to the folder "results" beside it')
    parser.add_argument('--no-figures', action='store_true', help='the page without the scene figures')
    parser.add_argument('--step', nargs=argparse.REMAINDER, metavar='SCRIPT ARGS',
                        help='run one repository script quietly (see above) and exit with its status')
    return parser.parse_args(argv)


def log_path(work_dir: str) -> str:
    """The newest mmengine log in ``work_dir`` ('' when there is none)."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.log')))
    return logs[-1] if logs else ''


def last_log(work_dir: str) -> str:
    """Text of the newest mmengine log in ``work_dir`` ('' when there is none)."""
    path = log_path(work_dir)
    return open(path, encoding='utf-8').read() if path else ''


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


class QuietConsole:
    """Which lines of a run's output reach the console: mmengine's one-line records (progress, checkpoints,
    evaluations) but those of :data:`NOISE` and those that head a block (an empty message or one ending with ":":
    environment, config dump, hook order, result tables); its warnings and errors with the lines after them;
    tracebacks from their first line on. The rest (the blocks, Python warnings, pycocotools' prints) is left to the
    log files."""

    def __init__(self):
        self.level = None  # level of the current mmengine record (None: before the first)
        self.traceback = False

    def feed(self, line: str) -> list:
        """The lines to show, given the next line of output (no newline)."""
        if self.traceback or line.startswith('Traceback (most recent call last)'):
            self.traceback = True
            return [line]
        record = RECORD.match(line)
        if record is None:
            return [line] if self.level in ('WARNING', 'ERROR', 'CRITICAL') else []
        self.level, message = record.groups()
        block = not message.strip() or message.rstrip().endswith(':')
        return [line] if self.level != 'INFO' or not (block or message.startswith(NOISE)) else []


def quiet_run(args, prefix: str = '[quickstart]') -> int:
    """Run ``args`` (a repository script and its arguments) from the repository root, its whole output in
    ``--work-dir``/console.log, the console as :class:`QuietConsole` filters it, and the last 40 lines of the output
    when it fails. Returns its exit status."""
    args = list(args)
    work_dir = args[args.index('--work-dir') + 1] if '--work-dir' in args[:-1] else None
    console = osp.join(work_dir, 'console.log') if work_dir else os.devnull
    if work_dir:  # relative to the repository root, where the command runs
        os.makedirs(osp.join(REPO, work_dir), exist_ok=True)
    cmd = [sys.executable, *args] if args[0].endswith('.py') else args
    print(f'{prefix} {" ".join(args)}' + (f' (whole output: {console})' if work_dir else ''), flush=True)
    start, tail, quiet = time.time(), collections.deque(maxlen=40), QuietConsole()
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    with open(osp.join(REPO, console), 'w', encoding='utf-8') as log, subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            errors='replace') as proc:
        for line in proc.stdout:
            log.write(line)
            line = line.rstrip('\n')
            tail.append(line)
            for shown in quiet.feed(line):
                print('  ' + shown, flush=True)
    if proc.returncode and not quiet.traceback:
        print(f'{prefix} failed (exit status {proc.returncode}); the last lines of its output:', *tail, sep='\n',
              file=sys.stderr)
    print(f'{prefix} ' + ('done' if not proc.returncode else f'FAILED, exit status {proc.returncode}') +
          f' in {time.time() - start:.0f} s', flush=True)
    return proc.returncode


def run(*args) -> None:
    if quiet_run(args, prefix='[quickstart_report]'):
        raise SystemExit(f'[quickstart_report] {" ".join(args)} failed (above)')


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
    for name, text in (('ensemble on (FC-CLIP)', last_log(on)), ('ensemble off (`model.ensemble=None`)',
                                                                          last_log(off))):
        if not text:
            lines.append(f'| {name} | not run (--run-ablations) | | | |')
            continue
        split = [' / '.join(f"{logged(text, f'coco_panoptic/{m}_{s}'):.1f}" for m in ('PQ', 'SQ', 'RQ'))
                 for s in ('seen', 'unseen')]
        lines.append(f"| {name} | {logged(text, 'coco_panoptic/PQ'):.1f} | {logged(text, 'coco_panoptic/PQ_th'):.1f} "
                     f"/ {logged(text, 'coco_panoptic/PQ_st'):.1f} | {split[0]} | {split[1]} |")
    return '\n'.join(lines)


def zeroshot_table(runs) -> str:
    """Zero-shot recognition and retrieval rows of ``[(name, recognition work dir, retrieval work dir), ...]``."""
    lines = ['| pretraining | images | regions | masks | i2t R@1/5/10 | t2i R@1/5/10 |',
             '| --- | --- | --- | --- | --- | --- |']
    for name, recognition, retrieval in runs:
        text, ret = last_log(recognition), last_log(retrieval)
        cells = [f"{logged(text, f'zeroshot/{lv}_top1'):.1f} / {logged(text, f'zeroshot/{lv}_top5'):.1f} "
                 f"({logged(text, f'zeroshot/{lv}_mean_recall'):.1f}; {logged(text, f'zeroshot/{lv}_count'):.0f})"
                 if text else 'not run' for lv in LEVELS]
        cells += [' / '.join(f'{logged(ret, f"{d}/retrieval/Recall@{k}"):.0f}' for k in (1, 5, 10)) if ret
                  else 'not run' for d in ('i2t', 't2i')]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
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
    lines = ['| run | box AP50 seen (6) | box AP50 unseen (star, hexagon) | box AP (all 8) |',
             '| --- | --- | --- | --- |']
    for name, text in (('ensemble on (F-VLM)', last_log(on)),
                       ('ensemble off (`model.ensemble=None`)', last_log(off))):
        if not text:
            lines.append(f'| {name} | not run | | |')
            continue
        lines.append(f"| {name} | {100 * logged(text, 'coco/base_ap50'):.1f} | "
                     f"{100 * logged(text, 'coco/novel_ap50'):.1f} | {100 * logged(text, 'coco/bbox_mAP'):.1f} |")
    return '\n'.join(lines)


def checkpoints(work_dir: str) -> list:
    return sorted(glob.glob(osp.join(work_dir, 'iter_*.pth')), key=lambda p: int(re.findall(r'\d+', p)[-1]))


def newest_checkpoint(work_dir: str) -> str:
    ckpts = checkpoints(work_dir)
    if not ckpts:
        raise SystemExit(f'no checkpoint in {work_dir}')
    return ckpts[-1]


def scene_figures(work_dir: str, out_dir: str, num: int = NUM_SCENES):
    """A figure per held-out scene (the first ``num`` that show an unseen class, then the first others): the image,
    the ground-truth panoptic PNG and the prediction of ``work_dir``'s newest checkpoint, side by side, drawn by
    the demos' inferencer and visualizer (a class has its colour of the demos and the web page), with a legend of the
    classes shown. Returns ``(figures, problem)``: ``[(png path, scene name), ...]`` and, where nothing could be drawn, the
    reason with the command that makes what is missing."""
    ckpts = checkpoints(work_dir)
    make = f'python tools/train.py {PANOPTIC} --work-dir {work_dir}'
    if not ckpts:
        return [], f'no panoptic checkpoint in `{work_dir}`: `{make}` makes it (or `make quickstart`).'
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    config = osp.join(work_dir, osp.basename(PANOPTIC))  # the run's own config (its --cfg-options merged)
    cfg = Config.fromfile(config if osp.isfile(config) else osp.join(REPO, PANOPTIC))
    data = cfg.test_dataloader.dataset
    root = data.data_root if osp.isabs(data.data_root) else osp.join(REPO, data.data_root)
    ann = osp.join(root, data.ann_file)
    if not osp.isfile(ann):
        return [], (f'no toy world at `{data.data_root}` (`{data.ann_file}` is missing): `python '
                    f'tools/dataset_converters/make_synthetic.py {data.data_root}` makes it.')
    import mmcv
    import numpy as np
    import torch
    from mmdet.evaluation.functional import INSTANCE_OFFSET
    from mmdet.structures import DetDataSample
    from mmengine.structures import PixelData

    from umgclip_mm.apis import OVDetInferencer
    from umgclip_mm.visualization.drawing import font_px_for

    warnings.filterwarnings('ignore', message='torch.meshgrid')  # torch's own, from mmcv's deformable attention
    MMLogger.get_instance('quickstart_report', log_level='WARNING')  # the model's set-up notes: not for this page
    inferencer = OVDetInferencer(cfg, ckpts[-1], task='panoptic', device='cpu')
    vocab, vis = inferencer.model.test_vocab, inferencer.visualizer  # the demos' visualizer: the same colours
    names, unseen = vocab.names, set(cfg.get('unseen_classes', []))
    palette = vis.class_palette(len(names))
    with open(ann, encoding='utf-8') as f:
        coco = json.load(f)
    cat_names = {c['id']: c['name'] for c in coco['categories']}
    shows_unseen = [any(cat_names[s['category_id']] in unseen for s in a['segments_info']) for a in coco['annotations']]
    order = [i for i, u in enumerate(shows_unseen) if u] + [i for i, u in enumerate(shows_unseen) if not u]
    os.makedirs(out_dir, exist_ok=True)
    figures = []
    for index in order[:num]:
        ann_info = coco['annotations'][index]
        stem = osp.splitext(ann_info['file_name'])[0]
        image = mmcv.imread(osp.join(root, data.data_prefix.img, ann_info['file_name']), channel_order='rgb')
        ids = mmcv.imread(osp.join(root, data.data_prefix.seg, ann_info['file_name']), channel_order='rgb')
        ids = ids[..., 0].astype(np.int64) + 256 * ids[..., 1] + 256 * 256 * ids[..., 2]  # panopticapi's rgb2id
        gt = np.full(ids.shape, len(names), np.int64)  # void: len(names), as the model writes it
        for k, seg in enumerate(ann_info['segments_info']):
            gt[ids == seg['id']] = names.index(cat_names[seg['category_id']]) + (k + 1) * INSTANCE_OFFSET
        result = inferencer(np.ascontiguousarray(image[..., ::-1]), return_datasamples=True)['predictions'][0]
        pred = result.pred_panoptic_seg.sem_seg[0].cpu().numpy().astype(np.int64)
        big = mmcv.imrescale(image, SCALE, interpolation='nearest')
        font = font_px_for(big.shape[0], 3 * big.shape[1])  # the legend's, beside the three panels
        panels = [vis.draw_title(big, 'image', font)]
        for title, pan in (('ground truth', gt), ('prediction', pred)):
            pan = np.kron(pan, np.ones((SCALE, SCALE), np.int64))  # nearest upscaling of the id map
            sample = DetDataSample(pred_panoptic_seg=PixelData(sem_seg=torch.from_numpy(pan)[None]))
            panels.append(vis.draw_title(vis.draw_prediction(big, sample, legend=False), title, font))
        shown = sorted({int(v % INSTANCE_OFFSET) for v in np.unique(np.concatenate([gt.ravel(), pred.ravel()]))
                        if v % INSTANCE_OFFSET < len(names)})
        rows = [(palette[c], names[c], 'unseen' if names[c] in unseen else 'seen') for c in shown]
        height = max(p.shape[0] for p in panels)
        strip = np.concatenate([np.pad(p, ((0, height - p.shape[0]), (0, 8), (0, 0)), constant_values=255)
                                for p in panels], axis=1)
        png = osp.join(out_dir, f'{stem}.png')
        mmcv.imwrite(vis.draw_legend(strip, rows, title='classes')[..., ::-1], png)
        figures.append((png, stem))
    return figures, None


def sources(rows) -> str:
    """"Logs: ..." for ``[(row name, work dir), ...]`` (the runs that have a log)."""
    found = [f'{name}: `{log_path(work_dir)}`' for name, work_dir in rows if log_path(work_dir)]
    return 'Logs: ' + ('; '.join(found) if found else 'none yet (`make quickstart` runs these, `make quickstart-report` '
                       'the ablations)') + '.'


def write_page(out: str, sections, figures, problem, checkpoint: str = '') -> None:
    """The results page: every section's table and logs, then the scene figures (or what makes them)."""
    lines = ['# Quickstart results', '',
             'Written by `python tools/analysis/quickstart_report.py` from the logs of `make quickstart` (and '
             '`make quickstart-report` for the ablations); every figure is read from the log named under its table.',
             '']
    for title, table, logs in sections:
        lines += [f'## {title}', '', table, '', logs, '']
    lines += ['## Held-out scenes', '']
    if problem:
        lines += [f'No scene figures: {problem}', '']
    else:
        lines += ['Ground truth (the toy world\'s panoptic PNG) and the prediction of the panoptic checkpoint '
                  f'(`{checkpoint}`, trained with `{PANOPTIC}`; the ensemble on, all 13 classes), drawn as '
                  '`tools/demo/image_demo.py --task panoptic` draws; the legend marks the unseen classes.', '']
        for png, stem in figures:
            lines += [f'### {stem}', '', f'![{stem}: image, ground truth, prediction]'
                      f'({osp.relpath(png, osp.dirname(osp.abspath(out)))})', '']
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))


def main(argv=None):
    args = parse_args(argv)
    if args.step is not None:
        if not args.step:
            raise SystemExit('--step needs a command, e.g. --step tools/train.py CONFIG --work-dir DIR')
        raise SystemExit(quiet_run(args.step))
    root = args.work_root
    full, ablation = osp.join(root, 'quickstart'), osp.join(root, 'quickstart_image_only')
    pan, pan_off = osp.join(root, 'quickstart_panoptic'), osp.join(root, 'quickstart_panoptic_off')
    semseg, semseg_off = osp.join(root, 'quickstart_semseg'), osp.join(root, 'quickstart_semseg_off')
    det, det_off = osp.join(root, 'quickstart_detection'), osp.join(root, 'quickstart_detection_off')
    zs, zs_abl = osp.join(root, 'quickstart_zeroshot'), osp.join(root, 'quickstart_zeroshot_image_only')
    ret = osp.join(root, 'quickstart_zeroshot_retrieval')
    ret_abl = osp.join(root, 'quickstart_zeroshot_retrieval_image_only')
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
        for config, work_dir in ((ZEROSHOT, zs_abl), (ZEROSHOT_RETRIEVAL, ret_abl)):
            if checkpoints(ablation) and not last_log(work_dir):
                run('tools/test.py', config, newest_checkpoint(ablation), '--work-dir', work_dir,
                    *(['--cfg-options', *args.cfg_options] if args.cfg_options else []))
    sections = [
        (f'Pretraining (tools/train.py {PRETRAIN}): held-out retrieval, top-1 (top-5)',
         pretraining_table(full, ablation),
         sources([('all six terms', full), ('region and mask weights 0', ablation)])),
        (f'Open-vocabulary panoptic segmentation (tools/train.py {PANOPTIC}): PQ on the held-out scenes',
         panoptic_table(pan, pan_off), sources([('ensemble on', pan), ('ensemble off', pan_off)])),
        (f'Zero-shot recognition by class name, top-1 / top-5 (mean per-class recall; count), and image-text retrieval '
         f'recall (tools/test.py {ZEROSHOT} and {ZEROSHOT_RETRIEVAL})',
         zeroshot_table([('all six terms', zs, ret), ('region and mask weights 0', zs_abl, ret_abl)]),
         sources([('all six terms', zs), ('retrieval', ret), ('region and mask weights 0', zs_abl),
                  ('retrieval, region and mask weights 0', ret_abl)]))]
    semantic_runs = [('OVEncoderDecoder, trained on the seen classes, ensemble on', semseg),
                     ('OVEncoderDecoder, ensemble off (`model.ensemble=None`)', semseg_off),
                     ('panoptic checkpoint, semantic output (FC-CLIP protocol)',
                      osp.join(root, 'quickstart_panoptic_semantic')),
                     ('ZeroShotSegmentor (training-free, nothing trained)',
                      osp.join(root, 'quickstart_semseg_zeroshot'))]
    sections += [
        (f'Open-vocabulary semantic segmentation: mIoU on the held-out scenes (tools/train.py {SEMSEG}; tools/test.py '
         f'{SEMSEG_ZEROSHOT} and {PANOPTIC_SEMANTIC})', semantic_table(semantic_runs), sources(semantic_runs)),
        (f'Open-vocabulary detection (tools/train.py {DETECTION}): box AP50 on the held-out scenes',
         detection_table(det, det_off), sources([('ensemble on', det), ('ensemble off', det_off)]))]
    for i, (title, table, _) in enumerate(sections):
        print(('\n' if i else '') + title + '\n')
        print(table)
    out = args.out or osp.join(full, 'results.md')
    figures, problem = [], 'not drawn (--no-figures).'
    if not args.no_figures:
        try:
            figures, problem = scene_figures(pan, osp.join(osp.dirname(osp.abspath(out)), 'results'))
        except (ValueError, FileNotFoundError) as err:  # a checkpoint that does not fit the config: the page says so
            problem = (f'the panoptic checkpoint could not be drawn: {err}. `python tools/train.py {PANOPTIC} '
                       f'--work-dir {pan}` makes a fitting one.')
    write_page(out, sections, figures, problem, checkpoint=(checkpoints(pan) or [''])[-1])
    print(f'\nResults page: {out}' + (f' ({len(figures)} scene figures in {osp.dirname(figures[0][0])})' if figures
                                      else f'; {problem}'))


if __name__ == '__main__':
    main()
