"""The open-vocabulary semantic segmentors (mmseg runner): OVEncoderDecoder's modes and ensemble, ZeroShotSegmentor
against a direct computation, and the panoptic model's semantic output."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from umgclip_mm.models.heads import semantic_probs
from umgclip_mm.registry import MODELS

from conftest import REPO

CLASSES = ['circle', 'square', 'triangle', 'sky', 'grass']
TEST_CLASSES = CLASSES + ['star', 'sand']


def segmentor_cfg(tiny_model_cfg):
    """The full-size base config at the quickstart's toy head sizes, on the tiny test towers."""
    toy = Config.fromfile(f'{REPO}/configs/_base_/models/ov_mask2former_toy.py')
    cfg = Config.fromfile(f'{REPO}/configs/_base_/models/ov_encoder_decoder.py')
    cfg.merge_from_dict({'model.neck': toy.toy_neck, 'model.decode_head': toy.toy_head,
                         'model.train_cfg': toy.toy_train_cfg})
    model = cfg.model
    model.clip = tiny_model_cfg
    model.train_vocab = CLASSES
    model.test_vocab = TEST_CLASSES
    return model


def seg_samples(n=2, size=32, ignore=255):
    out = []
    for i in range(n):
        s = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size),
                                        padding_size=[0, 0, 0, 0]))
        sem = torch.full((1, size, size), ignore)
        sem[0, :size // 2], sem[0, size // 2:] = 3, 4
        sem[0, 4:12, 4 + i:12 + i] = 1
        s.gt_sem_seg = PixelData(data=sem)
        out.append(s)
    return out


@pytest.fixture(scope='module')
def segmentor(request):
    from conftest import TINY_TEXT, TINY_VIT
    init_default_scope('mmseg')
    torch.manual_seed(0)
    tiny = dict(type='umgclip_mm.UMGCLIP', backbone=dict(TINY_VIT, out_indices=(1, )),
                text_encoder=copy.deepcopy(TINY_TEXT))
    m = MODELS.build(segmentor_cfg(tiny))
    m.init_weights()
    return m


def test_semantic_probs_is_maskformer_semantic_inference():
    cls, masks = torch.randn(2, 4, 6), torch.randn(2, 4, 5, 7)
    want = torch.einsum('bqc,bqhw->bchw', cls.softmax(-1)[..., :-1], masks.sigmoid())
    assert torch.allclose(semantic_probs(cls, masks), want, atol=1e-6)
    # log-probabilities (what the ensemble returns) give the same result as the logits they came from
    assert torch.allclose(semantic_probs(cls.log_softmax(-1), masks), want, atol=1e-6)


def test_encoder_decoder_loss_trains_only_neck_and_head(segmentor):
    segmentor.train()
    losses = segmentor.loss(torch.randn(2, 3, 32, 32), seg_samples())
    assert {'loss_cls', 'loss_mask', 'loss_dice', 'd0.loss_cls'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    segmentor.zero_grad()
    total.backward()
    assert all(p.grad is None for p in segmentor.clip.parameters())
    assert not segmentor.clip.training
    assert segmentor.decode_head.cls_embed.proj.weight.grad.abs().sum() > 0
    assert segmentor.decode_head.num_classes == len(CLASSES)


def test_encoder_decoder_ignores_pixels_at_ignore_index(segmentor):
    """Pixels at ignore_index are in no ground-truth mask: a map that is all ignore gives no mask target."""
    gt, _ = segmentor.decode_head._seg_data_to_instance_data(seg_samples(1, ignore=255))
    assert sorted(gt[0].labels.tolist()) == [1, 3, 4]
    segmentor.decode_head.ignore_index = 3
    try:
        gt, _ = segmentor.decode_head._seg_data_to_instance_data(seg_samples(1, ignore=255))
        assert 3 not in gt[0].labels.tolist()
    finally:
        segmentor.decode_head.ignore_index = 255


def test_encoder_decoder_predict_and_tensor_modes(segmentor):
    segmentor.eval()
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        cls, masks = segmentor(inputs, seg_samples(), mode='tensor')
        out = segmentor(inputs, seg_samples(), mode='predict')
    assert cls[-1].shape == (2, 20, len(TEST_CLASSES) + 1)
    assert out[0].pred_sem_seg.data.shape == (1, 32, 32)
    assert out[0].seg_logits.data.shape == (len(TEST_CLASSES), 32, 32)
    assert int(out[0].pred_sem_seg.data.max()) < len(TEST_CLASSES)
    # the scores are the ensembled mask classification: recompute it from the head's outputs
    with torch.no_grad():
        feats = segmentor.clip_features(inputs)
        mask_cls = segmentor.apply_ensemble(feats, 'mask', list(masks[-1]), cls[-1])
        want = semantic_probs(mask_cls, F.interpolate(masks[-1], size=(32, 32), mode='bilinear'))
    assert torch.allclose(out[0].seg_logits.data, want[0], atol=1e-5)
    # without the branch the head's own classification is used, and the result differs
    ensemble, segmentor.ensemble = segmentor.ensemble, None
    try:
        with torch.no_grad():
            plain = segmentor(inputs, seg_samples(), mode='predict')[0].seg_logits.data
    finally:
        segmentor.ensemble = ensemble
    assert torch.allclose(plain, semantic_probs(cls[-1], F.interpolate(masks[-1], size=(32, 32),
                                                                        mode='bilinear'))[0], atol=1e-5)
    assert not torch.allclose(plain, want[0], atol=1e-4)


def test_encoder_decoder_slide_inference_covers_the_image(segmentor):
    segmentor.eval()
    old = segmentor.test_cfg
    segmentor.test_cfg = Config(dict(mode='slide', crop_size=(32, 32), stride=(16, 16))).to_dict()
    from mmengine.config import ConfigDict
    segmentor.test_cfg = ConfigDict(segmentor.test_cfg)
    try:
        with torch.no_grad():
            out = segmentor(torch.randn(1, 3, 48, 64), seg_samples(1, size=48), mode='predict')
    finally:
        segmentor.test_cfg = old
    assert out[0].seg_logits.data.shape == (len(TEST_CLASSES), 48, 48)  # cropped to ori_shape 48x48


@pytest.fixture(scope='module')
def zero_shot():
    from conftest import TINY_TEXT, TINY_VIT
    init_default_scope('mmseg')
    torch.manual_seed(0)
    cfg = copy.deepcopy(Config.fromfile(f'{REPO}/configs/_base_/models/zero_shot_segmentor.py').model)
    cfg.clip = dict(type='umgclip_mm.UMGCLIP', backbone=copy.deepcopy(TINY_VIT), text_encoder=copy.deepcopy(TINY_TEXT))
    cfg.vocab = TEST_CLASSES
    cfg.vocab_encoder = dict(templates=['a {}'])
    m = MODELS.build(cfg)
    m.init_weights()
    return m.eval()


def test_zero_shot_segmentor_equals_direct_computation(zero_shot):
    inputs = torch.randn(2, 3, 32, 48)
    with torch.no_grad():
        out = zero_shot(inputs, None, mode='predict')
        text = zero_shot.clip.encode_text([f'a {c}' for c in TEST_CLASSES])
        dense = zero_shot.clip.encode_dense(inputs)
        logits = zero_shot.clip.get_logit_scale() * torch.einsum('bdhw,cd->bchw', dense, text)
        want = F.interpolate(logits, size=(32, 48), mode='bilinear', align_corners=False)
        tensor = zero_shot(inputs, None, mode='tensor')
    assert torch.allclose(tensor, want, atol=1e-5)
    assert torch.allclose(out[1].seg_logits.data, want[1], atol=1e-5)
    assert torch.equal(out[1].pred_sem_seg.data[0], want[1].argmax(0))


def test_zero_shot_segmentor_on_sides_off_the_patch_grid(zero_shot):
    """An input whose sides are not multiples of the patch size: the tower pads it, and the score maps are resized to
    the pixels the grid covers and cropped, so pixel (y, x) reads the cell over it (not a map stretched onto it)."""
    p = zero_shot.clip.backbone.patch_size
    inputs = torch.randn(1, 3, 2 * p + 3, 3 * p + 5)
    with torch.no_grad():
        tensor = zero_shot(inputs, None, mode='tensor')
        text = zero_shot.clip.encode_text([f'a {c}' for c in TEST_CLASSES])
        padded = F.pad(inputs, (0, p - 5, 0, p - 3))
        logits = zero_shot.clip.get_logit_scale() * torch.einsum('bdhw,cd->bchw', zero_shot.clip.encode_dense(padded),
                                                                 text)
        want = F.interpolate(logits, size=padded.shape[-2:], mode='bilinear', align_corners=False)
    assert tensor.shape[-2:] == inputs.shape[-2:] and logits.shape[-2:] == (3, 4)
    assert torch.allclose(tensor, want[..., :2 * p + 3, :3 * p + 5], atol=1e-5)


def test_zero_shot_segmentor_has_nothing_to_train(zero_shot):
    with pytest.raises(RuntimeError, match='nothing to train'):
        zero_shot.loss(torch.randn(1, 3, 32, 32), seg_samples(1))
    assert sum(p.requires_grad for p in zero_shot.parameters()) == 0


def test_zero_shot_segmentor_loads_a_umgclip_checkpoint(zero_shot, tmp_path):
    """tools/test.py CONFIG CHECKPOINT with a UMG-CLIP (or converted CLIP) checkpoint: keys map to clip.*."""
    state = {k[len('clip.'):]: v + 1 for k, v in zero_shot.state_dict().items() if k.startswith('clip.')}
    other = copy.deepcopy(zero_shot)
    other.load_state_dict(state)
    key = next(iter(state))
    assert torch.equal(other.state_dict()[f'clip.{key}'], state[key])


def test_one_class_vocabulary_is_refused_with_the_fix(zero_shot, segmentor):
    for model in (zero_shot, segmentor):
        model.set_vocabulary(['cat'])
        try:
            with pytest.raises(ValueError, match='at least two classes.*background'):
                model(torch.randn(1, 3, 32, 32), seg_samples(1), mode='predict')
        finally:
            model.set_vocabulary(TEST_CLASSES)
