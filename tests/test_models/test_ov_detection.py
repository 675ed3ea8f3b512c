"""The open-vocabulary two-stage detector (F-VLM design): its three modes, the region ensemble against a direct
computation, and the heads' vocabulary rules."""
import copy

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox_overlaps
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from umgclip_mm.models.open_vocab import geometric_ensemble
from umgclip_mm.registry import MODELS

from conftest import REPO, TINY_TEXT, TINY_VIT

TRAIN = ['circle', 'square', 'triangle']
TEST = TRAIN + ['star', 'hexagon']


def detector_cfg():
    cfg = Config.fromfile(f'{REPO}/configs/_base_/models/ov_faster-rcnn_vit-pyramid.py')
    cfg.merge_from_dict({
        'model.clip': dict(type='umgclip_mm.UMGCLIP', backbone=dict(TINY_VIT, out_indices=(1, )),
                           text_encoder=copy.deepcopy(TINY_TEXT)),
        'model.neck.out_channels': 32, 'model.neck.scale_factors': (2.0, 1.0, 0.5, 0.25),
        'model.rpn_head.in_channels': 32, 'model.rpn_head.feat_channels': 32,
        'model.rpn_head.anchor_generator.scales': [4],
        'model.roi_head.bbox_roi_extractor.out_channels': 32,
        'model.roi_head.bbox_head.in_channels': 32, 'model.roi_head.bbox_head.fc_out_channels': 64,
        'model.train_vocab': TRAIN, 'model.test_vocab': TEST,
        'model.vocab_encoder.templates': ['a {}'],
        'model.test_cfg.rcnn.score_thr': 0.0})
    return cfg.model


@pytest.fixture(scope='module')
def detector():
    init_default_scope('mmdet')
    torch.manual_seed(0)
    m = MODELS.build(detector_cfg())
    m.init_weights()
    return m


def det_samples(n=2, size=64):
    out = []
    for i in range(n):
        s = DetDataSample(metainfo=dict(img_shape=(size, size), batch_input_shape=(size, size),
                                        ori_shape=(size, size), pad_shape=(size, size), scale_factor=(1., 1.)))
        s.gt_instances = InstanceData(labels=torch.tensor([0, 2]),
                                      bboxes=torch.tensor([[8. + i, 8., 30. + i, 28.], [36., 30., 60., 58.]]))
        out.append(s)
    return out


def test_loss_trains_only_neck_and_heads(detector):
    detector.train()
    losses = detector.loss(torch.randn(2, 3, 64, 64), det_samples())
    assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k for v in (v if isinstance(v, list) else [v]))
    assert torch.isfinite(total)
    detector.zero_grad()
    total.backward()
    assert all(p.grad is None for p in detector.clip.parameters())
    assert not detector.clip.training
    fc_cls = detector.roi_head.bbox_head.fc_cls
    assert fc_cls.proj.weight.grad.abs().sum() > 0 and fc_cls.void_embed.grad.abs().sum() > 0
    assert detector.roi_head.bbox_head.num_classes == len(TRAIN)


def test_predict_and_tensor_modes_use_the_test_vocabulary(detector):
    detector.eval()
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        out = detector(inputs, det_samples(), mode='predict')
        (roi_outs, ) = detector(inputs, det_samples(), mode='tensor')  # mmdet's: the RoI head's (cls, box)
    assert detector.roi_head.bbox_head.num_classes == len(TEST)
    pred = out[0].pred_instances
    assert len(pred.bboxes) > 0 and pred.bboxes.shape[1] == 4
    assert int(pred.labels.max()) < len(TEST)
    assert roi_outs[0].shape[-1] == len(TEST) + 1  # test classes + background
    # back to training: the training vocabulary again
    detector.train()
    detector.loss(torch.randn(1, 3, 64, 64), det_samples(1))
    assert detector.roi_head.bbox_head.num_classes == len(TRAIN)


def test_region_ensemble_against_direct_computation(detector):
    """The scores the RoI head post-processes are the geometric ensemble of its logits with the frozen UMG-CLIP's
    region logits of the regressed boxes (RoIAlign on the dense features of the same pass)."""
    detector.eval()
    inputs = torch.randn(2, 3, 64, 64)
    seen = []
    real = detector.apply_ensemble

    def spy(feats, level, boxes, logits):
        out = real(feats, level, boxes, logits)
        seen.append((feats, [b.clone() for b in boxes], logits.clone(), out.clone()))
        return out

    detector.apply_ensemble = spy
    try:
        with torch.no_grad():
            detector(inputs, det_samples(), mode='predict')
    finally:
        del detector.apply_ensemble
    (feats, boxes, logits, out), = seen
    assert len(boxes) == 2 and sum(len(b) for b in boxes) == len(logits) > 0
    with torch.no_grad():
        region = detector.clip.encode_regions(inputs, boxes)
        text = detector.clip.encode_text([f'a {c}' for c in TEST])
        oov = detector.clip.get_logit_scale() * torch.cat(region) @ text.t()
    seen_mask = torch.tensor([c in TRAIN for c in TEST])
    want = geometric_ensemble(logits, oov, seen_mask, 0.35, 0.65)
    assert torch.allclose(out, want, atol=1e-4)
    # the boxes are the regressed ones, inside the image
    assert all(float(b.min()) >= 0 and float(b.max()) <= 64 for b in boxes)


def test_branch_off_changes_the_scores(detector):
    detector.eval()
    inputs = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        on = detector(inputs, det_samples(1), mode='predict')[0].pred_instances
        ensemble, detector.ensemble = detector.ensemble, None
        try:
            off = detector(inputs, det_samples(1), mode='predict')[0].pred_instances
        finally:
            detector.ensemble = ensemble
    assert len(on) and len(off)
    assert not torch.allclose(on.scores[:5], off.scores[:5])


def test_heads_refuse_vocabulary_dependent_weights():
    init_default_scope('mmdet')
    cfg = detector_cfg()
    cfg.roi_head.bbox_head.reg_class_agnostic = False
    with pytest.raises(ValueError, match='reg_class_agnostic'):
        MODELS.build(cfg)
    cfg = detector_cfg()
    cfg.roi_head.mask_roi_extractor = dict(type='SingleRoIExtractor', out_channels=32, featmap_strides=[4, 8, 16, 32],
                                           roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0))
    cfg.roi_head.mask_head = dict(type='FCNMaskHead', num_convs=1, in_channels=32, conv_out_channels=32,
                                  num_classes=3, loss_mask=dict(type='CrossEntropyLoss', use_mask=True))
    with pytest.raises(ValueError, match='class_agnostic'):
        MODELS.build(cfg)
    cfg.roi_head.mask_head.class_agnostic = True
    assert MODELS.build(cfg).roi_head.with_mask


def sized_sample(h, w, batch_shape):
    return DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w), scale_factor=(1., 1.),
                                       batch_input_shape=batch_shape))


def test_an_images_predictions_do_not_depend_on_its_batch(detector):
    """A 64 x 64 image alone, and beside a 64 x 96 one (so padded to 64 x 96 in the batch): the same boxes, scores
    and labels, the ensemble included (the frozen ViT attends over the padding, and the RPN proposes in it, unless
    each image is predicted at its own size)."""
    detector.eval()
    torch.manual_seed(1)
    image, other = torch.randn(3, 64, 64), torch.randn(3, 64, 96)
    batch = torch.zeros(2, 3, 64, 96)
    batch[0, :, :, :64], batch[1] = image, other
    with torch.no_grad():
        alone = detector(image[None], [sized_sample(64, 64, (64, 64))], mode='predict')[0].pred_instances
        both = detector(batch, [sized_sample(64, 64, (64, 96)), sized_sample(64, 96, (64, 96))], mode='predict')
    beside_other = both[0].pred_instances
    assert detector.ensemble is not None
    assert len(alone) > 0 and len(alone) == len(beside_other)
    torch.testing.assert_close(beside_other.bboxes, alone.bboxes)
    torch.testing.assert_close(beside_other.scores, alone.scores)
    assert torch.equal(beside_other.labels, alone.labels)
    assert len(both[1].pred_instances) > 0 and both[1].batch_input_shape == (64, 96)


def test_predicts_under_cpu_bf16_autocast(detector):
    """`--dtype bf16` on CPU (image_demo.py, profile_inference.py): the tower runs in bfloat16 and the RPN, the RoI
    head and the ensemble in fp32 (mmcv's nms and roi_align have no bfloat16 CPU kernel), so the boxes come out, in
    fp32, close to the fp32 run's."""
    detector.eval()
    torch.manual_seed(2)
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        fp32 = detector(image, [sized_sample(64, 64, (64, 64))], mode='predict')[0].pred_instances
        with torch.autocast('cpu', dtype=torch.bfloat16):
            bf16 = detector(image, [sized_sample(64, 64, (64, 64))], mode='predict')[0].pred_instances
    assert len(bf16) > 0 and bf16.bboxes.dtype == torch.float32 and bf16.scores.dtype == torch.float32
    best = int(fp32.scores.argmax())
    iou = bbox_overlaps(fp32.bboxes[best:best + 1], bf16.bboxes).max()
    assert float(iou) > 0.5, iou
