"""Converted published-layout CLIP weights reproduce the source model's embeddings."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from umgclip_mm.apis import CheckpointMismatchError, init_model
from umgclip_mm.converters import convert_clip, save_config, umgclip_to_hf
from conftest import run_tool
from test_converters.clip_sources import make_hf_clip, make_open_clip

open_clip = pytest.importorskip('open_clip')

TEXTS = ['a photo of a cat', 'two dogs playing in the snow, seen from above', '', 'Ünïcödé & symbols!? 123',
         ' '.join(['long'] * 100)]


def convert(src, tmp_path, **kw):
    ckpt, model_cfg = convert_clip(str(src), **kw)
    dst, cfg = tmp_path / 'converted.pth', tmp_path / 'converted_cfg.py'
    torch.save(ckpt, dst)
    save_config(model_cfg, str(cfg))
    return init_model(str(cfg), str(dst))


def assert_embeds_close(ours, image_ref, text_ref, images, token_ids, texts):
    with torch.no_grad():
        img = ours.encode_image(images)
        txt = ours.encode_text(texts)
        torch.testing.assert_close(ours.text_encoder.tokenize(texts), token_ids)
    assert (img - F.normalize(image_ref, dim=-1)).abs().max() < 1e-4
    assert (txt - F.normalize(text_ref, dim=-1)).abs().max() < 1e-4


@pytest.mark.parametrize('act', ['gelu', 'quick_gelu'])
@pytest.mark.parametrize('fmt', ['pt', 'safetensors'])
def test_open_clip_state_dict(tmp_path, act, fmt):
    src_model = make_open_clip(act)
    src = tmp_path / f'open_clip.{fmt}'
    if fmt == 'pt':
        torch.save(src_model.state_dict(), src)
    else:
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in src_model.state_dict().items()}, str(src))
    ours = convert(src, tmp_path, act=act)
    images = torch.randn(2, 3, 32, 32)
    ids = open_clip.get_tokenizer('ViT-B-32')(TEXTS)
    with torch.no_grad():
        assert_embeds_close(ours, src_model.encode_image(images), src_model.encode_text(ids), images, ids, TEXTS)
    assert ours.logit_scale.item() == pytest.approx(src_model.logit_scale.item())
    assert ours.backbone.num_layers == 2 and ours.backbone.transformer.layers[0].attn.num_heads == 2


def test_open_clip_custom_text_and_wrapped_checkpoint(tmp_path):
    src_model = make_open_clip('gelu', custom_text=True)
    src = tmp_path / 'custom.pth'
    torch.save({'epoch': 3, 'state_dict': {'module.' + k: v for k, v in src_model.state_dict().items()}}, src)
    ours = convert(src, tmp_path, act='gelu')
    images = torch.randn(1, 3, 32, 32)
    ids = open_clip.get_tokenizer('ViT-B-32')(TEXTS)
    with torch.no_grad():
        assert_embeds_close(ours, src_model.encode_image(images), src_model.encode_text(ids), images, ids, TEXTS)


def test_openai_torchscript_archive(tmp_path):
    src_model = make_open_clip('quick_gelu')
    # A TorchScript archive like OpenAI's releases (open_clip.trace_model does the same, but breaks on tuple sizes).
    example = dict(encode_image=(torch.ones(1, 3, 32, 32), ), encode_text=(torch.zeros(1, 77, dtype=torch.long), ))
    traced = torch.jit.trace_module(src_model, example, check_trace=False)
    src = tmp_path / 'ViT-tiny.pt'
    torch.jit.save(traced, str(src))
    ours = convert(src, tmp_path)  # TorchScript archives are OpenAI's: quick_gelu without being told
    assert ours.backbone.transformer.layers[0].mlp.act.__class__.__name__ == 'QuickGELU'
    images = torch.randn(2, 3, 32, 32)
    ids = open_clip.get_tokenizer('ViT-B-32')(TEXTS)
    with torch.no_grad():
        assert_embeds_close(ours, src_model.encode_image(images), src_model.encode_text(ids), images, ids, TEXTS)


@pytest.mark.parametrize('act', ['quick_gelu', 'gelu'])
def test_hugging_face_folder(tmp_path, act):
    src_model = make_hf_clip(act)
    folder = tmp_path / 'hf_clip'
    src_model.save_pretrained(str(folder))
    ours = convert(folder, tmp_path)
    assert ours.backbone.transformer.layers[0].attn.num_heads == 3  # from config.json, not width // 64
    images = torch.randn(2, 3, 32, 32)
    ids = ours.text_encoder.tokenize(TEXTS)
    with torch.no_grad():
        image_ref = src_model.get_image_features(pixel_values=images)
        text_ref = src_model.get_text_features(input_ids=ids)
        assert_embeds_close(ours, image_ref, text_ref, images, ids, TEXTS)


def test_hugging_face_bin_folder_and_inverse_mapping(tmp_path):
    src_model = make_hf_clip()
    folder = tmp_path / 'hf_bin'
    src_model.save_pretrained(str(folder), safe_serialization=False)
    assert osp.isfile(folder / 'pytorch_model.bin')
    ckpt, _ = convert_clip(str(folder))
    back = umgclip_to_hf(ckpt['state_dict'])
    ref = {k: v for k, v in src_model.state_dict().items() if not k.endswith('position_ids')}
    assert set(back) == set(ref)
    for k, v in ref.items():
        assert torch.equal(back[k], v), k


def test_tool_converts_and_writes_config(tmp_path):
    src = tmp_path / 'oc.pt'
    torch.save(make_open_clip('gelu').state_dict(), src)
    dst, cfg = tmp_path / 'out' / 'ck.pth', tmp_path / 'out' / 'cfg.py'
    out = run_tool('tools/model_converters/clip2umgclip.py', str(src), str(dst), '--act', 'gelu', '--save-config',
                   str(cfg))
    assert 'width 128, 2 layers, 2 heads' in out.stdout + out.stderr
    model = init_model(str(cfg), str(dst))
    assert model.backbone.embed_dims == 128
    assert run_tool('tools/model_converters/clip2umgclip.py', '--help').stdout.startswith('usage:')


def test_default_activation_warns(tmp_path):
    src = tmp_path / 'oc.pt'
    torch.save(make_open_clip('gelu').state_dict(), src)
    out = run_tool('tools/model_converters/clip2umgclip.py', str(src), str(tmp_path / 'ck.pth'))
    assert '--act gelu' in out.stdout + out.stderr


def test_errors_say_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match='no such file'):
        convert_clip(str(tmp_path / 'missing.pt'))
    bad = tmp_path / 'bad.pt'
    torch.save({'foo.weight': torch.zeros(2)}, bad)
    with pytest.raises(ValueError, match='visual.conv1.weight'):
        convert_clip(str(bad))
    partial = tmp_path / 'partial.pt'
    sd = make_open_clip().state_dict()
    torch.save({k: v for k, v in sd.items() if not k.startswith('token_embedding')}, partial)
    with pytest.raises(KeyError, match='partial'):
        convert_clip(str(partial))
    folder = tmp_path / 'empty_hf'
    folder.mkdir()
    with pytest.raises(FileNotFoundError, match='config.json'):
        convert_clip(str(folder))


def test_checkpoint_for_another_architecture_is_refused(tmp_path, tiny_model_cfg):
    src = tmp_path / 'oc.pt'
    torch.save(make_open_clip().state_dict(), src)
    ckpt, _ = convert_clip(str(src))
    torch.save(ckpt, tmp_path / 'ck.pth')
    with pytest.raises(CheckpointMismatchError, match='size mismatch(.|\n)*Was it converted for another architecture'):
        init_model(dict(model=tiny_model_cfg), str(tmp_path / 'ck.pth'))
