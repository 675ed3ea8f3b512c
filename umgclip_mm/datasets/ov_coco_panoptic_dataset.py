"""OVCocoPanopticDataset: COCO-format panoptic segmentation restricted to a subset of its categories."""
from typing import List

from mmdet.datasets import CocoPanopticDataset

from umgclip_mm.registry import DATASETS
from .unlisted_images import keep_listed_images


@DATASETS.register_module()
class OVCocoPanopticDataset(CocoPanopticDataset):
    """mmdet's ``CocoPanopticDataset`` where ``metainfo`` may name only some of the file's categories: how an
    open-vocabulary model is trained on the "seen" classes of a data set whose file lists every class.

    Segments of the other categories are dropped, so their pixels are unlabelled. Mask2Former's classifier then
    learns to call such regions "no object", which suppresses exactly the classes it should later find; the
    inductive zero-shot protocol avoids this by leaving those images out of training (``skip_unlisted_images``).
    With every category in ``metainfo`` it is exactly mmdet's data set.

    Args:
        skip_unlisted_images (bool): In training (not ``test_mode``), leave out every image that shows a category
            missing from ``metainfo``.
        **kwargs: What ``mmdet.CocoPanopticDataset`` takes; ``metainfo=dict(classes=..., thing_classes=...,
            stuff_classes=...)`` selects the categories (names as in the annotation file).
    """

    def __init__(self, *args, skip_unlisted_images: bool = False, **kwargs):
        self.skip_unlisted_images = skip_unlisted_images
        super().__init__(*args, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> dict:
        anns = raw_data_info['raw_ann_info']
        kept = [ann for ann in anns if ann['category_id'] in self.cat2label]
        data_info = super().parse_data_info(dict(raw_data_info, raw_ann_info=kept))
        data_info['has_unlisted'] = len(kept) < len(anns)
        return data_info

    def filter_data(self) -> List[dict]:
        data_list = super().filter_data()
        if self.skip_unlisted_images and not self.test_mode:
            data_list = keep_listed_images(data_list, lambda d: d['has_unlisted'], self.ann_file, 'images',
                                           'metainfo', 'those regions unlabelled')
        return data_list
