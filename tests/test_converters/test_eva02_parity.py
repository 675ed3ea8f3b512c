"""EVA02-CLIP towers: converted open_clip / EVA-CLIP weights reproduce the source's embeddings, and the tower keeps
UMGCLIPViT's contract (dense outputs, token reduction, poolers, the panoptic model)."""
import pytest
import torch
import torch.nn.functional as F
from test_converters.clip_sources import make_open_clip
from test_converters.test_clip_parity import convert as convert_through_files

from umgclip_mm.apis import init_model
from umgclip_mm.registry import MODELS

open_clip = pytest.importorskip('open_clip')
timm_eva = pytest.importorskip('timm.models.eva')

SMALL = dict(patch_size=8, embed_dim=64, depth=2, num_heads=2, qkv_fused=False, mlp_ratio=4 * 2 / 3, swiglu_mlp=True,
             scale_mlp=True, scale_attn_inner=True, use_rot_pos_emb=True, ref_feat_shape=(4, 4))
TEXTS = ['a photo of a cat', 'a red star', '']


def convert(src, tmp_path, **kw):
    """test_clip_parity's conversion round trip, also returning the inferred model config."""
    model = convert_through_files(src, tmp_path, **kw)
    return model, model.cfg.model


def small_eva_source():
    """A small EVA02 image tower (timm) and a tiny open_clip text tower, as one CustomTextCLIP-style state dict."""
    torch.manual_seed(0)
    trunk = timm_eva.Eva(img_size=32, num_classes=48, global_pool='token', **SMALL).eval()
    with torch.no_grad():
        for p in trunk.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    text = make_open_clip('gelu', custom_text=True)
    state = {k: v for k, v in text.state_dict().items() if not k.startswith('visual.')}
    return trunk, text, state


def eva_clip_names(key):
    """timm's EVA parameter names -> the original EVA-CLIP release's (the inverse of timm's checkpoint filter)."""
    for new, old in (('mlp.norm', 'mlp.ffn_ln'), ('attn.norm', 'attn.inner_attn_ln'), ('mlp.fc1_g', 'mlp.w1'),
                     ('mlp.fc1_x', 'mlp.w2'), ('mlp.fc2', 'mlp.w3'), ('q_proj.bias', 'q_bias'),
                     ('v_proj.bias', 'v_bias')):
        key = key.replace(new, old)
    return key


def check(ours, trunk, text, images):
    with torch.no_grad():
        img = ours.encode_image(images)
        txt = ours.encode_text(TEXTS)
        ref_img = F.normalize(trunk(images), dim=-1)
        ref_txt = F.normalize(text.encode_text(open_clip.get_tokenizer('ViT-B-32')(TEXTS)), dim=-1)
    assert (img - ref_img).abs().max() < 1e-4
    assert (txt - ref_txt).abs().max() < 1e-4


@pytest.mark.parametrize('layout', ['eva02_open_clip', 'eva_clip'])
def test_small_custom_eva02(tmp_path, layout):
    trunk, text, state = small_eva_source()
    prefix = 'visual.trunk.' if layout == 'eva02_open_clip' else 'visual.'
    rename = (lambda k: k) if layout == 'eva02_open_clip' else eva_clip_names
    state.update({prefix + rename(k): v for k, v in trunk.state_dict().items()})
    torch.save(state, tmp_path / 'eva.pt')
    ours, cfg = convert(tmp_path / 'eva.pt', tmp_path, vision_heads=2)
    assert cfg['backbone']['arch']['depth'] == 2 and cfg['backbone']['arch']['swiglu_mlp']
    assert cfg['text_encoder']['act'] == 'gelu'
    check(ours, trunk, text, torch.randn(2, 3, 32, 32))
    # any input size: the absolute embedding is resized, the rotary one recomputed, as timm does
    dynamic = timm_eva.Eva(img_size=32, num_classes=48, global_pool='token', dynamic_img_size=True, **SMALL).eval()
    dynamic.load_state_dict(trunk.state_dict())
    x = torch.randn(1, 3, 48, 40)
    with torch.no_grad():
        torch.testing.assert_close(ours.backbone.forward_features(x)['global_embeds'], dynamic(x))


def test_open_clip_eva02_b16(tmp_path):
    """The published EVA02-CLIP-B/16 architecture, random weights: the preset is recognised, embeddings match."""
    torch.manual_seed(0)
    src = open_clip.create_model('EVA02-B-16', pretrained=None).eval()
    torch.save(src.state_dict(), tmp_path / 'eva02_b16.pt')
    ours, cfg = convert(tmp_path / 'eva02_b16.pt', tmp_path)
    assert cfg['backbone']['arch'] == 'eva02_base_patch16_clip_224' and cfg['backbone']['output_dims'] == 512
    images = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        img, txt = ours.encode_image(images), ours.encode_text(TEXTS)
        ref_img = F.normalize(src.encode_image(images), dim=-1)
        ref_txt = F.normalize(src.encode_text(open_clip.get_tokenizer('EVA02-B-16')(TEXTS)), dim=-1)
    assert (img - ref_img).abs().max() < 1e-4 and (txt - ref_txt).abs().max() < 1e-4


def tiny_eva_umgclip(**backbone):
    return MODELS.build(dict(
        type='umgclip_mm.UMGCLIP',
        backbone=dict(type='umgclip_mm.EVA02CLIPViT', arch=SMALL, img_size=32, output_dims=32, out_indices=(0, 1),
                      **backbone),
        text_encoder=dict(type='umgclip_mm.UMGCLIPTextEncoder', context_length=16, embed_dims=64, num_layers=1,
                          num_heads=2, output_dims=32)))


@pytest.mark.parametrize('kind', ['cluster', 'random'])
def test_pretraining_losses_with_token_reduction(kind):
    from test_models.test_umgclip_losses import samples
    model = tiny_eva_umgclip(token_reduction=dict(type=kind, keep_ratio=0.25)).train()
    losses = model.loss(torch.randn(3, 3, 32, 32), samples())
    assert {'loss_region_caption', 'loss_mask_tag', 'loss_image_caption'} <= set(losses)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert model.backbone.trunk.blocks[-1].mlp.fc2.weight.grad.abs().sum() > 0
    feats = model.backbone.forward_features(torch.randn(2, 3, 32, 32))
    assert feats['dense_tokens'].shape == (2, 64, 4, 4) and len(feats['feature_maps']) == 2
    assert (feats['valid'] is None) == (kind == 'cluster')


def test_frozen_tower_and_errors():
    model = tiny_eva_umgclip(frozen=True)
    model.train()
    assert not model.backbone.training and not any(p.requires_grad for p in model.backbone.parameters())
    with pytest.raises(KeyError, match='unknown EVA02 arch'):
        MODELS.build(dict(type='umgclip_mm.EVA02CLIPViT', arch='eva02_tiny'))
    with pytest.raises(ValueError, match='plain'):
        MODELS.build(dict(type='umgclip_mm.EVA02CLIPViT', arch=SMALL, img_size=32, dense_mode='value'))


def test_panoptic_model_on_the_eva02_tower():
    """Changing only the backbone block: the open-vocabulary panoptic model runs on an EVA02 tower."""
    import os.path as osp

    from conftest import REPO
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from test_models.test_ov_panoptic import samples
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'quickstart', 'panoptic_synthetic.py'))
    cfg.model.clip = dict(type='umgclip_mm.UMGCLIP',
                          backbone=dict(type='umgclip_mm.EVA02CLIPViT', arch=SMALL, img_size=64, output_dims=64,
                                        out_indices=(1, )),
                          text_encoder=cfg.model.clip.text_encoder)
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    model.init_weights()
    losses = model.loss(torch.randn(2, 3, 64, 64), samples())
    assert torch.isfinite(sum(v for k, v in losses.items() if 'loss' in k))
    model.eval()
    with torch.no_grad():
        out = model.predict(torch.randn(2, 3, 64, 64), samples())
    assert out[0].pred_panoptic_seg.sem_seg.shape == (1, 64, 64)


def test_tool_converts_eva02(tmp_path):
    from conftest import run_tool
    trunk, text, state = small_eva_source()
    state.update({'visual.trunk.' + k: v for k, v in trunk.state_dict().items()})
    torch.save(state, tmp_path / 'eva.pt')
    out = run_tool('tools/model_converters/clip2umgclip.py', str(tmp_path / 'eva.pt'), str(tmp_path / 'out.pth'),
                   '--vision-heads', '2', '--save-config', str(tmp_path / 'cfg.py'))
    assert 'EVA02 tower custom' in out.stdout + out.stderr and 'text act gelu' in out.stdout + out.stderr
    check(init_model(str(tmp_path / 'cfg.py'), str(tmp_path / 'out.pth')), trunk, text, torch.randn(1, 3, 32, 32))
