"""UMGRetrievalDataset: a UMG-format set as an image-text retrieval test set for mmpretrain's retrieval loops."""
from typing import List, Optional

from umgclip_mm.registry import DATASETS

from .umg_dataset import UMGDataset


@DATASETS.register_module()
class UMGRetrievalDataset(UMGDataset):
    """The images of UMG JSON-lines files and their image captions, as mmpretrain's ``COCORetrieval`` gives an
    evaluation set: each item carries ``text`` (its captions), ``gt_text_id`` (their indices among all captions),
    ``gt_image_id`` and ``image_id`` (its index), and the set has ``img_size`` / ``text_size``, which
    ``RetrievalTestLoop`` reads. Every record is read once at construction; invalid ones are skipped (logged with
    ``shard:line``) and records without a caption are left out.

    Args:
        ann_files (str | Sequence[str]): JSON-lines files or glob patterns (see :class:`UMGDataset`).
        max_captions (int, optional): Keep the first ``max_captions`` captions of each image (``None``: all).
        **kwargs: The rest of :class:`UMGDataset`'s arguments (``data_root``, ``pipeline``, ...).
    """

    def __init__(self, ann_files, max_captions: Optional[int] = None, **kwargs):
        super().__init__(ann_files, **kwargs)
        self.images: List[int] = []
        self.captions: List[List[str]] = []
        for index in range(len(self.offsets)):
            rec = self.get_record(index)
            caps = [c for c in (rec or {}).get('captions', []) if isinstance(c, str) and c.strip()]
            if caps:
                self.images.append(index)
                self.captions.append(caps[:max_captions])
        if not self.images:
            raise ValueError(f'{self.shards}: no record with an image caption to retrieve')
        self.first_text_id = [0]
        for caps in self.captions:
            self.first_text_id.append(self.first_text_id[-1] + len(caps))
        self.img_size = len(self.images)
        self.text_size = self.first_text_id[-1]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        rec = self.get_record(self.images[index])
        caps = self.captions[index]
        start = self.first_text_id[index]
        rec.update(text=caps, gt_text_id=list(range(start, start + len(caps))), gt_image_id=[index] * len(caps),
                   image_id=index)
        return self.pipeline(rec)
