"""OVCocoDataset: COCO-format detection and instance segmentation for open-vocabulary detection."""
import os.path as osp
import re
from typing import List, Optional

from mmdet.datasets import CocoDataset
from mmengine.fileio import get_local_path

from umgclip_mm.registry import DATASETS
from .unlisted_images import keep_listed_images

# The command that makes each known annotation file, by file name ({root}: the folder above annotations/).
_MAKERS = (
    (r'instances_(train2017_seen|val2017_all)_2(_oriorder)?\.json',
     'python tools/dataset_converters/prepare_ov_coco.py {root}'),
    (r'instances_(train|val)\.json', 'python tools/dataset_converters/make_synthetic.py {root}'),
    (r'instances_(train|val)2017\.json', 'download annotations_trainval2017.zip from https://cocodataset.org/#download '
     'and unzip it into {root}'),
)


def missing_ann_file_message(ann_file: str, makers=_MAKERS, prepare_cmd: Optional[str] = None) -> str:
    """The message of a missing annotation file: the file, and the command that makes it where it is known.

    Args:
        ann_file (str): The missing file (``data_root`` joined).
        makers (tuple): ``(file name regex, command template)`` pairs; ``{root}`` is the folder above
            ``annotations/``.
        prepare_cmd (str, optional): The command to name, overriding ``makers``.

    Returns:
        str: The message.
    """
    folder = osp.dirname(ann_file)
    root = osp.dirname(folder) if osp.basename(folder) == 'annotations' else folder
    cmd = prepare_cmd
    for pattern, template in makers if cmd is None else ():
        if re.fullmatch(pattern, osp.basename(ann_file)):
            cmd = template.format(root=root or '.')
            break
    how = f'make it with: {cmd}' if cmd else 'check data_root and ann_file in the config'
    return f'annotation file {ann_file} not found; {how} (docs/detection_benchmarks.md has the layout on disk)'


@DATASETS.register_module()
class OVCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset`` for open-vocabulary detection: trained on base classes, evaluated on base and novel.

    **Training on the base classes** is ``metainfo=dict(classes=base_classes)``: annotations of other categories
    are dropped (mmdet's own filtering by name), labels number the listed classes, and
    ``filter_cfg=dict(filter_empty_gt=True)`` drops the images left with no annotation. An image that shows a
    novel object keeps it as unannotated background, as in OV-COCO (OVR-CNN's split files hold only base
    annotations anyway), unless ``skip_unlisted_images=True`` leaves such images out (the inductive protocol of
    the toy world, where the file annotates every object).

    **Evaluation** lists all classes with the split: ``metainfo=dict(classes=..., base_classes=...,
    novel_classes=...)``; mmdet's ``OVCocoMetric`` reads the last two and reports ``base_ap50`` / ``novel_ap50``.

    mmdet numbers the labels in the file's category order whatever the order of ``classes``, and ignores a name the
    file lacks; both would make labels name the wrong class, so they raise here. A missing ``ann_file`` raises a
    ``FileNotFoundError`` that names the command making it (OV-COCO's split files:
    ``tools/dataset_converters/prepare_ov_coco.py``; the toy world's: ``make_synthetic.py``).

    Args:
        skip_unlisted_images (bool): In training (not ``test_mode``), leave out every image with an annotation of
            a category missing from ``metainfo['classes']``. Defaults to False.
        prepare_cmd (str, optional): The command named when ``ann_file`` is missing; by default found from the
            file name.
        **kwargs: What ``mmdet.CocoDataset`` takes.
    """

    def __init__(self, *args, skip_unlisted_images: bool = False, prepare_cmd: Optional[str] = None, **kwargs):
        self.skip_unlisted_images = skip_unlisted_images
        self.prepare_cmd = prepare_cmd
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        if '://' not in self.ann_file and not osp.isfile(self.ann_file):
            raise FileNotFoundError(missing_ann_file_message(self.ann_file, prepare_cmd=self.prepare_cmd))
        self._file_categories = None
        data_list = super().load_data_list()
        if self._file_categories is None:  # no image, so parse_data_info never ran
            with get_local_path(self.ann_file, backend_args=self.backend_args) as local_path:
                self._file_categories = self.COCOAPI(local_path).dataset.get('categories', [])
        self._check_classes()
        return data_list

    def _check_classes(self) -> None:
        """Raise where ``metainfo`` and the file's categories disagree in a way that mislabels."""
        classes = list(self.metainfo['classes'])
        file_names = [c['name'] for c in self._file_categories]
        missing = [c for c in classes if c not in file_names]
        if missing:
            raise ValueError(f'{self.ann_file}: metainfo classes {missing} are not among its categories; labels would '
                             f'shift. List only categories of the file (it has {len(file_names)})')
        in_file_order = [n for n in file_names if n in classes]
        if in_file_order != classes:
            raise ValueError(f'{self.ann_file}: metainfo classes are not in the file\'s category order, which mmdet '
                             f'numbers labels by; list them as {in_file_order}')
        if self.test_mode:
            for key in ('base_classes', 'novel_classes'):
                extra = [c for c in self.metainfo.get(key, ()) if c not in classes]
                if extra:
                    raise ValueError(f'{self.ann_file}: metainfo {key} {extra} are not in metainfo classes; '
                                     f'OVCocoMetric would leave them out. List every evaluated class in classes')
        overlap = set(self.metainfo.get('base_classes', ())) & set(self.metainfo.get('novel_classes', ()))
        if overlap:
            raise ValueError(f'{self.ann_file}: metainfo base_classes and novel_classes share {sorted(overlap)}')

    def parse_data_info(self, raw_data_info: dict) -> dict:
        if self._file_categories is None:  # the file's categories, in its order (self.coco goes after loading)
            self._file_categories = self.coco.load_cats(self.coco.get_cat_ids())
        data_info = super().parse_data_info(raw_data_info)
        data_info['has_unlisted'] = any(ann['category_id'] not in self.cat2label
                                        for ann in raw_data_info['raw_ann_info'])
        return data_info

    def filter_data(self) -> List[dict]:
        data_list = super().filter_data()
        if self.skip_unlisted_images and not self.test_mode:
            data_list = keep_listed_images(data_list, lambda d: d['has_unlisted'], self.ann_file, 'images',
                                           'metainfo classes', 'those objects as background')
        return data_list
