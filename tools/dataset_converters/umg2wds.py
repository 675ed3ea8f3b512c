#!/usr/bin/env python
r"""Convert UMG JSON-lines shards (docs/data_format.md; image paths relative to a data root) into WebDataset tar
shards for `UMGWebDataset`: one `<key>.json` (the record) and one `<key>.<image extension>` (the image file's bytes,
not re-encoded) per image, `--shard-size` images per shard, plus a shard index (`OUT-index.json`, webdataset's wids
format: each shard's sample count, so the data set knows its epoch length without reading the shards).

Keys are the running sample number (`00000000`, `00000001`, ...); each JSON keeps the record's `image` path for
reference. A line that is not JSON, has no `image`, or whose image is missing or not a jpg/jpeg/png/webp/bmp file
is skipped and reported.

Example:
    python tools/dataset_converters/make_synthetic.py data/synthetic
    python tools/dataset_converters/umg2wds.py data/synthetic/umg/train.jsonl data/synthetic/wds/train \
        --data-root data/synthetic --shard-size 500
    # writes data/synthetic/wds/train-000000.tar ... and data/synthetic/wds/train-index.json; then
    # python tools/train.py configs/quickstart/pretrain_wds_synthetic.py
"""
import argparse
import glob
import io
import json
import os
import os.path as osp
import sys
import tarfile
import time

IMAGE_EXTS = ('jpg', 'jpeg', 'png', 'webp', 'bmp')  # as umgclip_mm.datasets.tar_shards reads them


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o444, 0  # fixed metadata: the same input gives the same bytes
    tar.addfile(info, io.BytesIO(data))


class ShardWriter:
    """Write samples into ``OUT-000000.tar``, ``OUT-000001.tar``, ... of ``shard_size`` samples each, each shard
    under a temporary name until it is complete; keep the sample count of each for the index."""

    def __init__(self, out: str, shard_size: int):
        self.out, self.shard_size = out, shard_size
        self.shards, self.tar, self.path, self.count = [], None, None, 0

    def write(self, key: str, meta: bytes, ext: str, image: bytes) -> None:
        if self.tar is None or self.count == self.shard_size:
            self.close()
            self.path = f'{self.out}-{len(self.shards):06d}.tar'
            self.tar, self.count = tarfile.open(self.path + '.tmp', 'w', format=tarfile.USTAR_FORMAT), 0
        add_member(self.tar, f'{key}.json', meta)
        add_member(self.tar, f'{key}.{ext}', image)
        self.count += 1

    def close(self) -> None:
        if self.tar is None:
            return
        self.tar.close()
        os.replace(self.path + '.tmp', self.path)
        self.shards.append(dict(url=osp.basename(self.path), nsamples=self.count))
        print(f'wrote {self.path} ({self.count} samples)', flush=True)
        self.tar = None


def convert(args) -> int:
    files = sorted({f for pattern in args.ann_files for f in (glob.glob(pattern) or [pattern])})
    missing = [f for f in files if not osp.isfile(f)]
    if missing:
        raise FileNotFoundError(f'JSON-lines shard(s) not found: {missing}')
    total = sum(1 for f in files for line in open(f, encoding='utf-8') if line.strip())
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    writer = ShardWriter(args.out, args.shard_size)
    written, bad, t0 = 0, 0, time.time()

    def skip(where, why):
        nonlocal bad
        bad += 1
        if bad <= 20:
            print(f'skipped {where}: {why}', file=sys.stderr)

    done = 0
    for path in files:
        with open(path, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                done += 1
                where = f'{osp.basename(path)}:{lineno}'
                try:
                    rec = json.loads(line)
                    image = rec['image']
                except (ValueError, KeyError, TypeError) as err:
                    skip(where, f'not a UMG record ({err!r})')
                    continue
                ext = osp.splitext(image)[1][1:].lower()
                image_path = osp.join(args.data_root, image)
                if ext not in IMAGE_EXTS:
                    skip(where, f'{image}: not one of {IMAGE_EXTS}')
                    continue
                try:
                    with open(image_path, 'rb') as img:
                        data = img.read()
                except OSError as err:
                    skip(where, f'{image_path}: {err.strerror or err} (is --data-root {args.data_root!r} right?)')
                    continue
                writer.write(f'{written:08d}', json.dumps(rec).encode('utf-8'), ext, data)
                written += 1
                if done % args.progress_every == 0:
                    print(f'{done}/{total} records ({100 * done / total:.0f}%), {time.time() - t0:.0f}s',
                          flush=True)
    writer.close()
    if not written:
        raise SystemExit(f'no sample written: all {total} record(s) of {files} were skipped (see above); image '
                         f'paths are read relative to --data-root {args.data_root!r}')
    index = f'{args.out}-index.json'
    with open(index, 'w', encoding='utf-8') as f:
        json.dump(dict(wids_version=1, name=osp.basename(args.out), shardlist=writer.shards), f, indent=1)
    print(f'wrote {written} samples in {len(writer.shards)} shard(s) {args.out}-*.tar and {index}; skipped {bad} '
          f'record(s); {time.time() - t0:.1f}s')
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('ann_files', nargs='+', help='UMG JSON-lines shard(s); globs allowed (quote them)')
    parser.add_argument('out', help='output prefix: writes OUT-000000.tar, OUT-000001.tar, ... and OUT-index.json')
    parser.add_argument('--data-root', required=True, help='folder the records\' image paths are relative to')
    parser.add_argument('--shard-size', type=int, default=1000, help='samples per tar shard (default 1000)')
    parser.add_argument('--progress-every', type=int, default=10000, help='print progress every N records')
    args = parser.parse_args(argv)
    if args.shard_size < 1:
        parser.error('--shard-size must be at least 1')
    convert(args)


if __name__ == '__main__':
    main()
