#!/usr/bin/env python
"""Start-up time of a resumed pretraining run: mmengine's loop against FastResumeIterBasedTrainLoop, at two steps.

mmengine's ``IterBasedTrainLoop`` (with its ``InfiniteSampler``, what the pretraining configs used before) resumes at
step ``n`` by loading, decoding and augmenting the ``n`` batches already trained and throwing them away; the
project's ``FastResumeIterBasedTrainLoop`` with ``ResumableInfiniteSampler`` (what they use now) starts the sampler
at its position instead. This script resumes the toy pretraining run (``configs/quickstart/pretrain_synthetic.py``
by default, its data loader as configured: batch 32, 2 persistent workers) from a checkpoint at each ``--steps``
with each loop, one new iteration each, and prints the seconds from the start of the process to the start of the
first new iteration (its batch loaded), the old and new loop interleaved step by step; in brackets the part of them
from the start of the training loop (the checkpoint loaded), which is where the loops differ: the rest (imports,
building, loading the checkpoint) is the same for both and varies with the machine's load.

The checkpoints: the first step's is trained for real (batch ``--ckpt-batch-size``, no workers, cheap); a later
step's is the same file with the step number it records (``meta.iter``, what a resume reads to know where it is)
changed, since the model's weights do not enter the start-up time and training a toy model 1000 steps on this CPU
takes longer than the whole benchmark. The learning-rate schedule is off (``param_scheduler=[]``), as it would
otherwise be loaded at the wrong step; validation and saving are off.

Examples:
    python tools/dataset_converters/make_synthetic.py data/synthetic
    python tools/analysis/benchmark_resume.py --data-root data/synthetic --steps 10 1000
"""
import argparse
import os.path as osp
import re
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))  # the configs' paths are relative to it

LOOPS = {  # name -> --cfg-options that select it
    'mmengine': ['train_cfg.type=IterBasedTrainLoop', 'train_dataloader.sampler.type=InfiniteSampler'],
    'fast': ['train_cfg.type=umgclip_mm.FastResumeIterBasedTrainLoop',
             'train_dataloader.sampler.type=umgclip_mm.ResumableInfiniteSampler'],
}
MARK = 'benchmark_resume: first new iteration at'
LOOP_MARK = 'benchmark_resume: training loop starts at'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default='configs/quickstart/pretrain_synthetic.py', help='pretraining config')
    parser.add_argument('--data-root', default='data/synthetic', help='the toy world (make_synthetic.py DIR)')
    parser.add_argument('--steps', type=int, nargs='+', default=[10, 1000], help='steps to resume at')
    parser.add_argument('--loops', nargs='+', choices=sorted(LOOPS), default=['mmengine', 'fast'])
    parser.add_argument('--work-dir', default='work_dirs/benchmark_resume', help='checkpoints and logs go here')
    parser.add_argument('--ckpt-batch-size', type=int, default=1, help='batch of the run that makes the checkpoint')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='more overrides for every run (e.g. train_dataloader.num_workers=0)')
    parser.add_argument('--timeout', type=int, default=3600, help='seconds one resumed run may take')
    # internal: the resumed run itself, in a child process whose start is timed
    parser.add_argument('--child', nargs=4, metavar=('CONFIG', 'CHECKPOINT', 'WORK_DIR', 'STEP'),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def common_options(data_root):
    """Overrides of every run: the data, no validation, no saving, no schedule, a log line every iteration."""
    return [f'train_dataloader.dataset.data_root={data_root}', 'val_cfg=None', 'val_dataloader=None',
            'val_evaluator=None', 'param_scheduler=[]', 'default_hooks.logger.interval=1',
            'default_hooks.checkpoint.interval=1000000000', 'default_hooks.checkpoint.save_last=False']


def run_child(config, checkpoint, work_dir, step, cfg_options):
    """Resume ``config`` from ``checkpoint`` (at ``step``) for one iteration; print the time the first new iteration
    starts."""
    from mmengine.config import DictAction
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    import umgclip_mm  # noqa: F401  (the checkpoint allow-list)
    from umgclip_mm.apis.launch import build_config
    options = argparse.ArgumentParser()
    options.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = options.parse_args(['--cfg-options', *cfg_options, f'train_cfg.max_iters={int(step) + 1}'])
    args.config, args.work_dir, args.launcher, args.resume = config, work_dir, 'none', checkpoint
    cfg = build_config(args)

    class FirstIterationTime(Hook):
        """Prints the wall clock times when the loop starts (the checkpoint is loaded) and when the first iteration
        after the resume begins (its batch is loaded; the batches a loop skips call no hook)."""

        def __init__(self):
            self.done = False

        def before_train(self, runner):
            print(f'{LOOP_MARK} {time.time():.3f}', flush=True)

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if not self.done:
                print(f'{MARK} {time.time():.3f}', flush=True)
                self.done = True

    runner = Runner.from_cfg(cfg)
    runner.register_hook(FirstIterationTime(), priority='VERY_LOW')
    runner.train()


def timed_resume(args, loop, step, checkpoint, work_dir):
    """Seconds from the start of a new process to its first new iteration, resuming with ``loop``, and of them the
    seconds from the start of the training loop (the checkpoint loaded) to that iteration."""
    options = common_options(args.data_root) + LOOPS[loop] + list(args.cfg_options)
    cmd = [sys.executable, osp.abspath(__file__), '--child', args.config, checkpoint, work_dir, str(step),
           '--cfg-options', *options]
    start = time.time()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=args.timeout)
    found = re.search(re.escape(MARK) + r' ([\d.]+)', proc.stdout)
    loop_start = re.search(re.escape(LOOP_MARK) + r' ([\d.]+)', proc.stdout)
    if proc.returncode or not found or not loop_start:
        raise RuntimeError(f'the resumed run exited {proc.returncode} without starting an iteration:\n'
                           f'{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}')
    return float(found.group(1)) - start, float(found.group(1)) - float(loop_start.group(1))


def make_checkpoints(args):
    """``{step: path}``: a real checkpoint at the first step, relabelled copies at the others."""
    import torch

    from umgclip_mm.utils.checkpoint import load_checkpoint_file
    steps = sorted(set(args.steps))
    work = osp.join(args.work_dir, 'checkpoints')
    first = osp.join(work, f'iter_{steps[0]}.pth')
    if not osp.isfile(first):
        options = common_options(args.data_root) + [
            f'train_cfg.max_iters={steps[0]}', f'train_dataloader.batch_size={args.ckpt_batch_size}',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            f'default_hooks.checkpoint.interval={steps[0]}'] + list(args.cfg_options)
        subprocess.run([sys.executable, osp.join(REPO, 'tools', 'train.py'), args.config, '--work-dir', work,
                        '--cfg-options', *options], cwd=REPO, check=True, capture_output=True, timeout=args.timeout)
    paths = {steps[0]: first}
    for step in steps[1:]:
        paths[step] = osp.join(work, f'iter_{step}.pth')
        ckpt = load_checkpoint_file(first)
        ckpt['meta']['iter'] = step
        ckpt.get('message_hub', {}).get('runtime_info', {})['iter'] = step
        torch.save(ckpt, paths[step])
    return paths


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        run_child(*args.child, args.cfg_options)
        return
    if not osp.isdir(args.data_root):
        sys.exit(f'--data-root {args.data_root} does not exist: make the toy world with '
                 f'python tools/dataset_converters/make_synthetic.py {args.data_root}')
    checkpoints = make_checkpoints(args)
    seconds = {}
    for step, checkpoint in checkpoints.items():
        for loop in args.loops:
            total, in_loop = timed_resume(args, loop, step, checkpoint, osp.join(args.work_dir, f'{loop}_{step}'))
            seconds[step, loop] = total, in_loop
            print(f'resume at step {step}, {loop} loop: {total:.1f} s from process start to the first new iteration '
                  f'({in_loop:.1f} s of them from the start of the training loop)', flush=True)
    print('\nseconds from process start to the first new iteration (from the start of the training loop: the data '
          'skipped and the first new batch loaded)')
    print('| resume at step | ' + ' | '.join(args.loops) + (' | ratio |' if len(args.loops) == 2 else ' |'))
    print('| --- ' * (len(args.loops) + 1 + (len(args.loops) == 2)) + '|')
    for step in checkpoints:
        row = [f'{seconds[step, loop][0]:.1f} ({seconds[step, loop][1]:.1f})' for loop in args.loops]
        if len(args.loops) == 2:
            row.append(f'{seconds[step, args.loops[0]][0] / seconds[step, args.loops[1]][0]:.1f}x')
        print(f'| {step} | ' + ' | '.join(row) + ' |')


if __name__ == '__main__':
    main()
