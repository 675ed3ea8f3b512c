"""Each of UMGCLIP's six loss terms equals a direct computation from the public encode_* methods."""
import copy

import pytest
import torch
from mmengine.structures import BaseDataElement, InstanceData

from umgclip_mm.registry import MODELS
from test_models.test_losses import direct_infonce, direct_multi_label


def samples():
    m1 = torch.zeros(2, 32, 32, dtype=torch.bool)
    m1[0, :16] = True
    m1[1, 16:, 8:20] = True
    return [
        BaseDataElement(caption='a red square', tags=['red', 'square'],
                        regions=InstanceData(bboxes=torch.tensor([[0., 0., 16., 16.], [8., 8., 30., 24.]]),
                                             caption=['a red square', ''], tags=[['red', 'square'], ['square']]),
                        masks=InstanceData(masks=m1, caption=['the sky', 'a blue ring'], tags=[['sky'], []])),
        BaseDataElement(caption='', tags=['grass'],
                        regions=InstanceData(bboxes=torch.tensor([[4., 4., 28., 20.]]), caption=['a green star'],
                                             tags=[['star', 'green']]),
                        masks=InstanceData(masks=torch.zeros(0, 32, 32, dtype=torch.bool), caption=[], tags=[])),
        BaseDataElement(caption='two shapes', tags=[],
                        regions=InstanceData(bboxes=torch.zeros(0, 4), caption=[], tags=[]),
                        masks=InstanceData(masks=m1[:1].clone(), caption=['the sea'], tags=[['sea', 'water']])),
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
    regions = torch.cat(model.encode_regions(x, [s.regions.bboxes for s in data]))
    masks = torch.cat(model.encode_masks(x, [s.masks.masks for s in data]))
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


def test_predict_writes_embeddings_beside_the_items(tiny_model_cfg):
    model = MODELS.build(tiny_model_cfg).eval()
    x = torch.randn(3, 3, 32, 32)
    data = samples()
    out = model.predict(x, data)
    assert out is data and out[2].img_embed.shape == (32, )
    torch.testing.assert_close(out[0].text_embed, model.encode_text(['a red square'])[0])
    assert out[1].text_embed.abs().sum() == 0  # no caption
    regions = out[0].regions
    assert regions.embeds.shape == (2, 32) and regions.text_embeds.shape == (2, 32) and len(regions) == 2
    torch.testing.assert_close(regions.embeds, model.encode_regions(x, [regions.bboxes])[0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(regions.text_embeds[0], model.encode_text(['a red square'])[0])
    assert regions.text_embeds[1].abs().sum() == 0  # empty caption
    torch.testing.assert_close(out[2].masks.embeds, model.encode_masks(x, [m.masks.masks for m in data])[2],
                               rtol=1e-4, atol=1e-5)
    assert out[1].masks.embeds.shape == (0, 32) and out[2].regions.text_embeds.shape == (0, 32)


def test_samples_without_instance_data_are_a_clear_error(tiny_model_cfg):
    model = MODELS.build(tiny_model_cfg)
    bad = samples()
    bad[0].regions = BaseDataElement(bboxes=torch.zeros(1, 4))
    with pytest.raises(TypeError, match='field "regions" must be an InstanceData with "bboxes"'):
        model.loss(torch.randn(3, 3, 32, 32), bad)
    bad = samples()
    bad[1].masks = InstanceData(caption=['no geometry'])
    with pytest.raises(TypeError, match=r'"masks" must be an InstanceData with "masks".*got fields'):
        model.predict(torch.randn(3, 3, 32, 32), bad)
    with pytest.raises(AssertionError, match='not consistent with the length'):  # mmengine keeps items aligned
        samples()[0].regions.caption = ['only one']


def test_partial_loss_config_keeps_default_type(tiny_model_cfg):
    """``--cfg-options model.loss_region_tag.loss_weight=0`` gives a config without ``type``."""
    from umgclip_mm.models import ContrastiveLoss, MultiLabelTagLoss
    model = MODELS.build(dict(tiny_model_cfg, loss_region_caption=dict(loss_weight=0.5),
                              loss_region_tag=dict(loss_weight=0)))
    assert isinstance(model.losses['region_caption'], ContrastiveLoss)
    assert model.losses['region_caption'].loss_weight == 0.5
    assert isinstance(model.losses['region_tag'], MultiLabelTagLoss) and model.losses['region_tag'].loss_weight == 0
