"""OVLVISDataset: LVIS v1 for open-vocabulary detection (train on frequent + common, evaluate on all with APr)."""
import copy
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmdet.datasets import LVISV1Dataset
from mmengine.fileio import get_local_path

from umgclip_mm.registry import DATASETS
from umgclip_mm.vocabulary import read_class_list
from .ov_coco_dataset import missing_ann_file_message

_MAKERS = (
    (r'lvis_v1_train_norare\.json', 'python tools/dataset_converters/prepare_ov_lvis.py {root}'),
    (r'lvis_v1_(train|val)\.json', 'download lvis_v1_{{train,val}}.json.zip from https://www.lvisdataset.org/dataset '
     'and unzip them into {root}/annotations'),
)
# Where mmdet's LVISV1Dataset.METAINFO spells a class unlike LVIS v1's files (their name -> mmdet's).
_MMDET_SPELLING = {'speaker_(stero_equipment)': 'speaker_(stereo_equipment)'}


def _numpy_float_for_lvis() -> None:
    """Let lvis 0.5.3's ``LVISEval`` run on numpy >= 1.24.

    lvis 0.5.3 (PyPI's last release, and mmlvis 10.5.3 alike) calls ``np.float`` in ``LVISEval.accumulate``, an
    alias numpy 1.24 removed; lvis-api's GitHub master has the fix but no release. mmdet's ``LVISMetric`` runs that
    code, so the alias is given back to the ``np`` that ``lvis.eval`` sees, and to nothing else.
    """
    try:
        import lvis.eval as lvis_eval
    except ImportError:
        return
    if not hasattr(lvis_eval.np, 'float'):

        class _NumpyWithFloat:
            float = float

            def __getattr__(self, name):
                return getattr(np, name)

        lvis_eval.np = _NumpyWithFloat()


_numpy_float_for_lvis()


@DATASETS.register_module()
class OVLVISDataset(LVISV1Dataset):
    """mmdet's ``LVISV1Dataset`` for open-vocabulary detection: the split of its classes by frequency.

    The OV-LVIS protocol (ViLD, Detic, F-VLM, F-ViT) trains on the annotations of the frequent and common classes
    (``lvis_v1_train_norare.json``, made by ``tools/dataset_converters/prepare_ov_lvis.py``) and evaluates on all
    1203 classes of ``lvis_v1_val.json``; mmdet's ``LVISMetric`` reports the rare classes' AP as ``bbox_APr`` /
    ``segm_APr``. After loading, ``metainfo`` carries ``base_classes`` and ``novel_classes``: the file's
    categories by their ``frequency`` field (novel: ``novel_frequencies``, the rare ones by default), named as
    ``metainfo['classes']`` names them.

    By default labels number all the file's categories (mmdet's behaviour: a classifier over 1203 classes in which
    the rare ones simply never appear as positives). ``metainfo=dict(classes=base_classes)`` instead numbers only
    the listed classes (names as mmdet's ``LVISV1Dataset.METAINFO``, in the file's order), drops the other
    annotations, and with ``filter_cfg=dict(filter_empty_gt=True)`` the images left without any: a classifier over
    the base classes alone, the rare ones unseen.

    A missing ``ann_file`` raises a ``FileNotFoundError`` naming the command that makes it.

    Args:
        novel_frequencies (Sequence[str]): LVIS frequencies (``'r'``, ``'c'``, ``'f'``) of the novel classes.
            Defaults to ``('r',)``.
        prepare_cmd (str, optional): The command named when ``ann_file`` is missing; by default found from the
            file name.
        class_list (str, optional): The classes to number, as a shipped class list (``'lvis_v1_base_866'``, see
            :func:`umgclip_mm.vocabulary.available_class_lists`) instead of ``metainfo=dict(classes=...)``.
        **kwargs: What ``mmdet.LVISV1Dataset`` takes.
    """

    def __init__(self,
                 *args,
                 novel_frequencies: Sequence[str] = ('r', ),
                 prepare_cmd: Optional[str] = None,
                 class_list: Optional[str] = None,
                 **kwargs):
        self.novel_frequencies = tuple(novel_frequencies)
        self.prepare_cmd = prepare_cmd
        if class_list is not None:
            metainfo = dict(kwargs.get('metainfo') or {})
            if metainfo.get('classes') is not None:
                raise ValueError('OVLVISDataset: give the classes by metainfo=dict(classes=...) or by class_list=..., '
                                 'not both')
            kwargs['metainfo'] = dict(metainfo, classes=read_class_list(class_list))
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        if '://' not in self.ann_file and not osp.isfile(self.ann_file):
            raise FileNotFoundError(missing_ann_file_message(self.ann_file, _MAKERS, self.prepare_cmd))
        try:
            from lvis import LVIS
        except ImportError:
            raise ImportError('OVLVISDataset needs the lvis package: pip install lvis (requirements/runtime.txt)') \
                from None
        with get_local_path(self.ann_file, backend_args=self.backend_args) as local_path:
            api = LVIS(local_path)
        cats = api.load_cats(api.get_cat_ids())
        bad = [c['name'] for c in cats if c.get('frequency') not in ('r', 'c', 'f')]
        if bad:
            raise ValueError(f'{self.ann_file}: categories {bad[:5]} have no "frequency" of "r", "c" or "f"; use LVIS '
                             f'v1\'s files (or prepare_ov_lvis.py\'s output), whose categories carry it')
        names = [_MMDET_SPELLING.get(c['name'], c['name']) for c in cats]
        novel = [c['frequency'] in self.novel_frequencies for c in cats]
        self._metainfo['base_classes'] = [n for n, is_novel in zip(names, novel) if not is_novel]
        self._metainfo['novel_classes'] = [n for n, is_novel in zip(names, novel) if is_novel]
        classes = list(self._metainfo['classes'])
        if classes == list(self.METAINFO['classes']):  # the default: every category of the file
            self.cat_ids = [c['id'] for c in cats]
        else:
            known = set(names)
            missing = [n for n in classes if n not in known]
            if missing:
                raise ValueError(f'{self.ann_file}: metainfo classes {missing[:5]} are not among its categories; '
                                 f'name classes as mmdet\'s LVISV1Dataset.METAINFO does')
            wanted = set(classes)
            in_file_order = [n for n in names if n in wanted]
            if in_file_order != classes:
                raise ValueError(f'{self.ann_file}: metainfo classes must follow the file\'s category order (labels '
                                 f'are numbered by it); list them as the file does, e.g. base_classes from the data '
                                 f'set\'s metainfo')
            self.cat_ids = [c['id'] for n, c in zip(names, cats) if n in wanted]
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        self.cat_img_map = copy.deepcopy(api.cat_img_map)
        data_list = []
        for img_id in api.get_img_ids():
            img = dict(api.load_imgs([img_id])[0], img_id=img_id)
            if 'file_name' not in img:  # LVIS v1 names the image by its COCO URL: .../train2017/000000391895.jpg
                img['file_name'] = img['coco_url'].replace('http://images.cocodataset.org/', '')
            anns = api.load_anns(api.get_ann_ids(img_ids=[img_id]))
            data_list.append(self.parse_data_info(dict(raw_img_info=img, raw_ann_info=anns)))
        return data_list
