"""tools/deployment/export_onnx.py: tiny random-weight towers (UMGCLIPViT and EVA02CLIPViT) exported to ONNX give
PyTorch's embeddings in onnxruntime at several batch and image sizes; export.json describes the files."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from conftest import REPO, run_tool
from umgclip_mm.apis import init_model
from umgclip_mm.registry import MODELS

onnx = pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')

TOOL = 'tools/deployment/export_onnx.py'
TOY = 'configs/quickstart/pretrain_synthetic.py'  # toy towers: ViT patch 8 at 64 px, width 96, context 16
EVA02_TOY = """
model = dict(
    type='umgclip_mm.UMGCLIP',
    backbone=dict(type='umgclip_mm.EVA02CLIPViT', img_size=32, output_dims=32,
                  arch=dict(patch_size=8, embed_dim=64, depth=2, num_heads=2, qkv_fused=False, mlp_ratio=4 * 2 / 3,
                            swiglu_mlp=True, scale_mlp=True, scale_attn_inner=True, use_rot_pos_emb=True,
                            ref_feat_shape=(4, 4))),
    text_encoder=dict(type='umgclip_mm.UMGCLIPTextEncoder', context_length=16, embed_dims=64, num_layers=1,
                      num_heads=2, output_dims=32))
"""
TEXTS = ['a red circle', 'a blue star on sand', '']


def load_tool():
    spec = importlib.util.spec_from_file_location('export_onnx', osp.join(REPO, TOOL))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def random_checkpoint(model_cfg, path, seed=0):
    torch.manual_seed(seed)
    torch.save({'state_dict': MODELS.build(model_cfg).state_dict()}, path)
    return str(path)


def max_diffs(out, model, image_cases, text_counts=(1, 3)):
    """Run the exported files in onnxruntime and return the max |diff| of each output against ``model``."""
    image = ort.InferenceSession(str(out / 'image_encoder.onnx'), providers=['CPUExecutionProvider'])
    text = ort.InferenceSession(str(out / 'text_encoder.onnx'), providers=['CPUExecutionProvider'])
    diffs = dict(image_embeds=0.0, dense_embeds=0.0, text_embeds=0.0)
    for b, h, w in image_cases:
        pixels = torch.randn(b, 3, h, w)
        glob, dense = image.run(['image_embeds', 'dense_embeds'], {'pixels': pixels.numpy()})
        with torch.no_grad():
            want_glob, want_dense = model.encode_image(pixels), model.encode_dense(pixels)
        assert glob.shape == tuple(want_glob.shape) and dense.shape == tuple(want_dense.shape)
        diffs['image_embeds'] = max(diffs['image_embeds'], np.abs(glob - want_glob.numpy()).max())
        diffs['dense_embeds'] = max(diffs['dense_embeds'], np.abs(dense - want_dense.numpy()).max())
    for n in text_counts:
        ids = model.text_encoder.tokenizer(TEXTS[:n])
        (got, ) = text.run(['text_embeds'], {'token_ids': ids.numpy()})
        with torch.no_grad():
            want = model.encode_text(TEXTS[:n])
        diffs['text_embeds'] = max(diffs['text_embeds'], np.abs(got - want.numpy()).max())
    return diffs


def test_help_explains_outputs_and_examples():
    out = run_tool(TOOL, '--help').stdout
    assert out.startswith('usage:')
    for words in ('image_encoder.onnx', 'text_encoder.onnx', 'export.json', 'Examples:', '--verify', '--img'):
        assert words in out, words


def test_toy_vit_exports_with_dynamic_batch_and_image_size(tmp_path):
    ckpt = random_checkpoint(Config.fromfile(TOY).model, tmp_path / 'toy.pth')
    verified = load_tool().main([TOY, ckpt, '--out', str(tmp_path / 'onnx'), '--verify'])
    assert set(verified) == {'image_embeds', 'dense_embeds', 'text_embeds'} and max(verified.values()) < 1e-4

    # checked again here, on a model loaded by init_model: batches 1, 3 and 2, the trained size and two others
    model = init_model(TOY, ckpt)
    diffs = max_diffs(tmp_path / 'onnx', model, [(1, 64, 64), (3, 96, 80), (2, 48, 64)])
    assert max(diffs.values()) < 1e-4, diffs

    meta = json.loads((tmp_path / 'onnx' / 'export.json').read_text())
    image, text = meta['image_encoder'], meta['text_encoder']
    assert image['inputs'] == [dict(name='pixels', shape=['batch', 3, 'height', 'width'], dtype='float32')]
    assert [o['name'] for o in image['outputs']] == ['image_embeds', 'dense_embeds']
    assert image['outputs'][1]['shape'] == ['batch', 64, 'grid_height', 'grid_width']
    assert image['dynamic_image_size'] and image['patch_size'] == 8 and image['image_size'] == [64, 64]
    assert np.allclose(image['mean'], [122.770938, 116.7460125, 104.09373615])
    assert np.allclose(image['std'], [68.5005327, 66.6321579, 70.32316305])
    assert text['inputs'] == [dict(name='token_ids', shape=['num_texts', 16], dtype='int64')]
    assert text['context_length'] == 16 and meta['embed_dims'] == 64 and meta['opset'] == 18
    assert meta['config'] == osp.join(REPO, TOY) and meta['checkpoint'] == ckpt
    assert meta['verify']['max_abs_diff'] == pytest.approx(verified)
    assert abs(meta['logit_scale'] - float(model.get_logit_scale().detach())) < 1e-4


def test_eva02_tower_exports_with_dynamic_image_size(tmp_path):
    """timm's Eva resamples its position embedding with antialiased bicubic and computes a rotary embedding for the
    grid; both are in the graph, so the size stays dynamic."""
    cfg_path = tmp_path / 'eva02_toy.py'
    cfg_path.write_text(EVA02_TOY)
    ckpt = random_checkpoint(Config.fromfile(str(cfg_path)).model, tmp_path / 'eva02.pth')
    load_tool().main([str(cfg_path), ckpt, '--out', str(tmp_path / 'onnx')])
    model = init_model(str(cfg_path), ckpt)
    # trained size (32), larger non-square (upsampled position embedding), smaller (antialiased downsampling)
    diffs = max_diffs(tmp_path / 'onnx', model, [(1, 32, 32), (2, 32, 32), (2, 48, 40), (1, 24, 32)])
    assert max(diffs.values()) < 1e-4, diffs
    assert json.loads((tmp_path / 'onnx' / 'export.json').read_text())['image_encoder']['tower'] == 'EVA02CLIPViT'


def test_task_config_exports_its_clip_at_a_fixed_size(tmp_path):
    """A task config (towers under model.clip) with a UMG-CLIP checkpoint; --img fixes height and width."""
    ckpt = random_checkpoint(Config.fromfile(TOY).model, tmp_path / 'toy.pth')
    task = 'configs/quickstart/zeroshot_synthetic.py'
    out = tmp_path / 'onnx'
    load_tool().main([task, ckpt, '--out', str(out), '--img', '48', '56'])
    dims = [d.dim_param or d.dim_value for d in onnx.load(str(out / 'image_encoder.onnx')).graph.input[0].type
            .tensor_type.shape.dim]
    assert dims == ['batch', 3, 48, 56]
    diffs = max_diffs(out, init_model(TOY, ckpt), [(1, 48, 56), (2, 48, 56)])
    assert max(diffs.values()) < 1e-4, diffs
    meta = json.loads((out / 'export.json').read_text())['image_encoder']
    assert not meta['dynamic_image_size'] and meta['image_size'] == [48, 56]
    assert meta['outputs'][1]['shape'] == ['batch', 64, 6, 7]


def test_clear_errors(tmp_path):
    tool = load_tool()
    with pytest.raises(FileNotFoundError, match='checkpoint .*missing.pth does not exist'):
        tool.main([TOY, str(tmp_path / 'missing.pth'), '--out', str(tmp_path / 'onnx')])
    ckpt = random_checkpoint(Config.fromfile(TOY).model, tmp_path / 'toy.pth')
    with pytest.raises(ValueError, match='multiple of the patch size 8'):
        tool.main([TOY, ckpt, '--out', str(tmp_path / 'onnx'), '--img', '60'])
    tower = tmp_path / 'tower.py'
    tower.write_text("model = dict(type='umgclip_mm.UMGCLIPViT', img_size=32, patch_size=8, embed_dims=32, "
                     'num_layers=1, num_heads=2, output_dims=16)\n')
    tower_ckpt = random_checkpoint(Config.fromfile(str(tower)).model, tmp_path / 'tower.pth')
    with pytest.raises(TypeError, match='not a UMGCLIP and holds none as model.clip'):
        tool.main([str(tower), tower_ckpt, '--out', str(tmp_path / 'onnx')])
    assert not (tmp_path / 'onnx').exists()
