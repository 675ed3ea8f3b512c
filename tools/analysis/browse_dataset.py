"""Browse a data set as the model will see it: pictures of samples after a config's pipeline, for every family.

    python tools/analysis/browse_dataset.py CONFIG [--output-dir DIR] [--show-number N] [--phase train|val|test]

What is drawn depends on the data sample the pipeline packs:

- UMG pretraining (``PackUMGInputs``): each region's box and each mask in its colour with an id, and a panel with
  the image's captions and tags and every region's and mask's caption and tags (``UMGLocalVisualizer``);
- detection, instance and panoptic (mmdet's ``DetDataSample``): boxes, masks and segments with class names
  (``OVDetLocalVisualizer``, mmdet's ``DetLocalVisualizer``);
- semantic (mmseg's ``SegDataSample``): the label map with class names (mmseg's ``SegLocalVisualizer``);
- classification (mmpretrain's ``DataSample`` with ``gt_label``): the image and its class (mmpretrain's
  ``UniversalVisualizer``); retrieval (``DataSample`` with ``text``): the image and its captions.

Images whose short side is below ``--min-size`` are enlarged by a whole factor (nearest neighbour, annotations
with them) so that the names stay readable on toy-sized inputs. A config that sets no data set for the phase says
which phases it has.
"""
import argparse
import itertools
import math
import os
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DATASETS, init_default_scope
from mmengine.structures import BaseDataElement, PixelData
from mmengine.utils import ProgressBar
from torch.utils.data import IterableDataset

import umgclip_mm  # noqa: F401 (registers the project's data sets, transforms and visualizers)

PHASES = ('train', 'val', 'test')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Draw samples of a config\'s data set after its pipeline (boxes, '
                                     'masks and their captions and tags; class names; label maps; captions).')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', default='work_dirs/browse_dataset', help='where the PNGs are written')
    parser.add_argument('--show-number', type=int, default=10, help='samples drawn (the first N; 0: all)')
    parser.add_argument('--phase', default='train', choices=PHASES, help='whose data loader\'s data set')
    parser.add_argument('--min-size', type=int, default=400,
                        help='enlarge images with a shorter side (by a whole factor) before drawing')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args(argv)


def _repeat(value, factor: int):
    """``value`` enlarged ``factor`` times along its last two axes (nearest neighbour)."""
    if isinstance(value, torch.Tensor):
        return value.repeat_interleave(factor, -2).repeat_interleave(factor, -1)
    return np.asarray(value).repeat(factor, -2).repeat(factor, -1)


def enlarge(image: np.ndarray, sample, factor: int) -> np.ndarray:
    """Enlarge ``image`` and, in place, the sample's boxes, masks and label maps by a whole ``factor``."""
    if factor == 1:
        return image
    for key in ('gt_instances', 'regions', 'masks'):
        instances = sample.get(key)
        if instances is None:
            continue
        if 'bboxes' in instances:
            instances.bboxes = instances.bboxes * factor
        if 'masks' in instances:
            instances.masks = _repeat(instances.masks, factor)
    for key in ('gt_panoptic_seg', 'gt_sem_seg'):
        maps = sample.get(key)
        if maps is not None:
            setattr(sample, key, PixelData(metainfo=maps.metainfo, **{k: _repeat(v, factor) for k, v in maps.items()}))
    return np.ascontiguousarray(image.repeat(factor, 0).repeat(factor, 1))


def loads_after_resize(pipeline) -> bool:
    """Whether a pipeline loads its annotations after resizing the image (mmdet's and mmseg's test pipelines do, to
    score at the original size): its boxes, masks and maps are then at the original size."""
    names = [str(t.get('type', '')).split('.')[-1] for t in pipeline or [] if isinstance(t, dict)]
    loads = [i for i, n in enumerate(names) if n.startswith('Load') and 'Annotations' in n]
    resizes = [i for i, n in enumerate(names) if 'Resize' in n]
    return bool(loads and resizes and loads[0] > resizes[0])


def _resize_nearest(value, height: int, width: int):
    """``[..., H, W]`` masks or maps resized by nearest neighbour, keeping their type."""
    tensor = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
    flat = tensor.reshape(-1, 1, *tensor.shape[-2:]).double()
    out = torch.nn.functional.interpolate(flat, size=(height, width), mode='nearest').to(tensor.dtype)
    out = out.reshape(*tensor.shape[:-2], height, width)
    return out if isinstance(value, torch.Tensor) else out.numpy()


def fit_to_image(sample, height: int, width: int, boxes_at_original: bool) -> None:
    """Bring, in place, annotations loaded at the original size to the image's: boxes scaled (when
    ``boxes_at_original``), masks and label maps resized by nearest neighbour."""
    ori = sample.metainfo.get('ori_shape')
    instances = sample.get('gt_instances')
    if instances is not None:
        if boxes_at_original and ori and tuple(ori[:2]) != (height, width) and 'bboxes' in instances:
            sy, sx = height / ori[0], width / ori[1]
            instances.bboxes = instances.bboxes * torch.tensor([sx, sy, sx, sy], dtype=instances.bboxes.dtype)
        if 'masks' in instances and tuple(instances.masks.shape[-2:]) != (height, width):
            instances.masks = _resize_nearest(instances.masks, height, width)
    for key in ('gt_panoptic_seg', 'gt_sem_seg'):
        maps = sample.get(key)
        if maps is not None and tuple(maps.shape) != (height, width):
            setattr(sample, key, PixelData(metainfo=maps.metainfo,
                                           **{k: _resize_nearest(v, height, width) for k, v in maps.items()}))


def det_sample(sample):
    """mmdet's data sample as ``DetLocalVisualizer`` draws it: boxes as a tensor, masks as a bool array."""
    from mmdet.models.utils import mask2ndarray
    from mmdet.structures.bbox import BaseBoxes
    instances = sample.get('gt_instances')
    if instances is not None:
        if isinstance(instances.get('bboxes'), BaseBoxes):
            instances.bboxes = instances.bboxes.tensor
        if instances.get('masks') is not None:
            instances.masks = mask2ndarray(instances.masks).astype(bool)
    return sample


class Drawer:
    """Picks the visualizer for the data set's samples (by the packed data sample's type) and draws with it.

    Args:
        metainfo (dict): The data set's meta (``classes``, ``palette``, ``thing_classes`` ...).
    """

    def __init__(self, metainfo: dict):
        self.metainfo = dict(metainfo or {})
        self.visualizers = {}

    def _visualizer(self, family: str):
        if family in self.visualizers:
            return self.visualizers[family]
        if family == 'det':
            from umgclip_mm.visualization import OVDetLocalVisualizer
            vis = OVDetLocalVisualizer(name='browse_det')
            vis.dataset_meta = self.metainfo
        elif family == 'seg':
            from mmseg.visualization import SegLocalVisualizer
            vis = SegLocalVisualizer(name='browse_seg', alpha=0.6)
            vis.set_dataset_meta(classes=self.metainfo.get('classes'), palette=self.metainfo.get('palette'))
        elif family == 'cls':
            from mmpretrain.visualization import UniversalVisualizer
            vis = UniversalVisualizer(name='browse_cls')
        else:
            from umgclip_mm.visualization import UMGLocalVisualizer
            vis = UMGLocalVisualizer(name='browse_umg')
        self.visualizers[family] = vis
        return vis

    @staticmethod
    def family(sample) -> str:
        """``'det'``, ``'seg'``, ``'cls'`` or ``'umg'`` (pretraining and image-caption samples)."""
        kind = type(sample).__name__
        if kind == 'DetDataSample':
            return 'det'
        if kind == 'SegDataSample':
            return 'seg'
        if kind == 'DataSample' and 'gt_label' in sample:
            return 'cls'
        if isinstance(sample, BaseDataElement):
            return 'umg'
        raise TypeError(f'browse_dataset: the pipeline packs a {kind}, which no visualizer here draws; end the '
                        'pipeline with PackUMGInputs, PackDetInputs, PackSegInputs or PackInputs')

    def __call__(self, name: str, image: np.ndarray, sample, out_file: str) -> None:
        family = self.family(sample)
        vis = self._visualizer(family)
        if family == 'det':
            vis.add_datasample(name, image, sample, draw_pred=False, out_file=out_file)
        elif family == 'seg':
            vis.add_datasample(name, image, sample, draw_pred=False, out_file=out_file)
        elif family == 'cls':
            vis.visualize_cls(image, sample, classes=self.metainfo.get('classes'), draw_pred=False,
                              out_file=out_file, name=name)
        else:
            vis.add_datasample(name, image, sample, out_file=out_file)


def samples(dataset, number: int):
    """The first ``number`` samples (all with 0) after the pipeline, as ``(index, item)``."""
    if isinstance(dataset, IterableDataset):
        stream = iter(dataset)
        return enumerate(itertools.islice(stream, number) if number else stream)
    count = min(number, len(dataset)) if number else len(dataset)
    return ((i, dataset[i]) for i in range(count))


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'umgclip_mm'))
    loader = cfg.get(f'{args.phase}_dataloader')
    if not loader or not loader.get('dataset'):
        have = [p for p in PHASES if (cfg.get(f'{p}_dataloader') or {}).get('dataset')]
        print(f'browse_dataset: {args.config} sets no {args.phase}_dataloader.dataset; it has '
              f'{", ".join(have) or "none"} (use --phase {have[0] if have else "..."})', file=sys.stderr)
        return 2
    dataset = DATASETS.build(loader['dataset'])
    at_original = loads_after_resize(loader['dataset'].get('pipeline'))
    drawer = Drawer(getattr(dataset, 'metainfo', None))
    os.makedirs(args.output_dir, exist_ok=True)
    total = min(args.show_number, len(dataset)) if args.show_number and hasattr(dataset, '__len__') else None
    progress = ProgressBar(total) if total else None
    written = 0
    for index, item in samples(dataset, args.show_number):
        inputs, sample = item['inputs'], item['data_samples']
        if not isinstance(inputs, torch.Tensor):
            raise TypeError(f'browse_dataset: sample {index} has {type(inputs).__name__} inputs (several views?); '
                            'only single-image pipelines are drawn')
        image = inputs.permute(1, 2, 0).numpy()[..., ::-1]  # the pipelines' BGR to RGB
        if Drawer.family(sample) == 'det':
            sample = det_sample(sample)
        fit_to_image(sample, *image.shape[:2], boxes_at_original=at_original)
        short = min(image.shape[:2])
        image = enlarge(image, sample, math.ceil(args.min_size / short) if short < args.min_size else 1)
        path = sample.metainfo.get('img_path') or f'sample_{index}'
        name = f'{index:04d}_{osp.splitext(osp.basename(path))[0]}'
        drawer(name, np.ascontiguousarray(image), sample, osp.join(args.output_dir, name + '.png'))
        written += 1
        if progress:
            progress.update()
    family = Drawer.family(sample) if written else '-'
    print(f'\n{written} picture{"" if written == 1 else "s"} of {args.phase} samples ({family}) in {args.output_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
