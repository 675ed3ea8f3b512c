"""What is in UMG JSON-lines shards, per source and level, and what is wrong with them.

    python tools/analysis/umg_stats.py SHARD_OR_GLOB... [--out-dir DIR] [--group-by shard|image-dir] [--top-tags N]

Per source: images, regions and masks; captions and tags of each level (image, region, mask); caption length in
words; the most frequent tags; and the bad records counted by kind. Every record goes through the data set's own
checks (``parse_record`` for the record, ``LoadUMGAnnotations`` for its boxes, masks and texts), so a record or
item counted bad here is one that ``UMGDataset`` would skip in training; images are not opened. Writes
``umg_stats.json`` (all numbers) and ``umg_stats.png`` (the distributions) into ``--out-dir`` and prints a table.

A source is the shard's path without its shard number (``--group-by shard``: ``vg/train-00003.jsonl`` -> ``vg/train``)
or the first folder of each record's image path (``--group-by image-dir``: ``cc3m/000/1.jpg`` -> ``cc3m``, how
UMG-41M names its images).
"""
import argparse
import glob
import json
import logging
import os
import os.path as osp
import re
import sys
from collections import Counter, defaultdict

import numpy as np
from mmengine.logging import MMLogger
from mmengine.utils import ProgressBar

from umgclip_mm.datasets import LoadUMGAnnotations
from umgclip_mm.datasets.skip_report import SKIPS
from umgclip_mm.datasets.umg_dataset import parse_record

LEVELS = ('image', 'region', 'mask')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Counts, caption lengths, tag frequencies and bad records of UMG '
                                     'JSON-lines shards, per source and level, with a PNG of the distributions.')
    parser.add_argument('shards', nargs='+', help='JSON-lines shard files or glob patterns')
    parser.add_argument('--out-dir', default='work_dirs/umg_stats', help='where umg_stats.json / .png go')
    parser.add_argument('--group-by', default='shard', choices=('shard', 'image-dir'), help='what a source is')
    parser.add_argument('--top-tags', type=int, default=20, help='most frequent tags listed and drawn')
    return parser.parse_args(argv)


def bad_kind(message: str) -> str:
    """The kind of a ``parse_record`` error: its message without the offending value."""
    return re.split(r' \(|, got', message, maxsplit=1)[0]


def shard_sources(shards):
    """Per shard its source name: the path below the shards' common folder, without extension and shard number."""
    common = osp.commonpath([osp.dirname(osp.abspath(s)) for s in shards])
    names = {}
    for shard in shards:
        rel = osp.splitext(osp.relpath(osp.abspath(shard), common))[0]
        names[shard] = re.sub(r'[-_.]?\d+$', '', rel) or rel
    return names


class Stats:
    """Counts of one source."""

    def __init__(self):
        self.lines = 0
        self.images = 0
        self.bad = Counter()  # record errors by kind
        self.dropped = Counter()  # items and texts the annotation loader dropped, by reason
        self.items = Counter()  # 'region' / 'mask': valid items
        self.captions = Counter()  # per level
        self.tags = Counter()  # per level
        self.caption_words = defaultdict(list)  # per level: words of each caption
        self.tag_freq = defaultdict(Counter)  # per level: tag -> count
        self.per_image = defaultdict(list)  # 'region' / 'mask': items of each image

    def to_dict(self, top: int) -> dict:
        out = dict(records=self.lines, images=self.images, bad_records=dict(self.bad),
                   dropped_items=dict(self.dropped), levels={})
        for level in LEVELS:
            words = self.caption_words[level]
            out['levels'][level] = dict(
                items=self.images if level == 'image' else self.items[level], captions=self.captions[level],
                tags=self.tags[level], caption_words_mean=float(np.mean(words)) if words else 0.0,
                top_tags=self.tag_freq[level].most_common(top))
        return out


def collect(shards, group_by: str):
    """Read every record of ``shards`` once: ``{source: Stats}``."""
    loader = LoadUMGAnnotations()
    names = shard_sources(shards)
    stats = defaultdict(Stats)
    for shard in shards:
        with open(shard, 'rb') as f:
            lines = [line for line in f if line.strip()]
        progress = ProgressBar(len(lines), file=sys.stderr) if len(lines) > 1000 else None
        for number, line in enumerate(lines, 1):
            where = f'{osp.basename(shard)}:{number}'
            try:
                rec = parse_record(line)
            except ValueError as err:
                s = stats[names[shard]]
                s.lines += 1
                s.bad[bad_kind(str(err))] += 1
                continue
            source = names[shard] if group_by == 'shard' else rec['image'].replace('\\', '/').split('/')[0]
            s = stats[source]
            s.lines += 1
            s.images += 1
            before = Counter(SKIPS.counts)
            results = loader(dict(rec, source=where))
            s.dropped.update(Counter(SKIPS.counts) - before)
            add_texts(s, 'image', results['captions'], results['tags'])
            for level in ('region', 'mask'):
                items = results[f'{level}s']
                s.items[level] += len(items)
                s.per_image[level].append(len(items))
                for captions, tags in zip(items.captions, items.tags):
                    add_texts(s, level, captions, tags)
            if progress:
                progress.update()
    return dict(stats)


def add_texts(s: Stats, level: str, captions, tags) -> None:
    s.captions[level] += len(captions)
    s.tags[level] += len(tags)
    s.caption_words[level].extend(len(c.split()) for c in captions)
    s.tag_freq[level].update(tags)


def _integer_histograms(ax, series: dict, title: str, xlabel: str, ylabel: str) -> None:
    """One step histogram per non-empty series of non-negative integers, with its count and mean."""
    for label, values in series.items():
        if values:
            ax.hist(values, bins=np.arange(0, max(values) + 2) - 0.5, histtype='step', linewidth=2,
                    label=f'{label} ({len(values)}, mean {np.mean(values):.1f})')
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()


def plot(stats: dict, top: int, path: str) -> None:
    """Four panels: items per source and level, caption length per level, items per image, the top tags."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2, figsize=(14, 10))
    sources = sorted(stats)
    width = 0.8 / 3
    ax = axes[0, 0]
    for k, (label, get) in enumerate((('images', lambda s: s.images), ('regions', lambda s: s.items['region']),
                                      ('masks', lambda s: s.items['mask']))):
        values = [get(stats[src]) for src in sources]
        bars = ax.bar(np.arange(len(sources)) + (k - 1) * width, values, width, label=label)
        ax.bar_label(bars, fontsize=8)
    ax.set_xticks(np.arange(len(sources)), sources, rotation=20, ha='right')
    ax.set_title('images, regions and masks per source')
    ax.legend()
    _integer_histograms(axes[0, 1], {f'{level} captions': [w for s in stats.values() for w in s.caption_words[level]]
                                     for level in LEVELS}, 'caption length (words)', 'words', 'captions')
    _integer_histograms(axes[1, 0], {f'{level}s': [c for s in stats.values() for c in s.per_image[level]]
                                     for level in ('region', 'mask')}, 'items per image', 'items', 'images')
    ax = axes[1, 1]
    freq = Counter()
    for s in stats.values():
        for level in LEVELS:
            freq.update(s.tag_freq[level])
    common = freq.most_common(top)[::-1]
    ax.barh([t for t, _ in common], [c for _, c in common])
    ax.set_title(f'the {len(common)} most frequent tags (all levels)')
    ax.set_xlabel('occurrences')
    bad = Counter()
    for s in stats.values():
        bad.update(s.bad)
        bad.update(s.dropped)
    fig.suptitle('bad: ' + ('; '.join(f'{k} {v}' for k, v in bad.most_common()) or 'none'), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def table(stats: dict) -> str:
    head = ['source', 'records', 'images', 'bad', 'regions', 'masks'] + [f'{lv} cap/tag' for lv in LEVELS]
    rows = [head]
    for src in sorted(stats):
        s = stats[src]
        rows.append([src, s.lines, s.images, sum(s.bad.values()), s.items['region'], s.items['mask']] +
                    [f'{s.captions[lv]}/{s.tags[lv]}' for lv in LEVELS])
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(head))]
    return '\n'.join('  '.join(str(v).ljust(w) for v, w in zip(r, widths)) for r in rows)


def main(argv=None) -> int:
    args = parse_args(argv)
    shards = []
    for pattern in args.shards:
        matched = sorted(glob.glob(pattern))
        if not matched:
            print(f'umg_stats: no shard matches {pattern!r}', file=sys.stderr)
            return 2
        shards.extend(matched)
    # the annotation loader's per-item warnings are counted here instead of logged one by one
    MMLogger.get_instance('umg_stats', log_level=logging.ERROR)
    stats = collect(shards, args.group_by)
    os.makedirs(args.out_dir, exist_ok=True)
    summary = {src: stats[src].to_dict(args.top_tags) for src in sorted(stats)}
    with open(osp.join(args.out_dir, 'umg_stats.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    plot(stats, args.top_tags, osp.join(args.out_dir, 'umg_stats.png'))
    print(table(stats))
    for src, s in sorted(stats.items()):
        for what, counts in (('bad records', s.bad), ('dropped items', s.dropped)):
            if counts:
                print(f'{src}: {what}: ' + '; '.join(f'{k} {v}' for k, v in counts.most_common()))
    print(f'written: {osp.join(args.out_dir, "umg_stats.json")}, {osp.join(args.out_dir, "umg_stats.png")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
