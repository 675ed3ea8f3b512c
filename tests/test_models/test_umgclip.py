"""The UMGCLIP model: the public encode_* contract and the three forward modes."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement

from umgclip_mm.registry import MODELS


def test_encode_contract(tiny_model_cfg):
    model = MODELS.build(tiny_model_cfg).eval()
    x = torch.randn(2, 3, 32, 32)
    img, dense, txt = model.encode_image(x), model.encode_dense(x), model.encode_text(['a cat', 'a dog', 'sky'])
    assert img.shape == (2, 32) and dense.shape == (2, 32, 4, 4) and txt.shape == (3, 32)
    torch.testing.assert_close(img.norm(dim=-1), torch.ones(2))
    torch.testing.assert_close(dense.norm(dim=1), torch.ones(2, 4, 4))
    torch.testing.assert_close(txt.norm(dim=-1), torch.ones(3))
    assert abs(float(model.get_logit_scale().detach()) - 1 / 0.07) < 1e-4


def test_forward_features_is_the_one_pass_every_path_takes(tiny_model_cfg):
    from test_models.test_umgclip_losses import samples
    model = MODELS.build(tiny_model_cfg).eval()
    x = torch.randn(3, 3, 32, 32)
    feats = model.forward_features(x)
    assert set(feats) == {'global_embeds', 'feature_maps', 'grid', 'dense_tokens', 'dense_proj', 'valid'}
    assert feats['grid'] == (4, 4) and feats['dense_tokens'].shape == (3, 64, 4, 4) and feats['valid'] is None
    assert set(model.forward_features(x, with_dense=False)) == {'global_embeds', 'feature_maps', 'grid'}
    torch.testing.assert_close(model.encode_image(x), F.normalize(feats['global_embeds'], dim=-1))

    calls = {'model': 0, 'backbone': 0}

    def counting(fn, key):
        def wrapped(*args, **kwargs):
            calls[key] += 1
            return fn(*args, **kwargs)
        return wrapped

    model.backbone.forward_features = counting(model.backbone.forward_features, 'backbone')
    model.forward_features = counting(model.forward_features, 'model')
    boxes = [torch.tensor([[0., 0., 16., 16.]])] * 3
    for run in (lambda: model.encode_image(x), lambda: model.encode_dense(x), lambda: model.encode_regions(x, boxes),
                lambda: model.encode_masks(x, [torch.ones(1, 32, 32)] * 3), lambda: model(x, mode='tensor'),
                lambda: model.loss(x, samples()), lambda: model.predict(x, samples())):
        calls.update(model=0, backbone=0)
        run()
        assert calls == {'model': 1, 'backbone': 1}


def test_logit_scale_is_clamped(tiny_model_cfg):
    model = MODELS.build(dict(tiny_model_cfg, logit_scale_init=10.0))
    assert float(model.get_logit_scale().detach()) == 100.0


def test_forward_modes_and_training_step_with_captions_only(tiny_model_cfg):
    model = MODELS.build(tiny_model_cfg)
    data = dict(inputs=[torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8) for _ in range(3)],
                data_samples=[BaseDataElement(caption=c) for c in ('a red square', 'a blue circle', 'a cat')])
    batch = model.data_preprocessor(data, training=True)
    losses = model(**batch, mode='loss')
    assert losses['loss_image_caption'] > 0
    # no regions, masks or tags in these samples: those terms are zeros that still backpropagate
    assert all(float(v.detach()) == 0 for k, v in losses.items() if k.startswith('loss') and k != 'loss_image_caption')
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert model.backbone.patch_embed.weight.grad is not None and model.logit_scale.grad is not None
    assert model(**batch, mode='tensor').shape == (3, 32)
    preds = model(**batch, mode='predict')
    assert preds[0].img_embed.shape == (32, ) and 'regions' not in preds[0]  # nothing to write embeddings into


def test_non_string_caption_is_a_clear_error(tiny_model_cfg):
    model = MODELS.build(tiny_model_cfg)
    with pytest.raises(TypeError, match='caption'):
        model(torch.randn(1, 3, 32, 32), [BaseDataElement(caption=5)], mode='loss')
