"""Each of UMGCLIP's six loss terms equals a direct computation from the public encode_* methods."""
import copy

import pytest
import torch
from mmengine.structures import BaseDataElement

from umgclip_mm.registry import MODELS
from test_models.test_losses import direct_infonce, direct_multi_label


def samples():
    m1 = torch.zeros(2, 32, 32, dtype=torch.bool)
    m1[0, :16] = True
    m1[1, 16:, 8:20] = True
    return [
        BaseDataElement(caption='a red square', tags=['red', 'square'],
                        region_boxes=torch.tensor([[0., 0., 16., 16.], [8., 8., 30., 24.]]),
                        region_caption=['a red square', ''], region_tags=[['red', 'square'], ['square']],
                        masks=m1, mask_caption=['the sky', 'a blue ring'], mask_tags=[['sky'], []]),
        BaseDataElement(caption='', tags=['grass'], region_boxes=torch.tensor([[4., 4., 28., 20.]]),
                        region_caption=['a green star'], region_tags=[['star', 'green']],
                        masks=torch.zeros(0, 32, 32, dtype=torch.bool), mask_caption=[], mask_tags=[]),
        BaseDataElement(caption='two shapes', tags=[], region_boxes=torch.zeros(0, 4), region_caption=[],
                        region_tags=[], masks=m1[:1].clone(), mask_caption=['the sea'], mask_tags=[['sea', 'water']]),
    ]


def test_six_terms_match_direct_computation(tiny_model_cfg):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg).eval()  # no token reduction in the tiny config: train == eval
    data = samples()
    x = torch.randn(3, 3, 32, 32)
    losses = model.loss(x, copy.deepcopy(data))
    assert set(losses) == {'logit_scale'} | {f'loss_{lv}_{k}' for lv in ('image', 'region', 'mask')
                                             for k in ('caption', 'tag')}
    scale = model.get_logit_scale().detach()
    img = model.encode_image(x)
    regions = torch.cat(model.encode_regions(x, [s.region_boxes for s in data]))
    masks = torch.cat(model.encode_masks(x, [s.masks for s in data]))
    vocab = ['red', 'square', 'grass', 'star', 'green', 'sky', 'sea', 'water']
    tag_emb = model.encode_text(vocab)

    def targets(tag_lists):
        t = torch.zeros(len(tag_lists), len(vocab))
        for i, tags in enumerate(tag_lists):
            for tag in tags:
                t[i, vocab.index(tag)] = 1
        return t

    expected = {
        'image_caption': direct_infonce(img[[0, 2]], model.encode_text(['a red square', 'two shapes']), scale),
        'image_tag': direct_multi_label(img, targets([['red', 'square'], ['grass'], []]), tag_emb, scale),
        'region_caption': direct_infonce(regions[[0, 2]], model.encode_text(['a red square', 'a green star']),
                                         scale),
        'region_tag': direct_multi_label(regions, targets([['red', 'square'], ['square'], ['star', 'green']]),
                                         tag_emb, scale),
        'mask_caption': direct_infonce(masks, model.encode_text(['the sky', 'a blue ring', 'the sea']), scale),
        'mask_tag': direct_multi_label(masks, targets([['sky'], [], ['sea', 'water']]), tag_emb, scale),
    }
    # the tag vocabulary's order inside the model differs; a softmax does not care
    for name, value in expected.items():
        torch.testing.assert_close(losses[f'loss_{name}'], value, rtol=1e-4, atol=1e-5, msg=name)


def test_zero_weight_terms_are_skipped_and_gradients_flow(tiny_model_cfg):
    cfg = dict(tiny_model_cfg, loss_region_caption=dict(type='umgclip_mm.ContrastiveLoss', loss_weight=0.0),
               loss_region_tag=dict(type='umgclip_mm.MultiLabelTagLoss', loss_weight=0.0))
    model = MODELS.build(cfg)
    losses = model.loss(torch.randn(3, 3, 32, 32), samples())
    assert not any(k.startswith('loss_region') for k in losses)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert model.backbone.transformer.layers[-1].mlp.fc2.weight.grad.abs().sum() > 0


def test_predict_sets_embeddings(tiny_model_cfg):
    model = MODELS.build(tiny_model_cfg).eval()
    out = model.predict(torch.randn(3, 3, 32, 32), samples())
    assert out[0].region_embeds.shape == (2, 32) and out[0].region_text_embeds.shape == (2, 32)
    assert out[0].region_text_embeds[1].abs().sum() == 0  # empty caption
    assert out[1].mask_embeds.shape == (0, 32) and out[2].img_embed.shape == (32, )


def test_mismatched_annotations_are_a_clear_error(tiny_model_cfg):
    model = MODELS.build(tiny_model_cfg)
    bad = samples()
    bad[0].region_caption = ['only one']
    with pytest.raises(ValueError, match='2 regions but 1 captions'):
        model.loss(torch.randn(3, 3, 32, 32), bad)


def test_partial_loss_config_keeps_default_type(tiny_model_cfg):
    """``--cfg-options model.loss_region_tag.loss_weight=0`` gives a config without ``type``."""
    from umgclip_mm.models import ContrastiveLoss, MultiLabelTagLoss
    model = MODELS.build(dict(tiny_model_cfg, loss_region_caption=dict(loss_weight=0.5),
                              loss_region_tag=dict(loss_weight=0)))
    assert isinstance(model.losses['region_caption'], ContrastiveLoss)
    assert model.losses['region_caption'].loss_weight == 0.5
    assert isinstance(model.losses['region_tag'], MultiLabelTagLoss) and model.losses['region_tag'].loss_weight == 0
