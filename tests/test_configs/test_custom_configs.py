"""The templates of configs/custom (docs/custom_data.md) on tiny data the test writes, as a user copies them: the
data_root line edited. Each builds its data sets from class files and runs the pipeline on a sample; the
vocabulary checks pass on the shipped lists and name the class where a list disagrees; the zero-shot templates
run under tools/test.py with random toy towers (a 3-class folder set reports top-1 instead of crashing on top-5)."""
import json
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DATASETS, METRICS, init_default_scope

from conftest import REPO, run_tool
from umgclip_mm.datasets.toy_world import generate
from umgclip_mm.engine.hooks.vocabulary_check_hook import check_dataset_vocabulary, check_unseen_lists
from umgclip_mm.vocabulary import build_vocabulary

CUSTOM = osp.join(REPO, 'configs', 'custom')
DET = 'fvlm_umgclip-vit-b16_vit-pyramid_8xb2-1x_custom-coco-instances.py'
PAN = 'ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_custom-coco-panoptic.py'
SEG = 'ov-semseg_umgclip-vit-b16_8xb2-80k_custom-label-maps.py'
CLS = 'umgclip-vit-b16_zeroshot-cls_custom-folders.py'
RET = 'umgclip-vit-b16_zeroshot-retrieval_custom-captions.py'


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    """The toy world in COCO instances, COCO panoptic, label maps and UMG JSON lines: 16 + 2 scenes of 64 px."""
    root = tmp_path_factory.mktemp('toy')
    generate(str(root), num_train=16, num_val=2, size=64)
    return root


def user_copy(tmp_path, name: str, data_root, extra: str = ''):
    """The template copied next to the user's data with data_root edited (and ``extra``, a child config of the copy,
    when given), loaded: ``(config, the path loaded)``."""
    with open(osp.join(CUSTOM, name)) as f:
        text = f.read()
    text = text.replace("_base_ = '../", f"_base_ = '{REPO}/configs/")
    text = re.sub(r"^data_root = '[^']*'", f"data_root = '{data_root}'", text, count=1, flags=re.M)
    text = text.replace("'configs/custom/", f"'{REPO}/configs/custom/")
    path = tmp_path / name
    path.write_text(text)
    if extra:  # a child config of the copy (merged into its dicts)
        path = tmp_path / f'toy_{name}'
        path.write_text(f"_base_ = '{tmp_path / name}'\n{extra}")
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.default_scope)
    return cfg, str(path)


def first_sample(cfg, phase: str):
    dataset = DATASETS.build(cfg[f'{phase}_dataloader'].dataset)
    return dataset, dataset[0]


def test_detection_template(toy, tmp_path):
    cfg, _ = user_copy(tmp_path, DET, f'{toy}/')
    train, item = first_sample(cfg, 'train')
    assert list(train.metainfo['classes']) == ['circle', 'square', 'triangle', 'ring', 'cross', 'diamond']
    labels = item['data_samples'].gt_instances.labels
    assert len(labels) and int(labels.max()) < 6  # only seen boxes, labelled among the seen classes
    val, item = first_sample(cfg, 'val')
    assert len(val.metainfo['classes']) == 8 and list(val.metainfo['novel_classes']) == ['star', 'hexagon']
    assert item['inputs'].shape[0] == 3
    check_dataset_vocabulary(build_vocabulary(cfg.model.train_vocab), train, 'train_dataloader.dataset')
    check_dataset_vocabulary(build_vocabulary(cfg.model.test_vocab), val, 'val_dataloader.dataset')
    # a training list in another order than the model's: named before anything runs
    reordered = tmp_path / 'seen.txt'
    reordered.write_text('square\ncircle\ntriangle\nring\ncross\ndiamond\n')
    with pytest.raises(ValueError, match="class 0 is 'circle' but the model's vocabulary has 'square'"):
        check_dataset_vocabulary(build_vocabulary(str(reordered)), train, 'train_dataloader.dataset')


def test_panoptic_template(toy, tmp_path):
    cfg, _ = user_copy(tmp_path, PAN, f'{toy}/')
    train, item = first_sample(cfg, 'train')
    assert list(train.metainfo['stuff_classes']) == ['sky', 'grass', 'water', 'wall']
    sample = item['data_samples']
    assert sample.gt_sem_seg.sem_seg.shape[-2:] == item['inputs'].shape[-2:] and max(sample.img_shape) <= 1024
    labels = {seg['category'] for i in range(len(train)) for seg in train.get_data_info(i)['segments_info']}
    assert labels and max(labels) < 10  # the seen classes' labels only
    val, _ = first_sample(cfg, 'val')
    train_vocab, test_vocab = build_vocabulary(cfg.model.train_vocab), build_vocabulary(cfg.model.test_vocab)
    check_dataset_vocabulary(train_vocab, train, 'train_dataloader.dataset')
    check_dataset_vocabulary(test_vocab, val, 'val_dataloader.dataset')

    class Evaluator:
        metrics = [METRICS.build(cfg.val_evaluator)]

    check_unseen_lists(train_vocab, test_vocab, Evaluator, 'val_evaluator')
    wrong = tmp_path / 'unseen.txt'
    wrong.write_text('star\nhexagon\n')  # sand forgotten
    Evaluator.metrics = [METRICS.build(dict(cfg.val_evaluator, unseen_classes=str(wrong)))]
    with pytest.raises(ValueError, match="'sand' is missing from the training vocabulary but OVCocoPanopticMetric"):
        check_unseen_lists(train_vocab, test_vocab, Evaluator, 'val_evaluator')


def test_semantic_template(toy, tmp_path):
    cfg, _ = user_copy(tmp_path, SEG, f'{toy}/')
    train, item = first_sample(cfg, 'train')
    assert len(train.metainfo['classes']) == 10  # the seen ones
    seg = item['data_samples'].gt_sem_seg.data
    assert set(seg.unique().tolist()) <= set(range(10)) | {255}
    val, item = first_sample(cfg, 'val')
    assert len(val.metainfo['classes']) == 13 and item['data_samples'].gt_sem_seg.data.shape[-2:] == (64, 64)
    check_dataset_vocabulary(build_vocabulary(cfg.model.train_vocab), train, 'train_dataloader.dataset')
    fewer = tmp_path / 'classes.txt'
    fewer.write_text(''.join(f'{c}\n' for c in val.metainfo['classes'][:12]))
    with pytest.raises(ValueError, match='13 classes but the model\'s vocabulary has 12'):
        check_dataset_vocabulary(build_vocabulary(str(fewer)), val, 'val_dataloader.dataset')


# random toy towers at 64 px instead of ViT-B/16 at 224 (the {model} / {dataset} slots: what else a test sets)
TOY_MODEL = """
model = dict(clip=dict(_delete_=True, **_base_.umgclip_toy) {model})
test_pipeline = [dict(t, scale=64) if 'scale' in t else dict(t, crop_size=64) if 'crop_size' in t else t
                 for t in _base_.test_pipeline]
test_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                       dataset=dict(pipeline=test_pipeline {dataset}))
"""


def random_toy_checkpoint(cfg, path) -> str:
    from umgclip_mm.registry import MODELS
    torch.manual_seed(0)
    torch.save(dict(state_dict=MODELS.build(cfg.model.clip).state_dict()), path)
    return str(path)


@pytest.mark.slow
def test_classification_template_three_classes(tmp_path):
    """A folder of three classes, names from a file: the test ends with top-1 and a note, not Accuracy's crash."""
    root = tmp_path / 'flowers'
    rng = np.random.default_rng(0)
    for folder in ('c_rose', 'a_daisy', 'b_tulip'):
        (root / folder).mkdir(parents=True)
        for k in range(2):
            cv2.imwrite(str(root / folder / f'{k}.png'), rng.integers(0, 255, (48, 56, 3), dtype=np.uint8))
    (root / 'classes.txt').write_text('daisy\ntulip\nrose\n')  # the folders' sorted order
    extra = f"classes = '{root}/classes.txt'\n" + TOY_MODEL.format(
        model=", vocab=classes, vocab_encoder=dict(templates=['a {}'], cache_dir=None)", dataset=', classes=classes')
    cfg, path = user_copy(tmp_path, CLS, str(root), extra)
    proc = run_tool('tools/test.py', path, random_toy_checkpoint(cfg, tmp_path / 'toy.pth'),
                    '--work-dir', str(tmp_path / 'work'))
    out = proc.stdout + proc.stderr
    assert re.search(r'accuracy/top1: [\d.]+', out), out[-2000:]
    assert 'top5' not in out.split('top-5 accuracy dropped')[-1]
    assert ("VocabularyAccuracy: top-5 accuracy dropped: the vocabulary has 3 classes (counted from the data set's "
            "classes); reporting top-1") in out


@pytest.mark.slow
def test_retrieval_template(toy, tmp_path):
    root = tmp_path / 'pairs'
    root.mkdir()
    with open(toy / 'umg' / 'val.jsonl') as f, open(root / 'captions.jsonl', 'w') as out:
        for line in f:  # the image level of the toy records, with the images' absolute paths
            rec = json.loads(line)
            out.write(json.dumps(dict(image=str(toy / rec['image']), height=rec['height'], width=rec['width'],
                                      captions=rec['captions'])) + '\n')
    cfg, path = user_copy(tmp_path, RET, str(root), TOY_MODEL.format(model='', dataset='') +
                    'test_evaluator = dict(topk=(1, 2))\n')
    dataset, item = first_sample(cfg, 'test')
    assert dataset.img_size == 2 and dataset.text_size == 4 and len(item['data_samples'].text) == 2
    proc = run_tool('tools/test.py', path, random_toy_checkpoint(cfg, tmp_path / 'toy.pth'),
                    '--work-dir', str(tmp_path / 'work'))
    assert re.search(r'i2t/retrieval/Recall@1: [\d.]+.*t2i/retrieval/Recall@2', proc.stdout + proc.stderr)
