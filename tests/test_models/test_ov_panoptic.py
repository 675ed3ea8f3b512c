"""The open-vocabulary panoptic model: its modes, vocabulary switching, the ensemble, and its parts."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import REPO
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

from umgclip_mm.models.open_vocab import geometric_ensemble
from umgclip_mm.registry import MODELS

CFG = osp.join(REPO, 'configs', 'quickstart', 'panoptic_synthetic.py')


@pytest.fixture(scope='module')
def model():
    cfg = Config.fromfile(CFG)
    cfg.model.clip.init_cfg = None
    init_default_scope('mmdet')
    torch.manual_seed(0)
    m = MODELS.build(cfg.model)
    m.init_weights()
    return m


def samples(n=2, size=64):
    out = []
    for i in range(n):
        s = DetDataSample(metainfo=dict(img_shape=(size, size), batch_input_shape=(size, size),
                                        ori_shape=(size, size), pad_shape=(size, size), scale_factor=(1., 1.)))
        thing = np.zeros((1, size, size), np.uint8)
        thing[0, 8:24, 8 + i:24 + i] = 1
        s.gt_instances = InstanceData(labels=torch.tensor([2]), masks=BitmapMasks(thing, size, size),
                                      bboxes=torch.tensor([[8. + i, 8., 24. + i, 24.]]))
        sem = torch.full((1, size, size), 255)
        sem[0, :size // 2], sem[0, size // 2:] = 6, 7  # two seen stuff classes of the training vocabulary
        sem[0, 8:24, 8 + i:24 + i] = 2
        s.gt_sem_seg = PixelData(sem_seg=sem)
        out.append(s)
    return out


def test_loss_trains_only_the_neck_and_head(model):
    model.train()
    losses = model.loss(torch.randn(2, 3, 64, 64), samples())
    assert {'loss_cls', 'loss_mask', 'loss_dice', 'd0.loss_cls'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    model.zero_grad()
    total.backward()
    assert all(p.grad is None for p in model.clip.parameters())
    assert not any(p.requires_grad for p in model.clip.parameters())
    assert not model.clip.training  # the frozen towers stay in eval mode
    assert model.panoptic_head.cls_embed.proj.weight.grad.abs().sum() > 0
    assert model.panoptic_head.cls_embed.void_embed.grad.abs().sum() > 0
    assert model.neck.lateral_convs[0].conv.weight.grad.abs().sum() > 0
    trainable, total_params = model.parameter_counts()
    assert 0 < trainable < total_params
    # the classifier was the training vocabulary's: 10 seen classes + void
    assert model.panoptic_head.num_classes == 10 and model.panoptic_head.num_things_classes == 6


def test_predict_and_tensor_modes_use_the_test_vocabulary(model):
    model.eval()
    with torch.no_grad():
        cls, masks = model(torch.randn(2, 3, 64, 64), samples(), mode='tensor')
        out = model(torch.randn(2, 3, 64, 64), samples(), mode='predict')
    assert cls[-1].shape == (2, 20, 14)  # 13 test classes + void
    assert masks[-1].shape[:2] == (2, 20)
    pan = out[0].pred_panoptic_seg.sem_seg
    assert pan.shape == (1, 64, 64)
    assert model.panoptic_fusion_head.num_classes == 13
    # back to training: head and fusion head follow the training vocabulary again
    model.train()
    model.loss(torch.randn(2, 3, 64, 64), samples())
    assert model.panoptic_head.num_classes == 10 and model.panoptic_fusion_head.num_classes == 10
    assert model.panoptic_fusion_head.num_things_classes == 6


def test_deprecated_set_test_vocabulary_warns_and_sets_the_vocabulary(model):
    """set_test_vocabulary, the name users may have called, still switches the test vocabulary, with a warning."""
    old = model.test_vocab
    try:
        with pytest.warns(DeprecationWarning, match=r'set_vocabulary\(vocab\)'):
            model.set_test_vocabulary(dict(thing_classes=['star'], stuff_classes=['sky', 'sea']))
        assert model.test_vocab.names == ['star', 'sky', 'sea'] and model.test_vocab.num_things == 1
    finally:
        model.set_vocabulary(old)


def test_vocabulary_switching_keeps_the_checkpoint(model):
    """Any vocabulary, same weights: the class embeddings are non-persistent and equal a direct computation."""
    keys = set(model.state_dict())
    assert not any('class_embeds' in k for k in keys)
    model.eval()
    model.set_vocabulary(dict(thing_classes=['circle|disc', 'star'], stuff_classes=['sky']))
    with torch.no_grad():
        cls, _ = model(torch.randn(1, 3, 64, 64), samples(1), mode='tensor')
        prompts = [t.format(n) for n in ('circle', 'disc') for t in model.vocab_encoder.templates]
        direct = F.normalize(model.clip.encode_text(prompts).sum(0), dim=0)
    assert cls[-1].shape[-1] == 4
    torch.testing.assert_close(model.panoptic_head.cls_embed.class_embeds[0], direct, rtol=1e-5, atol=1e-6)
    assert set(model.state_dict()) == keys
    # loading weights recomputes the cached embeddings from the loaded towers
    with torch.no_grad():
        model.clip.text_encoder.proj.mul_(-1)
    model.load_state_dict(model.state_dict())
    with torch.no_grad():
        model(torch.randn(1, 3, 64, 64), samples(1), mode='tensor')
        direct = F.normalize(model.clip.encode_text(prompts).sum(0), dim=0)
    torch.testing.assert_close(model.panoptic_head.cls_embed.class_embeds[0], direct, rtol=1e-5, atol=1e-6)
    assert model.test_vocab.seen_mask(model.train_vocab) == [True, False, True]


def test_geometric_ensemble_against_direct_computation():
    torch.manual_seed(0)
    in_logits, oov_logits = torch.randn(3, 5, 5), torch.randn(3, 5, 4)
    seen = torch.tensor([True, False, True, False])
    out = geometric_ensemble(in_logits, oov_logits, seen, alpha=0.4, beta=0.8).exp()
    p_in = np.exp(in_logits.numpy()) / np.exp(in_logits.numpy()).sum(-1, keepdims=True)
    p_oov = np.exp(oov_logits.numpy()) / np.exp(oov_logits.numpy()).sum(-1, keepdims=True)
    w = np.array([0.4, 0.8, 0.4, 0.8])
    score = p_in[..., :4]**(1 - w) * p_oov**w
    expected = np.concatenate([score / score.sum(-1, keepdims=True) * (1 - p_in[..., 4:]), p_in[..., 4:]], -1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-7)
    # a mask that pooled nothing keeps the classifier's probabilities
    valid = torch.ones(3, 5, dtype=torch.bool)
    valid[1, 2] = False
    kept = geometric_ensemble(in_logits, oov_logits, seen, 0.4, 0.8, valid).exp()
    torch.testing.assert_close(kept[1, 2], torch.from_numpy(p_in[1, 2]).float(), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(kept[0], out[0])


def test_oov_branch_changes_unseen_scores_only_through_the_frozen_model(model):
    model.eval()
    model.set_vocabulary(dict(thing_classes=['circle', 'star'], stuff_classes=['sky']))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = model.clip.forward_features(x)
        mask_pred = torch.randn(1, 3, 64, 64)
        mask_pred[0, 2] = -1  # an empty mask
        oov, covered = model.ensemble.logits(model.clip, feats, 'mask', list(mask_pred), model.class_embeds('test'))
        direct = model.clip.encode_masks(x, [(mask_pred[0] > 0).float()])[0]
    assert covered.tolist() == [True, True, False]
    expected = model.clip.get_logit_scale() * direct @ model.class_embeds('test').t()
    torch.testing.assert_close(oov[:2], expected[:2], rtol=1e-4, atol=1e-4)
    # the ensembled scores of the predict path equal geometric_ensemble of the head's and these
    head = torch.randn(1, 3, 4)
    with torch.no_grad():
        out = model.apply_ensemble(feats, 'mask', list(mask_pred), head)
    seen = torch.tensor([True, False, True])  # circle and sky are training classes, star is not
    torch.testing.assert_close(out[0], geometric_ensemble(head[0], oov, seen, 0.4, 0.8, covered))


def test_head_refuses_a_fixed_class_weight():
    from umgclip_mm.models.heads import OVMask2FormerHead
    cfg = Config.fromfile(CFG).model.panoptic_head
    cfg.pop('type')
    cfg.loss_cls = dict(type='CrossEntropyLoss', class_weight=[1.0] * 134)
    with pytest.raises(ValueError, match='void_weight'):
        OVMask2FormerHead(embed_dims=64, **cfg)


def test_semantic_output_is_maskformer_semantic_inference(model):
    """test_cfg.semantic_on (FC-CLIP's protocol on semantic benchmarks): pred_sem_seg is the argmax of the class
    probabilities times the mask probabilities, summed over queries, from the ensembled classification."""
    from umgclip_mm.models.heads import semantic_probs
    model.eval()
    inputs, batch = torch.randn(2, 3, 64, 64), samples()
    cfg = model.panoptic_fusion_head.test_cfg
    cfg['semantic_on'] = True
    try:
        with torch.no_grad():
            out = model(inputs, batch, mode='predict')
            feats = model.clip_features(inputs)
            mask_cls, mask_pred = model.panoptic_head.predict(model.pyramid(feats), batch)
            mask_cls = model.apply_ensemble(feats, 'mask', list(mask_pred), mask_cls)
    finally:
        cfg['semantic_on'] = False
    assert cfg['semantic_on'] is False
    for i in range(2):
        labels = out[i].pred_sem_seg.data
        assert labels.shape == (1, 64, 64) and torch.equal(labels, out[i].pred_sem_seg.sem_seg)
        assert torch.equal(labels[0], semantic_probs(mask_cls[i], mask_pred[i]).argmax(0))
        assert 'pred_panoptic_seg' in out[i]  # panoptic output as before
