#!/usr/bin/env python
"""Full-size smoke: every shipped config, at its own image sizes, on a few images in the official layouts.

Writes two images per data set in each on-disk layout the configs read (umgclip_mm.datasets.fake_layouts; OV-COCO,
OV-LVIS, ADE20K-847, PASCAL Context-459 and the tar shards through their converters in
tools/dataset_converters), converts random-weight CLIP towers written in open_clip's published format with
tools/model_converters/clip2umgclip.py, then runs every config of configs/ (not configs/quickstart, which
`make quickstart` runs; not _base_) in its own process with a time limit: a training config trains 2 iterations
(one epoch of the 2 images for epoch-based ones) at batch 1 and validates; a transfer or zero-shot config is tested
on the checkpoint it names (the training run's last checkpoint, linked under that name, or the converted towers).
The towers of the L/14 and E/14 configs are swapped for the B/16 ones of their family (same tower type, so the
same code paths; the table says so) unless --full-towers, which converts random towers of their real size.

Everything runs under WORK_DIR (default work_dirs/smoke): WORK_DIR/data plays data/, WORK_DIR/checkpoints
checkpoints/, WORK_DIR/work_dirs work_dirs/, so the configs' own relative paths are used unchanged. Each run's
output is in WORK_DIR/logs/<config>.<phase>.log. The table (config, phase, tower, seconds, peak RSS of the run's
process, metric line or the error's last line) is printed and written to --table-out.

A B/16 iteration at 1024 px takes minutes on a laptop CPU: run a few configs with --configs, in the background.

Examples:
    python tools/analysis/smoke_fullsize.py --list
    python tools/analysis/smoke_fullsize.py --configs 'ov_semseg/*' --timeout 1800
    nohup python tools/analysis/smoke_fullsize.py --table-out work_dirs/smoke/table.md > work_dirs/smoke/run.log &
"""
import argparse
import fnmatch
import glob
import os
import os.path as osp
import re
import shutil
import signal
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs')

# Iterations of a panoptic / semantic run's last checkpoint, as the transfer configs' headers name them.
M2F = 'ov_mask2former/ov-mask2former_umgclip-{}_8xb2-lsj-50e_coco-panoptic.py'
SEMSEG = 'ov_semseg/ov-semseg_umgclip-vit-b16_8xb2-80k_coco-stuff-171.py'


class Run(NamedTuple):
    """What the smoke does with one config.

    Args:
        phase (str): ``train`` (train 2 iterations, validate) or ``test`` (tools/test.py on ``checkpoint``).
        checkpoint (str): for ``test``: the checkpoint the config names (relative to the work dir).
        after (str): for ``test`` on a trained checkpoint: the training config that writes it.
    """
    phase: str
    checkpoint: str = ''
    after: str = ''


def _transfer(train_config: str, iters: int) -> Run:
    stem = osp.splitext(osp.basename(train_config))[0]
    return Run('test', f'work_dirs/{stem}/iter_{iters}.pth', train_config)


def _zeroshot(tower: str) -> Run:
    return Run('test', f'checkpoints/umgclip_{tower}_umg41m.pth')


# Every shipped config (relative to configs/). tests/test_tools/test_smoke_fullsize.py fails when one is missing.
PLAN: Dict[str, Run] = {
    'umgclip/umgclip_vit-b16_8xb256-amp-20k_umg41m.py': Run('train'),
    'umgclip/umgclip_vit-l14_16xb128-amp-20k_umg41m.py': Run('train'),
    'umgclip/umgclip_eva02-l14_16xb128-amp-20k_umg41m.py': Run('train'),
    'umgclip/umgclip_eva02-e14_16xb128-amp-20k_umg41m.py': Run('train'),
    'umgclip/umgclip_eva02-e14_16xb128-fsdp-amp-20k_umg41m.py': Run('train'),
    'umgclip/umgclip_vit-b16_8xb256-amp-20k_mixture.py': Run('train'),
    'umgclip/panoptic_coco.py': Run('train'),
    M2F.format('vit-b16'): Run('train'),
    M2F.format('vit-l14'): Run('train'),
    M2F.format('eva02-l14'): Run('train'),
    M2F.format('eva02-e14'): Run('train'),
    SEMSEG: Run('train'),
    'fvlm/fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_ov-coco.py': Run('train'),
    'fvlm/fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_ov-lvis.py': Run('train'),
    'fvlm/fvlm_umgclip-eva02-l14_vit-pyramid_8xb2-1x_ov-coco.py': Run('train'),
    'fvlm/fvlm_umgclip-eva02-l14_vit-pyramid_8xb2-1x_ov-lvis.py': Run('train'),
    **{f'ov_mask2former/ov-mask2former_umgclip-{tower}_8xb2-lsj-50e_coco2{target}.py':
       _transfer(M2F.format(tower), 368750)
       for tower in ('vit-b16', 'eva02-l14')
       for target in ('ade20k-150-semantic', 'ade20k-847-semantic', 'ade20k-panoptic', 'pascal-context-459-semantic',
                      'pascal-context-59-semantic', 'pascal-voc-20-semantic')},
    'ov_mask2former/ov-mask2former_umgclip-eva02-e14_8xb2-lsj-50e_coco2ade20k-panoptic.py':
    _transfer(M2F.format('eva02-e14'), 368750),
    **{f'ov_semseg/ov-semseg_umgclip-vit-b16_8xb2-80k_coco-stuff2{target}.py': _transfer(SEMSEG, 80000)
       for target in ('ade20k-150', 'ade20k-847', 'pascal-context-459', 'pascal-context-59', 'pascal-voc-20')},
    **{f'zeroshot/umgclip-vit-b16_zeroshot-{task}.py': _zeroshot('vit-b16')
       for task in ('cls_custom', 'cls_in1k', 'region_coco', 'retrieval_coco', 'retrieval_flickr30k',
                    'semseg_ade20k-150', 'semseg_ade20k-847', 'semseg_pascal-context-459',
                    'semseg_pascal-context-59', 'semseg_pascal-voc-20')},
    **{f'zeroshot/umgclip-eva02-l14_zeroshot-{task}.py': _zeroshot('eva02-l14')
       for task in ('cls_in1k', 'region_coco', 'retrieval_coco', 'semseg_ade20k-150')},
    # your own data (docs/custom_data.md), as shipped: on the quickstart's toy world and small folders
    'custom/fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_custom-coco-instances.py': Run('train'),
    'custom/ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_custom-coco-panoptic.py': Run('train'),
    'custom/ov-semseg_umgclip-vit-b16_8xb2-80k_custom-label-maps.py': Run('train'),
    'custom/umgclip-vit-b16_zeroshot-cls_custom-folders.py': _zeroshot('vit-b16'),
    'custom/umgclip-vit-b16_zeroshot-retrieval_custom-captions.py': _zeroshot('vit-b16'),
}

# open_clip model names of the random towers, and the converter's --act for them.
OPEN_CLIP_NAMES = {'vit-b16': ('ViT-B-16-quickgelu', 'quick_gelu'), 'vit-l14': ('ViT-L-14-quickgelu', 'quick_gelu'),
                   'eva02-b16': ('EVA02-B-16', 'gelu'), 'eva02-l14': ('EVA02-L-14', 'gelu'),
                   'eva02-e14': ('EVA02-E-14', 'gelu')}
# The tower a config's architecture is swapped for without --full-towers, and its preset in umgclip_towers.py.
SWAP = {'vit-l14': 'vit-b16', 'eva02-l14': 'eva02-b16', 'eva02-e14': 'eva02-b16'}
PRESETS = {'vit-b16': 'umgclip_vitb16', 'eva02-b16': 'umgclip_eva02_b16'}


def tower_of(config: str) -> str:
    """The tower architecture a config's file name states (``vit-b16``, ``eva02-l14``, ...)."""
    m = re.search(r'(eva02-[bel]14|eva02-b16|vit-[bl]\d+)', osp.basename(config))
    return m.group(1) if m else 'vit-b16'  # panoptic_coco.py: the ViT-B/16 flagship


def shipped_configs() -> List[str]:
    """Every config under configs/ except configs/quickstart and _base_, relative to configs/."""
    found = glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
    rel = [osp.relpath(p, CONFIGS) for p in found]
    return sorted(p for p in rel if not p.startswith(('quickstart/', '_base_/')) and '/_base_/' not in p)


def ordered(configs: List[str]) -> List[str]:
    """Training runs before the transfer runs that test their checkpoints."""
    return sorted(configs, key=lambda c: (PLAN[c].phase != 'train', c))


# Runs the command in a child of its own and writes that child's peak RSS (wait4's ru_maxrss: the command and the
# children it waited for). Linux keeps a process's high-water mark across exec, so a command forked straight from this
# (larger) process would report this process's memory; forked from this small launcher, it reports its own.
_LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], 'w') as f:
    f.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_logged(cmd: List[str], log: str, cwd: str, timeout: float, env: Optional[Dict[str, str]] = None) -> Dict:
    """Run ``cmd`` in its own process group, output to ``log``; returns returncode (None: timed out), seconds and
    the command's peak resident memory in GiB (``ru_maxrss`` of the command and the children it waited for,
    measured by a small launcher process; None when it timed out)."""
    start = time.time()
    rss_file = log + '.maxrss'
    if osp.exists(rss_file):
        os.remove(rss_file)
    with open(log, 'w') as out:
        proc = subprocess.Popen([sys.executable, '-c', _LAUNCHER, rss_file, *cmd], cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, env=env)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
    rss = None
    if osp.exists(rss_file):
        with open(rss_file) as f:
            rss = int(f.read()) / 2**20
    return dict(returncode=code, seconds=time.time() - start, rss_gib=rss)


_STAMP = re.compile(r'^\d{2}/\d{2} \d{2}:\d{2}:\d{2} - mmengine - \w+ - ')


def summarise(log: str, returncode: Optional[int], phase: str) -> str:
    """The run's metric line (the last evaluation mmengine logged), or the error's last line."""
    with open(log, errors='replace') as f:
        raw = [line.rstrip() for line in f if line.strip()]
    lines = [_STAMP.sub('', line) for line in raw]
    if returncode == 0:
        evals = [line for line in lines if re.search(r'(Epoch|Iter)\((val|test)\)', line) and 'eta:' not in line]
        train = [line for line in lines if re.search(r'(Epoch|Iter)\(train\)', line)]
        parts = []
        if phase == 'train' and train:
            m = re.search(r'time: ([\d.]+).*?loss: ([\d.naninf]+)', train[-1])
            parts.append(f'train: {m.group(1)} s/iter, loss {m.group(2)}' if m else train[-1][-120:])
        if evals:
            parts.append(re.sub(r'^.*?\] +', '', evals[-1])[:300])
            metrics = re.sub(r'\b(data_)?time: [\d.]+', '', evals[-1].split(']', 1)[-1])
            if not re.search(r'\w: -?[\d.]+', metrics):  # only timings: the evaluator logged why
                errors = [line.split(' - ERROR - ', 1)[1] for line in raw if ' - ERROR - ' in line]
                parts.append('NO METRICS' + (f': {errors[-1][:200]}' if errors else ''))
        return '; '.join(parts) or (lines[-1][-200:] if lines else 'no output')
    errors = [line for line in lines if re.match(r'^[\w.]*(Error|Exception|Interrupt)\b', line)]
    tail = errors[-1] if errors else (lines[-1] if lines else 'no output')
    return ('TIMEOUT; last line: ' if returncode is None else 'ERROR: ') + tail[:300]


def convert_random_tower(arch: str, ckpt_dir: str, cwd: str) -> str:
    """Write a random-weight open_clip state dict of ``arch`` (the published format) and convert it with
    clip2umgclip.py, the documented way; returns the converted checkpoint (cached in ``ckpt_dir``)."""
    dst = osp.join(ckpt_dir, f'random_{arch}.pth')
    if osp.isfile(dst):
        return dst
    import open_clip
    import torch
    name, act = OPEN_CLIP_NAMES[arch]
    torch.manual_seed(0)
    model = open_clip.create_model(name, pretrained=None)
    src = osp.join(ckpt_dir, f'open_clip_{name}_random.pt')
    torch.save(model.state_dict(), src)
    del model
    subprocess.run([sys.executable, osp.join(REPO, 'tools/model_converters/clip2umgclip.py'), src, dst, '--act', act],
                   cwd=cwd, check=True)
    os.remove(src)
    return dst


def prepare_data(root: str) -> None:
    """Write every layout under ``root``/data and run the converters that make what the configs read."""
    from mmengine.config import Config

    from umgclip_mm.datasets import fake_layouts
    data = osp.join(root, 'data')
    stamp = osp.join(data, '.complete')
    version = fake_layouts.version()  # the writers' version: data of an older one is written again
    if osp.isfile(stamp):
        with open(stamp) as f:
            if f.read().strip() == version:
                return
        shutil.rmtree(data)
    base = osp.join(CONFIGS, '_base_', 'datasets')
    custom = Config.fromfile(osp.join(base, 'custom_zeroshot.py')).classes
    with open(osp.join(CONFIGS, 'custom', 'toy_vocab', 'things.txt')) as f:  # configs/custom's class folders
        folders = sorted(line.strip() for line in f if line.strip())
    fake_layouts.write_all(data, custom, folders)
    for script, args in fake_layouts.CONVERTERS:
        subprocess.run([sys.executable, osp.join(REPO, 'tools', 'dataset_converters', script)] + args, cwd=data,
                       check=True, stdout=subprocess.DEVNULL)
    with open(stamp, 'w') as f:
        f.write(version)


def amp_on_cpu(config_path: str) -> bool:
    """Whether the config trains with mmengine's ``AmpOptimWrapper`` on a machine where it refuses to run (no
    GPU/NPU/MLU/MUSA: ``AmpOptimizerWrapper is only available training on gpu, npu, mlu or musa``)."""
    import torch
    from mmengine.config import Config
    wrapper = Config.fromfile(config_path).get('optim_wrapper') or {}
    return str(wrapper.get('type', '')).endswith('AmpOptimWrapper') and not torch.cuda.is_available()


def derived_config(config: str, tower: Optional[str], fp32: bool, out_dir: str) -> str:
    """The config with its tower pair replaced by the ``tower`` preset (weights' paths kept) and/or, with ``fp32``,
    its ``AmpOptimWrapper`` replaced by mmengine's ``OptimWrapper`` (``FSDPAmpOptimWrapper`` by
    ``FSDPOptimWrapper``; same optimizer, clipping and parameter-wise settings, as ``tools/train.py --fp32``),
    written to ``out_dir``; returns its path."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    suffix = ''
    if tower:
        preset = Config.fromfile(osp.join(CONFIGS, '_base_', 'models', 'umgclip_towers.py'))[PRESETS[tower]]
        holder = cfg.model.clip if 'clip' in cfg.model else cfg.model
        holder['backbone'] = dict(preset['backbone'])
        holder['text_encoder'] = dict(preset['text_encoder'])
        suffix += f'.{tower}'
    if fp32:  # what tools/train.py --fp32 does
        from umgclip_mm.apis.launch import set_precision
        cfg.optim_wrapper = set_precision(cfg.optim_wrapper, amp=False)
        suffix += '.fp32'
    path = osp.join(out_dir, osp.basename(config).replace('.py', f'{suffix}.py'))
    cfg.dump(path)
    return path


def overrides(config_path: str, phase: str) -> List[str]:
    """--cfg-options for a smoke run: batch 1, no worker processes, 2 iterations (1 epoch), logs every iteration,
    a checkpoint at the end."""
    from mmengine.config import Config
    cfg = Config.fromfile(config_path)
    opts = []
    loaders = ['test_dataloader'] if phase == 'test' else ['train_dataloader', 'val_dataloader']
    for name in loaders:
        if cfg.get(name):
            opts += [f'{name}.batch_size=1', f'{name}.num_workers=0', f'{name}.persistent_workers=False']
            if 'batch_size' in cfg[name].get('dataset', {}):  # UMGWebDataset deals whole batches
                opts.append(f'{name}.dataset.batch_size=1')
    opts.append('default_hooks.logger.interval=1')
    rcnn = (cfg.model.get('test_cfg') or {}).get('rcnn') or {}
    if rcnn.get('score_thr'):  # random towers score every class near 1 / (classes + 1): keep them, or nothing is scored
        opts.append('model.test_cfg.rcnn.score_thr=0.0')
    if phase == 'train':
        if 'max_epochs' in cfg.train_cfg:
            opts += ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1']
        else:
            opts += ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2']
    return opts


def smoke_one(config: str, root: str, timeout: float, full_towers: bool, results: Dict[str, Dict]) -> Dict:
    """Run one config's phase; returns the table row."""
    from mmengine.config import Config

    from umgclip_mm.apis.launch import local_checkpoints
    run = PLAN[config]
    tower = tower_of(config)
    used = tower if full_towers or tower not in SWAP else SWAP[tower]
    row = dict(config=config, phase=run.phase, tower=used if used == tower else f'{used} (for {tower})',
               seconds=None, rss_gib=None, result='')
    logs = osp.join(root, 'logs')
    os.makedirs(logs, exist_ok=True)
    fp32 = run.phase == 'train' and amp_on_cpu(osp.join(CONFIGS, config))
    if fp32:
        row['tower'] += ', fp32 (AMP needs a GPU)'
    path = osp.join(CONFIGS, config)
    if used != tower or fp32:
        path = derived_config(config, used if used != tower else None, fp32, logs)
    ckpt_dir = osp.join(root, 'checkpoints')
    os.makedirs(ckpt_dir, exist_ok=True)
    needed = [p for _, p in local_checkpoints(Config.fromfile(path))]
    if run.phase == 'test':
        if run.after:
            prev = results.get(run.after)
            trained = sorted(glob.glob(osp.join(root, osp.dirname(run.checkpoint), '*.pth')), key=osp.getmtime)
            trained = [p for p in trained if osp.basename(p) != osp.basename(run.checkpoint)]
            if not osp.isfile(osp.join(root, run.checkpoint)):
                if not trained:
                    why = 'it failed' if prev else 'it was not run: add it to --configs'
                    row['result'] = f'SKIPPED: needs the checkpoint of {run.after} ({why})'
                    return row
                os.link(trained[-1], osp.join(root, run.checkpoint))
        else:
            needed.append(run.checkpoint)
    try:
        for ckpt in needed:
            target = osp.join(root, ckpt)
            if not osp.isfile(target):
                os.makedirs(osp.dirname(target), exist_ok=True)
                os.link(convert_random_tower(used, ckpt_dir, root), target)
    except (subprocess.CalledProcessError, OSError, KeyError) as e:
        row['result'] = f'ERROR preparing the towers: {e}'
        return row
    stem = osp.splitext(osp.basename(config))[0]
    work_dir = osp.join('work_dirs', stem) if run.phase == 'train' else osp.join('work_dirs', f'{stem}_test')
    tool = osp.join(REPO, 'tools', 'train.py' if run.phase == 'train' else 'test.py')
    cmd = [sys.executable, tool, path] + ([run.checkpoint] if run.phase == 'test' else [])
    cmd += ['--work-dir', work_dir, '--cfg-options'] + overrides(path, run.phase)
    log = osp.join(logs, f'{stem}.{run.phase}.log')
    print(f'[smoke] {config} ({run.phase}, {row["tower"]}): log {log}', flush=True)
    # random towers: their text embeddings go to a cache of the smoke's own, not the machine's shared one
    env = dict(os.environ, UMGCLIP_CACHE_DIR=osp.join(root, 'cache'))
    out = run_logged(cmd, log, root, timeout, env)
    note = '[score_thr 0] ' if 'model.test_cfg.rcnn.score_thr=0.0' in cmd else ''
    row.update(seconds=out['seconds'], rss_gib=out['rss_gib'],
               result=note + summarise(log, out['returncode'], run.phase))
    row['ok'] = out['returncode'] == 0
    return row


def table(rows: List[Dict]) -> str:
    """The results as a markdown table."""
    lines = ['| config | phase | tower | seconds | peak RSS (GiB) | metric line, or the error |',
             '| --- | --- | --- | ---: | ---: | --- |']
    for r in rows:
        secs = '' if r['seconds'] is None else f"{r['seconds']:.0f}"
        rss = '' if r['rss_gib'] is None else f"{r['rss_gib']:.1f}"
        result = r['result'].replace('|', '/')
        lines.append(f"| {r['config']} | {r['phase']} | {r['tower']} | {secs} | {rss} | {result} |")
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--configs', nargs='+', metavar='GLOB',
                        help='configs to run, globs relative to configs/ (default: all); a transfer config needs '
                             'the training config whose checkpoint it tests in the same or an earlier smoke')
    parser.add_argument('--list', action='store_true', help='print the plan (config, phase, tower, checkpoint) and '
                        'exit')
    parser.add_argument('--timeout', type=float, default=3600, help='seconds per run (default 3600)')
    parser.add_argument('--work-dir', default='work_dirs/smoke', help='where data, checkpoints, runs and logs go')
    parser.add_argument('--table-out', help='also write the table (markdown) to this file')
    parser.add_argument('--full-towers', action='store_true',
                        help='random towers of the real L/14 and E/14 sizes instead of their B/16 sibling (E/14: '
                             '4.4B parameters, about 18 GiB of weights)')
    parser.add_argument('--prepare-only', action='store_true',
                        help='write the data layouts (WORK_DIR/data) and exit')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    missing = sorted(set(shipped_configs()) - set(PLAN))
    if missing and not args.prepare_only:
        print(f'configs missing from the smoke plan (PLAN in {__file__}): {missing}', file=sys.stderr)
        return 2
    configs = list(PLAN)
    if args.configs:
        configs = [c for c in configs if any(fnmatch.fnmatch(c, g) for g in args.configs)]
        if not configs:
            print(f'no config of the plan matches {args.configs}; --list shows them', file=sys.stderr)
            return 2
    configs = ordered(configs)
    if args.list:
        for c in configs:
            run, tower = PLAN[c], tower_of(c)
            used = tower if args.full_towers or tower not in SWAP else SWAP[tower]
            print(f'{c}\t{run.phase}\t{used if used == tower else f"{used} (for {tower})"}\t'
                  f'{run.checkpoint or "-"}')
        return 0
    root = osp.abspath(args.work_dir)
    os.makedirs(root, exist_ok=True)
    if not osp.exists(osp.join(root, 'configs')):  # class-list files the configs name relative to the repository
        os.symlink(CONFIGS, osp.join(root, 'configs'))
    t0 = time.time()
    prepare_data(root)
    print(f'[smoke] data layouts in {osp.join(root, "data")} ({time.time() - t0:.0f} s)', flush=True)
    if args.prepare_only:
        return 0
    rows, results = [], {}
    for config in configs:
        row = smoke_one(config, root, args.timeout, args.full_towers, results)
        results[config] = row
        rows.append(row)
        print(f"[smoke] {config}: {row['result']}", flush=True)
        if args.table_out:
            os.makedirs(osp.dirname(osp.abspath(args.table_out)), exist_ok=True)
            with open(args.table_out, 'w') as f:
                f.write(table(rows) + '\n')
    print(table(rows))
    return 0 if all(r.get('ok') for r in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
