"""ZeroShotClassifier: logits through the configs equal a hand computation from encode_image / encode_text of a
converted_hf_clip random-weight CLIP; region and mask levels; the class-embedding cache follows the weights; mmpretrain's runner
evaluates a folder-per-class set."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from mmengine.structures import BaseDataElement, InstanceData

from conftest import REPO
from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary.imagenet_templates import openai_imagenet_templates, openai_imagenet_vocabulary

CLASSES = ['cat', 'dog|puppy', 'red car']
IN1K = osp.join(REPO, 'configs', 'zeroshot', 'umgclip-vit-b16_zeroshot-cls_in1k.py')
CUSTOM = osp.join(REPO, 'configs', 'zeroshot', 'umgclip-vit-b16_zeroshot-cls_custom.py')


def build_from_config(path, model_cfg, ckpt, **overrides):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.default_scope)
    cfg.model.clip = model_cfg
    cfg.model.vocab_encoder.cache_dir = None
    cfg.model.update(overrides)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, ckpt, map_location='cpu', strict=True)  # what tools/test.py CONFIG CKPT does
    return model.eval(), cfg


def write_images(folder, n=2, size=40):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        paths.append(str(folder / f'img{i}.png'))
        cv2.imwrite(paths[-1], rng.integers(0, 255, (size, size + 8 * i, 3), dtype=np.uint8))
    return paths


def hand_class_embeds(clip, templates, classes):
    rows = []
    for entry in classes:
        names = entry.split('|')
        embeds = clip.encode_text([t.format(n) for n in names for t in templates])
        rows.append(F.normalize(embeds.mean(0), dim=0))
    return torch.stack(rows)


@torch.no_grad()
def test_logits_through_the_config_equal_a_hand_computation(converted_hf_clip, tmp_path):
    ckpt, model_cfg = converted_hf_clip
    model, cfg = build_from_config(IN1K, model_cfg, ckpt, vocab=CLASSES)
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    batch = pseudo_collate([pipeline(dict(img_path=p, gt_label=0)) for p in write_images(tmp_path)])
    data = model.data_preprocessor(batch, False)
    assert data['inputs'].shape == (2, 3, 224, 224)
    logits = model(data['inputs'], data['data_samples'], mode='tensor')
    # by hand: CLIP's normalisation of the RGB crop, the image and text towers, the mean over the 80 templates
    rgb = torch.stack(batch['inputs']).float().flip(1)
    mean, std = torch.tensor([122.770938, 116.7460125, 104.09373615]), torch.tensor([68.5005327, 66.6321579,
                                                                                     70.32316305])
    img = model.clip.encode_image((rgb - mean[:, None, None]) / std[:, None, None])
    protos = hand_class_embeds(model.clip, openai_imagenet_templates(), CLASSES)
    expected = model.clip.logit_scale.exp() * img @ protos.t()
    torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)
    # the weights are the converted_hf_clip ones (the checkpoint's keys were mapped to clip.*)
    state = torch.load(ckpt, weights_only=True)['state_dict']
    # CLIP's 0-d logit_scale loads into our one-element parameter
    torch.testing.assert_close(model.clip.logit_scale.reshape(()), state['logit_scale'].reshape(()))
    samples = model.test_step(batch)
    torch.testing.assert_close(torch.stack([s.pred_score for s in samples]), expected.softmax(-1))
    assert [int(s.pred_label) for s in samples] == expected.argmax(-1).tolist()


def test_imagenet_presets_are_clips_lists():
    open_clip = pytest.importorskip('open_clip')
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES, OPENAI_IMAGENET_TEMPLATES
    templates = openai_imagenet_templates()
    assert len(templates) == 80 and templates == tuple(t('{}') for t in OPENAI_IMAGENET_TEMPLATES)
    vocab = openai_imagenet_vocabulary()
    assert len(vocab) == 1000 and vocab.names[:3] == ['tench', 'goldfish', 'great white shark']
    assert len(open_clip.__version__) and vocab.names == list(IMAGENET_CLASSNAMES)


@torch.no_grad()
def test_regions_and_masks_are_classified_by_encode_regions_and_encode_masks(converted_hf_clip):
    ckpt, model_cfg = converted_hf_clip
    torch.manual_seed(0)
    inputs = torch.randn(2, 3, 32, 32)
    boxes = [torch.tensor([[0., 0., 16., 16.], [4., 8., 30., 31.]]), torch.tensor([[8., 0., 32., 20.]])]
    masks = [torch.rand(2, 32, 32) > 0.5, torch.rand(1, 32, 32) > 0.3]
    model, _ = build_from_config(IN1K, model_cfg, ckpt, vocab=CLASSES, levels=('image', 'region', 'mask'),
                                 vocab_encoder=dict(templates=['a {}.', 'the {}']))
    # mmdet's gt_instances for the first image, the UMG format's regions / masks for the second
    samples = [BaseDataElement(gt_instances=InstanceData(bboxes=boxes[0], masks=masks[0])),
               BaseDataElement(regions=InstanceData(bboxes=boxes[1]), masks=InstanceData(masks=masks[1]))]
    logits = model(inputs, samples, mode='tensor')
    protos = hand_class_embeds(model.clip, ['a {}.', 'the {}'], CLASSES)
    scale = model.clip.get_logit_scale()
    hand = dict(image=model.clip.encode_image(inputs)[:, None], region=model.clip.encode_regions(inputs, boxes),
                mask=model.clip.encode_masks(inputs, masks))
    for level, embeds in hand.items():
        assert len(logits[level]) == 2
        for lg, emb in zip(logits[level], embeds):
            torch.testing.assert_close(lg, scale * emb @ protos.t(), rtol=1e-5, atol=1e-5)
    out = model.predict(inputs, samples)
    assert out[0].pred_regions.labels.tolist() == logits['region'][0].argmax(-1).tolist()
    assert out[1].pred_masks.scores.shape == (1, 3) and out[1].pred_label.shape == (1, )
    region_only, _ = build_from_config(IN1K, model_cfg, ckpt, vocab=CLASSES, levels='region')
    with pytest.raises(ValueError, match='needs data samples'):
        region_only(inputs, mode='tensor')


def test_class_embedding_cache_is_invalidated_when_the_weights_change(converted_hf_clip, tmp_path):
    ckpt, model_cfg = converted_hf_clip
    model, _ = build_from_config(IN1K, model_cfg, ckpt, vocab=CLASSES, vocab_encoder=dict(
        templates=['a {}.'], cache_dir=str(tmp_path)))
    inputs = torch.randn(1, 3, 32, 32)
    first = model(inputs, mode='tensor')
    assert model.vocab_encoder.num_encoded == 4 and len(list(tmp_path.glob('*.pt'))) == 1
    model(inputs, mode='tensor')
    assert model.vocab_encoder.num_encoded == 4  # cached in memory
    state = torch.load(ckpt, weights_only=True)['state_dict']
    state['text_encoder.proj'] = -state['text_encoder.proj']
    model.load_state_dict({f'clip.{k}': v for k, v in state.items()})
    flipped = model(inputs, mode='tensor')
    assert model.vocab_encoder.num_encoded == 8 and len(list(tmp_path.glob('*.pt'))) == 2
    torch.testing.assert_close(flipped, -first, rtol=1e-5, atol=1e-5)
    again, _ = build_from_config(IN1K, model_cfg, ckpt, vocab=CLASSES, vocab_encoder=dict(
        templates=['a {}.'], cache_dir=str(tmp_path)))
    torch.testing.assert_close(again(inputs, mode='tensor'), first)
    assert again.vocab_encoder.num_encoded == 0  # read from the disk cache


def test_bad_arguments_are_named(converted_hf_clip):
    _, model_cfg = converted_hf_clip
    with pytest.raises(ValueError, match='levels='):
        MODELS.build(dict(type='umgclip_mm.ZeroShotClassifier', clip=model_cfg, vocab=CLASSES, levels='pixel'))
    model = MODELS.build(dict(type='umgclip_mm.ZeroShotClassifier', clip=model_cfg, vocab=CLASSES))
    with pytest.raises(RuntimeError, match='nothing to train'):
        model(torch.randn(1, 3, 32, 32), mode='loss')


def test_mmpretrain_runner_evaluates_a_folder_per_class_set(converted_hf_clip, tmp_path):
    """tools/test.py's path: the custom config, mmpretrain's CustomDataset, Accuracy and mean per-class recall."""
    ckpt, model_cfg = converted_hf_clip
    root = tmp_path / 'set'
    for name in ('cats', 'dogs', 'cars'):
        (root / name).mkdir(parents=True)
        write_images(root / name, n=2)
    cfg = Config.fromfile(CUSTOM)
    classes = ['car', 'cat', 'dog']  # the folders' sorted order
    cfg.model.clip = model_cfg
    cfg.model.vocab = classes
    cfg.model.vocab_encoder = dict(templates=['a photo of a {}.'])
    cfg.test_dataloader.dataset.update(data_root=str(root), classes=classes)
    cfg.test_dataloader.update(batch_size=4, num_workers=0)
    cfg.test_evaluator[0].topk = (1, 2)  # 3 classes
    cfg.update(work_dir=str(tmp_path / 'work'), load_from=ckpt, env_cfg=dict(dist_cfg=dict(backend='gloo')))
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert set(metrics) == {'accuracy/top1', 'accuracy/top2', 'single-label/recall'}
    # the same figures by hand: cosine of each image's embedding with 'a photo of a <class>.' per class
    model, logits, labels = runner.model, [], []
    with torch.no_grad():
        texts = F.normalize(model.clip.encode_text([f'a photo of a {c}.' for c in classes]), dim=-1)
        for batch in runner.test_dataloader:
            data = model.data_preprocessor(batch, False)
            logits.append(F.normalize(model.clip.encode_image(data['inputs']), dim=-1) @ texts.T)
            labels += [int(s.gt_label) for s in data['data_samples']]
    ranked, labels = torch.cat(logits).argsort(dim=1, descending=True), torch.tensor(labels)
    for k in (1, 2):
        hits = (ranked[:, :k] == labels[:, None]).any(1).float()
        assert metrics[f'accuracy/top{k}'] == pytest.approx(100 * float(hits.mean()), abs=1e-3)
    top1 = (ranked[:, 0] == labels).float()
    per_class = [float(top1[labels == c].mean()) for c in range(3)]
    assert metrics['single-label/recall'] == pytest.approx(100 * float(np.mean(per_class)), abs=1e-3)
    cfg.model.vocab = ['car', 'dog', 'cat']
    with pytest.raises(ValueError, match='class 1'):
        Runner.from_cfg(cfg).test()


def test_coco_region_config_runs_with_mmdets_pipeline(converted_hf_clip, tmp_path):
    """mmdet's CocoDataset, LoadAnnotations and PackDetInputs (HorizontalBoxes, BitmapMasks) through the region
    config; every non-crowd instance is scored at region and mask level."""
    ckpt, model_cfg = converted_hf_clip
    (tmp_path / 'val2017').mkdir()
    rng = np.random.default_rng(0)
    images, anns = [], []
    for i in range(2):
        cv2.imwrite(str(tmp_path / 'val2017' / f'{i}.jpg'), rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
        images.append(dict(id=i, file_name=f'{i}.jpg', height=48, width=64))
        for j, (cat, box) in enumerate(((1, [4, 4, 20, 30]), (2, [30, 10, 25, 20]))):
            x, y, w, h = box
            anns.append(dict(id=10 * i + j, image_id=i, category_id=cat, bbox=box, area=w * h, iscrowd=0,
                             segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]]))
    categories = [dict(id=1, name='person'), dict(id=2, name='bicycle')]
    (tmp_path / 'instances.json').write_text(json.dumps(dict(images=images, annotations=anns,
                                                              categories=categories)))
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'zeroshot', 'umgclip-vit-b16_zeroshot-region_coco.py'))
    cfg.model.clip = model_cfg
    cfg.model.vocab_encoder = dict(templates=['a photo of a {}.'])
    cfg.test_dataloader.dataset.update(data_root=str(tmp_path), ann_file='instances.json')
    cfg.test_dataloader.update(batch_size=2, num_workers=0)
    cfg.test_evaluator.per_class = True
    cfg.update(work_dir=str(tmp_path / 'work'), load_from=ckpt, env_cfg=dict(dist_cfg=dict(backend='gloo')))
    runner = Runner.from_cfg(cfg)
    # the boxes and masks are rescaled with the image (LoadAnnotations before Resize): 64 px wide -> 672
    packed = runner.test_dataloader.dataset[0]
    assert tuple(packed['inputs'].shape[-2:]) == (504, 672)
    torch.testing.assert_close(packed['data_samples'].gt_instances.bboxes.tensor[0],
                               torch.tensor([4., 4., 24., 34.]) * 10.5)
    assert packed['data_samples'].gt_instances.masks.masks.shape[-2:] == (504, 672)
    metrics = runner.test()
    assert metrics['zeroshot/region_count'] == 4 and metrics['zeroshot/mask_count'] == 4
    assert 'zeroshot/region_top1_person' in metrics and 'zeroshot/mask_top5' in metrics


@torch.no_grad()
def test_masks_of_smaller_images_are_padded_not_stretched(converted_hf_clip):
    """A batch is padded to its largest image; a mask at its own image's size keeps its pixels at the top left."""
    ckpt, model_cfg = converted_hf_clip
    model, _ = build_from_config(IN1K, model_cfg, ckpt, vocab=CLASSES, levels=('mask', ))
    inputs = torch.randn(2, 3, 64, 64)
    small = torch.zeros(1, 32, 48, dtype=torch.bool)  # image 0 was 32 x 48 before padding
    small[0, 4:20, 8:40] = True
    full = torch.zeros(1, 64, 64, dtype=torch.bool)
    full[0, 10:50, 10:50] = True
    samples = [BaseDataElement(masks=InstanceData(masks=small)), BaseDataElement(masks=InstanceData(masks=full))]
    logits = model.logits(inputs, samples)['mask']
    padded = torch.zeros(1, 64, 64, dtype=torch.bool)
    padded[0, :32, :48] = small[0]
    embeds = model.clip.encode_masks(inputs, [padded.float(), full.float()])
    class_embeds = model.class_embeds('test')
    for got, emb in zip(logits, embeds):
        torch.testing.assert_close(got, model.clip.get_logit_scale() * emb @ class_embeds.t(), rtol=1e-4, atol=1e-4)
