#!/usr/bin/env python
"""Images per second that ONE data loader worker delivers on the pretraining data path, and how many workers one GPU
needs to keep up with each tower preset.

The pipeline is the ``train_pipeline`` of configs/_base_/datasets/umg41m.py (LoadUMGImage, LoadUMGAnnotations,
UMGRandomResizedCrop at 224 px, SampleCaptions, PackUMGInputs), fed by ``UMGDataset`` (JSON-lines shard, one image
file per record) and by ``UMGWebDataset`` (a tar shard of json + jpg pairs, UMG-41M's layout, written here with
Python's tarfile). Two kinds of data, generated into a temporary folder:

    toy    the toy world's scenes (umgclip_mm/datasets/toy_world.py, what make_synthetic.py writes): 128 px, 1-4
           boxes and 3-6 RLE masks each, stored as JPEG like UMG-41M's images
    photo  photograph-sized JPEGs (about 500x375, quality 90) cut from scikit-image's bundled photos (astronaut,
           coffee, chelsea, rocket, ...), each with --regions boxes and --masks random polygon masks (or RLE with
           --mask-format rle), captions and tags at every level

One worker is one process running the pipeline sample after sample, so the stages are timed in this process, each
transform on its own ('read' is the rest: the shard line or tar member and the JSON), with torch and OpenCV
single-threaded as in a data loader worker. Each path runs ``--rounds`` times, interleaved with the others so that
machine noise falls on all alike; the median round is reported. ``base`` is LoadUMGAnnotations(lazy_masks=False)
(masks decoded to dense bitmaps when loaded, as before the fast path; everything else as in ``fast``), ``fast`` the
default (masks kept as run lengths, counted, cropped and resized from the runs); both are checked to give identical
samples. One real DataLoader with 1 worker checks the single-process figure: its worker also pays for handing the
batches to the main process, once with mmengine's ``pseudo_collate`` (every tensor of the batch in its own
shared-memory segment) and once with ``umgclip_mm.pack_collate`` (the images stacked and each kind of annotation
tensor packed into one: a few segments per batch), the same batches in both (checked).

The GPU side is not measured here (no GPU): the training throughput per GPU of each preset is taken from published
training runs (printed with its source), scaled by forward FLOPs where no run is published, and by the FLOPs that
UMG-CLIP's 75% token reduction leaves; --gpu-speedup scales all of it (e.g. for a GPU faster than an A100).

Examples:
    python tools/analysis/benchmark_datapath.py                      # 200 samples per kind, both formats
    python tools/analysis/benchmark_datapath.py --kinds photo --masks 16 --samples 400 --rounds 5
"""
import argparse
import functools
import io
import itertools
import json
import math
import os
import os.path as osp
import tarfile
import tempfile
import time
from typing import Tuple

import cv2
import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGES = ('read', 'decode', 'annotations', 'crop', 'captions', 'pack')
STAGE_OF = dict(LoadUMGImage='decode', LoadUMGAnnotations='annotations', UMGRandomResizedCrop='crop',
                SampleCaptions='captions', PackUMGInputs='pack')
PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket', 'hubble_deep_field', 'immunohistochemistry', 'retina', 'camera')
WORDS = ('person', 'dog', 'cat', 'car', 'tree', 'building', 'sky', 'road', 'grass', 'table', 'cup', 'window', 'rock',
         'water', 'helmet', 'flag', 'wall', 'sign', 'light', 'bench')
ADJECTIVES = ('red', 'small', 'large', 'wooden', 'bright', 'dark', 'old', 'white', 'striped', 'metal')

# Training images/s per A100 of published CLIP runs at 224 px, and forward GFLOPs per image-text pair
# (open_clip's docs/model_profile.csv: image tower, text tower). open_clip's docs/PRETRAINED.md: ViT-B/16 on
# LAION-400M, 176 A100-40GB for ~61 h = 10700 GPU-hours; ViT-L/14, 400 A100-40GB for ~127 h = 50800 GPU-hours
# (grad checkpointing), both 32 epochs (the laion400m_e32 weights), taken as 32 x 400M = 12.8B samples.
SAMPLES_SEEN = 12.8e9
PRESETS = (
    # name, image GFLOPs, text GFLOPs, A100 images/s, how that figure was obtained
    ('ViT-B/16', 35.13, 5.96, SAMPLES_SEEN / (10700 * 3600),
     'open_clip ViT-B/16 LAION-400M: 12.8B samples in 10700 A100-hours'),
    ('ViT-L/14', 162.03, 13.30, SAMPLES_SEEN / (50800 * 3600),
     'open_clip ViT-L/14 LAION-400M: 12.8B samples in 50800 A100-hours'),
    ('EVA02-L/14', 162.0, 13.3, SAMPLES_SEEN / (50800 * 3600),
     'the ViT-L/14 run: same forward FLOPs (175.3 vs 175.33 GFLOPs)'),
    ('EVA02-E/14', 2264.33, 47.09, SAMPLES_SEEN / (50800 * 3600) * 175.33 / 2311.42,
     'the ViT-L/14 run scaled by forward FLOPs (175.33 / 2311.42 GFLOPs)'),
)
TOKEN_KEEP = 0.25  # UMG-CLIP pretraining merges 75% of the patch tokens (configs/umgclip/*)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--samples', type=int, default=200, help='samples per kind (each path runs over all)')
    parser.add_argument('--kinds', nargs='+', choices=['toy', 'photo'], default=['toy', 'photo'])
    parser.add_argument('--formats', nargs='+', choices=['jsonl', 'tar'], default=['jsonl', 'tar'])
    parser.add_argument('--paths', nargs='+', choices=['base', 'fast'], default=['base', 'fast'],
                        help='base: masks decoded when loaded (lazy_masks=False); fast: the default pipeline')
    parser.add_argument('--masks', type=int, default=8, help='polygon masks per photo')
    parser.add_argument('--regions', type=int, default=8, help='boxes per photo')
    parser.add_argument('--mask-format', choices=['polygon', 'rle'], default='polygon',
                        help="how the photos' masks are stored")
    parser.add_argument('--rounds', type=int, default=3, help='timed passes per path (median reported)')
    parser.add_argument('--no-dataloader', action='store_true', help='skip the check with a real DataLoader')
    parser.add_argument('--batch-size', type=int, default=32,
                        help='images per batch of the DataLoader check (default 32; the presets use 128-256)')
    parser.add_argument('--gpu-speedup', type=float, default=1.0,
                        help='GPU throughput relative to the A100 figures (e.g. 2 for a GPU twice as fast)')
    parser.add_argument('--workdir', default=None, help='where to write the data (default: a temporary folder)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.samples < 1 or args.rounds < 1:
        parser.error('--samples and --rounds must be at least 1')
    return args


# ------------------------------------------------------------------------------------------------------ data
def caption(rng, n_words=(3, 12)) -> str:
    words = [rng.choice(ADJECTIVES) if i % 3 == 0 else rng.choice(WORDS) for i in range(rng.integers(*n_words))]
    return 'a ' + ' '.join(words)


def texts(rng, n_captions: int, n_tags: int) -> dict:
    return dict(captions=[caption(rng) for _ in range(n_captions)],
                tags=sorted({str(rng.choice(WORDS)) for _ in range(n_tags)}))


def star_polygon(rng, h: int, w: int) -> list:
    """A random star-shaped polygon (16 vertices) inside the image, as COCO's flat ``[x, y, ...]``."""
    r = rng.uniform(0.05, 0.35) * min(h, w)
    cx, cy = rng.uniform(r, w - r), rng.uniform(r, h - r)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 16))
    radii = r * rng.uniform(0.4, 1.0, 16)
    xs, ys = np.clip(cx + radii * np.cos(angles), 0, w - 1), np.clip(cy + radii * np.sin(angles), 0, h - 1)
    return [round(float(v), 2) for xy in zip(xs, ys) for v in xy]


def photo_samples(n: int, masks: int, regions: int, mask_format: str, seed: int):
    """``n`` (JPEG bytes, record without 'image') of photograph size, with boxes and polygon masks."""
    import skimage.data
    from pycocotools import mask as mask_utils
    rng = np.random.default_rng(seed)
    photos = []
    for name in PHOTOS:
        img = getattr(skimage.data, name)()
        photos.append(cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else np.ascontiguousarray(img[..., ::-1]))
    for i in range(n):
        src = photos[i % len(photos)]
        w, h = (375, 500) if i % 4 == 3 else (500, 375)  # every fourth one portrait
        sh, sw = src.shape[:2]
        scale = min(sh / h, sw / w) * rng.uniform(0.8, 1.0)
        ch, cw = int(h * scale), int(w * scale)
        y0, x0 = int(rng.integers(0, sh - ch + 1)), int(rng.integers(0, sw - cw + 1))
        img = cv2.resize(src[y0:y0 + ch, x0:x0 + cw], (w, h), interpolation=cv2.INTER_AREA)
        data = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
        rec = dict(height=h, width=w, **texts(rng, 3, 6), regions=[], masks=[])
        for _ in range(regions):
            bw, bh = rng.uniform(0.1, 0.6) * w, rng.uniform(0.1, 0.6) * h
            x1, y1 = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            rec['regions'].append(dict(bbox=[round(float(v), 1) for v in (x1, y1, x1 + bw, y1 + bh)],
                                       **texts(rng, 2, 2)))
        for _ in range(masks):
            seg = [star_polygon(rng, h, w) for _ in range(1 + (rng.random() < 0.25))]
            if mask_format == 'rle':
                rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
                seg = dict(size=[h, w], counts=rle['counts'].decode('ascii'))
            rec['masks'].append(dict(segmentation=seg, **texts(rng, 2, 2)))
        yield data, rec


def toy_samples(n: int, folder: str, seed: int):
    """``n`` (JPEG bytes, record without 'image') of the toy world (its PNGs re-encoded as JPEG)."""
    from umgclip_mm.datasets.toy_world import generate
    generate(folder, num_train=n, num_val=0, size=128, seed=seed)
    with open(osp.join(folder, 'umg', 'train.jsonl')) as f:
        for line in f:
            rec = json.loads(line)
            img = cv2.imread(osp.join(folder, rec.pop('image')))
            yield cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes(), rec


def write_shards(samples, folder: str) -> dict:
    """The samples as a JSON-lines shard with one image file each, and as a tar of json + jpg pairs."""
    os.makedirs(osp.join(folder, 'images'), exist_ok=True)
    jsonl, tar_path = osp.join(folder, 'train.jsonl'), osp.join(folder, 'train.tar')
    count = 0
    with open(jsonl, 'w') as lines, tarfile.open(tar_path, 'w') as tar:
        for i, (data, rec) in enumerate(samples):
            key = f'{i:06d}'
            with open(osp.join(folder, 'images', key + '.jpg'), 'wb') as f:
                f.write(data)
            lines.write(json.dumps(dict(image=f'images/{key}.jpg', **rec)) + '\n')
            for ext, payload in (('json', json.dumps(rec).encode()), ('jpg', data)):
                info = tarfile.TarInfo(f'{key}.{ext}')
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            count += 1
    return dict(jsonl=jsonl, tar=tar_path, root=folder, count=count)


# ------------------------------------------------------------------------------------------------- datasets
class Timed:
    """A transform that adds its own run time to ``clock[stage]``."""

    def __init__(self, transform, clock: dict):
        self.transform, self.clock = transform, clock
        self.stage = STAGE_OF.get(type(transform).__name__, type(transform).__name__)

    def __call__(self, results):
        t0 = time.thread_time()
        out = self.transform(results)
        self.clock[self.stage] = self.clock.get(self.stage, 0.0) + time.thread_time() - t0
        return out


def train_pipeline(path: str) -> list:
    """configs/_base_/datasets/umg41m.py's train_pipeline; ``base`` decodes the masks when loading them."""
    from mmengine.config import Config
    pipeline = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/umg41m.py')).train_pipeline
    pipeline = [dict(t) for t in pipeline]
    for t in pipeline:
        if t['type'].endswith('LoadUMGAnnotations'):
            t['lazy_masks'] = path == 'fast'
    return pipeline


def build_dataset(fmt: str, shards: dict, path: str):
    from umgclip_mm.datasets import UMGDataset, UMGWebDataset
    if fmt == 'jsonl':
        return UMGDataset(ann_files=shards['jsonl'], data_root=shards['root'], pipeline=train_pipeline(path))
    return UMGWebDataset(urls=shards['tar'], pipeline=train_pipeline(path), test_mode=True)


def samples_of(ds, fmt: str, n: int):
    return (ds[i] for i in range(n)) if fmt == 'jsonl' else itertools.islice(iter(ds), n)


def timed_pass(ds, fmt: str, n: int, seed: int) -> dict:
    """CPU seconds per sample of each stage and in all (``total``), and wall seconds per sample (``wall``), over one
    pass of ``n`` samples. CPU time (this thread's; the worker's libraries run single-threaded) is what a worker
    on a core of its own would take; the wall time also holds what other processes took from this one."""
    clock = {}
    ds.pipeline.transforms = [Timed(t.transform if isinstance(t, Timed) else t, clock)
                              for t in ds.pipeline.transforms]
    np.random.seed(seed)
    t0, w0 = time.thread_time(), time.perf_counter()
    count = sum(1 for _ in samples_of(ds, fmt, n))
    total, wall = time.thread_time() - t0, time.perf_counter() - w0
    out = {stage: clock.get(stage, 0.0) / count for stage in STAGES[1:]}
    out['read'] = max(total - sum(clock.values()), 0.0) / count
    out['total'], out['wall'] = total / count, wall / count
    return out


def same_sample(a: dict, b: dict) -> bool:
    sa, sb = a['data_samples'], b['data_samples']
    return (a['inputs'].equal(b['inputs']) and sa.caption == sb.caption and sa.tags == sb.tags
            and sa.regions.bboxes.equal(sb.regions.bboxes) and sa.regions.caption == sb.regions.caption
            and sa.masks.masks.equal(sb.masks.masks) and sa.masks.caption == sb.masks.caption
            and sa.masks.tags == sb.masks.tags)


class CollateWithCPUTime:
    """A collate function, run in the worker, returning the batch and the worker's CPU time when it is ready."""

    def __init__(self, name: str):
        from mmengine.dataset import pseudo_collate

        from umgclip_mm.engine.functions import pack_collate
        self.collate = dict(pseudo=pseudo_collate, pack=pack_collate)[name]

    def __call__(self, batch: list) -> tuple:
        return self.collate(batch), time.process_time()


def seed_worker(worker_id: int, seed: int) -> None:
    """The same random draws in the worker of every DataLoader (both collates get the same batches)."""
    import random
    random.seed(seed)
    np.random.seed(seed)


def dataloader_figures(ds, fmt: str, n: int, batch_size: int, collate: str, seed: int) -> Tuple[float, float, list]:
    """``(worker CPU seconds per image, wall images/s, batches)`` of a real DataLoader with one worker, from its
    first batch to its last (start-up excluded). The CPU time is the worker process's, so it includes handing the
    batches to the main process (tensors moved to shared memory)."""
    from torch.utils.data import DataLoader
    loader = DataLoader(ds, batch_size=batch_size, num_workers=1, collate_fn=CollateWithCPUTime(collate),
                        sampler=range(n) if fmt == 'jsonl' else None,
                        worker_init_fn=functools.partial(seed_worker, seed=seed))
    it = iter(loader)
    first, cpu0 = next(it)
    w0, images, cpu1, batches = time.perf_counter(), 0, cpu0, [first]
    for batch, cpu1 in it:
        images += len(batch['inputs'])
        batches.append(batch)
    return (cpu1 - cpu0) / max(images, 1), images / max(time.perf_counter() - w0, 1e-9), batches


def same_batches(pseudo: list, pack: list) -> bool:
    """The batches of both collates hold the same images and samples."""
    import torch
    return len(pseudo) == len(pack) and all(
        torch.equal(torch.stack(a['inputs']), b['inputs'] if torch.is_tensor(b['inputs']) else
                    torch.stack(b['inputs']))
        and all(same_sample(dict(inputs=x, data_samples=sa), dict(inputs=x, data_samples=sb))
                for x, sa, sb in zip(a['inputs'], a['data_samples'], b['data_samples']))
        for a, b in zip(pseudo, pack))


# ------------------------------------------------------------------------------------------------------ main
def print_stages(figures: dict, args) -> None:
    print(f'\nOne data loader worker, the train_pipeline of configs/_base_/datasets/umg41m.py at 224 px, '
          f'{args.samples} samples per kind, median of {args.rounds} rounds. CPU ms per sample by stage, images/s '
          'on a core of its own (CPU) and as timed on this machine (wall)')
    if 'photo' in args.kinds:
        print(f'photo: ~500x375 JPEG, {args.regions} boxes, {args.masks} {args.mask_format} masks; toy: 128 px '
              'toy-world scenes (1-4 boxes, 3-6 RLE masks)')
    print(f"{'format':<7}{'kind':<7}{'path':<6}" + ''.join(f'{s:>12}' for s in STAGES)
          + f"{'total':>9}{'img/s CPU':>11}{'img/s wall':>11}")
    for c, f in figures.items():
        print(f'{c[0]:<7}{c[1]:<7}{c[2]:<6}' + ''.join(f'{1e3 * f[s]:>12.3f}' for s in STAGES)
              + f"{1e3 * f['total']:>9.3f}{1 / f['total']:>11.1f}{1 / f['wall']:>11.1f}")
    print('\nShare of each stage in a sample\'s CPU time (%); fast over base (CPU time per sample)')
    for c, f in figures.items():
        line = f'{c[0]:<7}{c[1]:<7}{c[2]:<6}' + ' '.join(f'{s} {100 * f[s] / f["total"]:.0f}' for s in STAGES)
        base = figures.get((c[0], c[1], 'base'))
        if c[2] == 'fast' and base:
            masks = (base['annotations'] + base['crop']) / max(f['annotations'] + f['crop'], 1e-12)
            line += f'   speed-up {base["total"] / f["total"]:.2f}x (annotations + crop {masks:.2f}x)'
        print(line)


def check_identical(datasets: dict, n: dict, args) -> None:
    """Run base and fast from the same seed and compare every packed sample."""
    for fmt, kind in itertools.product(args.formats, args.kinds):
        outs = []
        for path in ('base', 'fast'):
            np.random.seed(args.seed)
            outs.append(list(samples_of(datasets[(fmt, kind, path)], fmt, n[(fmt, kind, path)])))
        same = len(outs[0]) == len(outs[1]) and all(map(same_sample, *outs))
        print(f'{fmt}/{kind}: fast and base give identical samples (all {len(outs[0])}): {"yes" if same else "NO"}')


def print_workers(figures: dict, args) -> None:
    print(f'\nWorkers one GPU needs = ceil(GPU images/s x CPU s per sample), a worker on a core of its own ("DL": '
          f'measured in the DataLoader\'s worker, with each collate). GPU images/s per A100'
          f'{f" x {args.gpu_speedup:g}" if args.gpu_speedup != 1 else ""}: CLIP (published runs), and UMG-CLIP '
          'with 75% of the patch tokens merged, as configs/umgclip train (FLOP estimate)')
    rates = []
    for name, img_gf, txt_gf, rate, _ in PRESETS:
        clip = rate * args.gpu_speedup
        rates.append((name, clip, clip * (img_gf + txt_gf) / (TOKEN_KEEP * img_gf + txt_gf)))
    print(f"{'':<24}" + ''.join(f'{name:>13}' for name, _, _ in rates))
    print(f"{'GPU img/s CLIP':<24}" + ''.join(f'{clip:>13.1f}' for _, clip, _ in rates))
    print(f"{'GPU img/s UMG-CLIP':<24}" + ''.join(f'{umg:>13.1f}' for _, _, umg in rates))
    short = []
    for c, f in figures.items():
        label = '/'.join(c).replace('/DL ', ' DL ')
        need = [(math.ceil(clip * f['total']), math.ceil(umg * f['total'])) for _, clip, umg in rates]
        print(f'{label:<24}' + ''.join(f'{f"{a} / {b}":>13}' for a, b in need))
        short += [f'{name} on {label} ({b})' for (name, _, _), (_, b) in zip(rates, need) if b > 8]
    print('(workers at the CLIP / UMG-CLIP rate) more than 8 at the UMG-CLIP rate: '
          + ('; '.join(short) if short else 'none'))
    print('Sources and assumptions:')
    for name, img_gf, txt_gf, _, source in PRESETS:
        print(f'  {name}: {source}; forward GFLOPs image {img_gf:g} + text {txt_gf:g} (open_clip '
              'docs/model_profile.csv)')
    print('  UMG-CLIP img/s = CLIP img/s x (image + text GFLOPs) / (0.25 x image + text GFLOPs): the image tower '
          'on a quarter of the tokens. Not counted: the k-means of the token reduction, RoIAlign and mask pooling, '
          'and the text tower on region and mask captions, which all lower the GPU rate (fewer workers needed).')


def main(argv=None):
    args = parse_args(argv)
    import torch
    torch.set_num_threads(1)  # what torch's DataLoader worker loop sets
    cv2.setNumThreads(0)  # what mmengine's env_cfg (opencv_num_threads=0) sets before the workers fork
    from mmengine.logging import MMLogger
    MMLogger.get_instance('benchmark_datapath', log_level='WARNING')  # the data sets' set-up lines stay quiet

    with tempfile.TemporaryDirectory() as tmp:
        root = args.workdir or tmp
        shards = {}
        for kind in args.kinds:
            if kind == 'photo':
                samples = photo_samples(args.samples, args.masks, args.regions, args.mask_format, args.seed)
            else:
                samples = toy_samples(args.samples, osp.join(root, 'toy_world'), args.seed)
            shards[kind] = write_shards(samples, osp.join(root, kind))
        combos = [(fmt, kind, path) for fmt in args.formats for kind in args.kinds for path in args.paths]
        datasets = {c: build_dataset(c[0], shards[c[1]], c[2]) for c in combos}
        n = {c: shards[c[1]]['count'] for c in combos}

        for c in combos:  # warm-up (imports, caches)
            timed_pass(datasets[c], c[0], min(n[c], 8), args.seed)
        passes = {c: [] for c in combos}
        for _ in range(args.rounds):
            for c in combos:
                passes[c].append(timed_pass(datasets[c], c[0], n[c], args.seed))
        figures = {c: sorted(p, key=lambda f: f['total'])[len(p) // 2] for c, p in passes.items()}
        print_stages(figures, args)
        if set(args.paths) == {'base', 'fast'}:
            check_identical(datasets, n, args)
        loaders = {}
        if not args.no_dataloader:
            print('\nA real DataLoader with 1 worker, from its first batch to its last: the worker\'s CPU ms per image '
                  '(with handing the batches over) and wall images/s, against this process\'s; pseudo_collate '
                  f'(a shared-memory segment per tensor) and pack_collate (a few per batch), {args.rounds} '
                  'interleaved rounds, the median')
            for c in combos:
                if c[1] == args.kinds[-1] and c[2] == args.paths[-1]:
                    got, runs = {}, {k: [] for k in ('pseudo', 'pack')}
                    batch = max(1, min(args.batch_size, n[c] // 3))  # 3 batches at least: the first is not timed
                    for _ in range(args.rounds):  # interleaved, the median round reported
                        for collate in runs:
                            cpu, rate, got[collate] = dataloader_figures(datasets[c], c[0], n[c], batch, collate,
                                                                         args.seed)
                            runs[collate].append((cpu, rate))
                    for collate, timed in runs.items():
                        cpu, rate = sorted(timed)[len(timed) // 2]
                        loaders[c + (f'DL {collate}',)] = dict(total=cpu)
                        print(f"{'/'.join(c)} {collate + '_collate':<15}: worker {1e3 * cpu:.3f} ms CPU "
                              f"({1 / max(cpu, 1e-9):.1f} images/s), {rate:.1f} images/s wall; single process "
                              f"{1e3 * figures[c]['total']:.3f} ms CPU, {1 / figures[c]['wall']:.1f} images/s wall")
                    before, after = (loaders[c + (f'DL {k}',)]['total'] for k in ('pseudo', 'pack'))
                    alone = figures[c]['total']
                    print(f"{'/'.join(c)}: pack_collate over pseudo_collate {before / max(after, 1e-12):.2f}x "
                          f"(worker CPU per image); handing over (worker - single process) "
                          f"{1e3 * (before - alone):.3f} -> {1e3 * (after - alone):.3f} ms per image; the same "
                          f"batches: {'yes' if same_batches(*got.values()) else 'NO'}")
        print_workers({**figures, **loaders}, args)


if __name__ == '__main__':
    main()
