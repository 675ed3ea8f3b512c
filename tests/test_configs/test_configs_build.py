"""Every config under configs/ parses and its model builds at full size (on the meta device: no memory, no time);
every config folder documents its configs; configs of other OpenMMLab packages load as bases."""
import ast
import glob
import os.path as osp

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.registry import HOOKS, init_default_scope

from conftest import REPO, run_tool
from umgclip_mm.registry import MODELS

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
# One folder per family (and the quickstarts); _base_ holds the fragments they compose.
FOLDERS = sorted(d for d in glob.glob(osp.join(REPO, 'configs', '*', '')) if osp.basename(d[:-1]) != '_base_')
# Configs kept under an earlier name: each is its target and nothing else.
ALIASES = {'configs/umgclip/panoptic_coco.py':
           'configs/ov_mask2former/ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco-panoptic.py'}


def rel(path):
    return osp.relpath(path, REPO)


@pytest.mark.parametrize('path', CONFIGS, ids=rel)
def test_config_builds(path):
    cfg = Config.fromfile(path)
    if 'model' not in cfg:
        assert '_base_' in path  # dataset / schedule / runtime / tower-preset fragments
        return
    init_default_scope(cfg.get('default_scope', 'umgclip_mm'))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    for hook in cfg.get('custom_hooks', []):
        HOOKS.build(hook)


def test_task_models_on_14_px_towers_read_them_at_stride_16():
    """Detection and segmentation heads are built for a 16 px grid (the pyramid necks' strides 4..32, RoIAlign's and
    the anchors' fixed scales; images padded to multiples of 32): every task config on a 14 px tower sets the
    tower's feature_stride=16 (the F-VLM EVA02-L/14 config stopped at true size with timm's 'Input height (800)
    should be divisible by patch size (14)', and would have read its pyramid at strides 3.5..28 as 4..32)."""
    checked = []
    for path in CONFIGS:
        if '_base_' in path or '/quickstart/' in path:
            continue
        model = Config.fromfile(path).get('model') or {}
        if 'clip' not in model or 'ZeroShot' in str(model.get('type')):
            continue
        backbone = model['clip']['backbone']
        patch = backbone.get('patch_size') or (14 if 'patch14' in str(backbone.get('arch')) else 16)
        if patch != 16:
            assert backbone.get('feature_stride') == 16, f'{rel(path)}: a {patch} px tower without feature_stride=16'
            checked.append(path)
    assert len(checked) >= 12  # F-VLM EVA02-L/14 x2, Mask2Former ViT-L/14, EVA02-L/14 and its transfers, E/14 x2


def test_tower_presets_are_the_published_architectures():
    """Parameter counts of OpenAI's CLIP image towers; every preset builds."""
    towers = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models', 'umgclip_towers.py'))
    names = [k for k in towers if k.startswith('umgclip_')]
    assert {'umgclip_vitb16', 'umgclip_vitl14', 'umgclip_eva02_l14', 'umgclip_eva02_e14'} <= set(names)
    counts = {}
    for name in names:
        with torch.device('meta'):
            model = MODELS.build(towers[name])
        counts[name] = sum(p.numel() for p in model.backbone.parameters()) / 1e6
    assert 85 < counts['umgclip_vitb16'] < 87 and 303 < counts['umgclip_vitl14'] < 305, counts
    assert counts['umgclip_eva02_e14'] > 4000, counts


def test_variants_switch_the_tower():
    """A variant inherits its sibling and changes the tower pair (and its checkpoint) only; on a 14 px tower the
    task model also reads it at stride 16 (test_task_models_on_14_px_towers_read_them_at_stride_16)."""
    folder = osp.join(REPO, 'configs', 'ov_mask2former')
    b16 = Config.fromfile(osp.join(folder, 'ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco-panoptic.py'))
    e14 = Config.fromfile(osp.join(folder, 'ov-mask2former_umgclip-eva02-e14_8xb2-lsj-50e_coco-panoptic.py'))
    towers = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models', 'umgclip_towers.py'))
    assert dict(e14.model.clip.backbone) == dict(towers.umgclip_eva02_e14.backbone, feature_stride=16)
    assert dict(e14.model.clip.text_encoder) == dict(towers.umgclip_eva02_e14.text_encoder)
    assert e14.model.clip.init_cfg.checkpoint == 'checkpoints/umgclip_eva02-e14_umg41m.pth'
    for key in ('neck', 'panoptic_head', 'train_cfg', 'test_cfg', 'ensemble', 'vocab_encoder'):
        assert e14.model[key] == b16.model[key], key
    assert e14.train_dataloader == b16.train_dataloader and e14.param_scheduler == b16.param_scheduler


@pytest.mark.parametrize('alias, target', sorted(ALIASES.items()))
def test_alias_is_its_target(alias, target):
    """The alias's one statement is ``_base_ = <its target>``: it adds nothing (whatever the target holds)."""
    with open(osp.join(REPO, alias)) as f:
        body = ast.parse(f.read()).body
    assert len(body) == 1 and isinstance(body[0], ast.Assign) and body[0].targets[0].id == '_base_', alias
    base = osp.normpath(osp.join(REPO, osp.dirname(alias), body[0].value.value))
    assert base == osp.join(REPO, target)


@pytest.mark.parametrize('folder', FOLDERS, ids=lambda d: rel(d[:-1]))
def test_folder_has_readme_and_metafile(folder):
    """README.md and metafile.yml beside the configs; the metafile lists every config of the folder (aliases
    aside) at a path that exists, and the README names each."""
    readme, metafile = osp.join(folder, 'README.md'), osp.join(folder, 'metafile.yml')
    assert osp.isfile(readme) and osp.isfile(metafile), f'{rel(folder)} needs README.md and metafile.yml'
    with open(metafile, encoding='utf-8') as f:
        meta = yaml.safe_load(f)
    with open(readme, encoding='utf-8') as f:
        readme_text = f.read()
    collections = {c['Name']: c for c in meta['Collections']}
    for collection in collections.values():
        assert osp.isfile(osp.join(REPO, collection['README'])), collection['README']
    listed = set()
    for model in meta['Models']:
        assert model['In Collection'] in collections, model['Name']
        assert 'Metadata' in model, model['Name']
        path = model['Config']
        assert osp.isfile(osp.join(REPO, path)), f'{rel(metafile)}: {model["Name"]} names {path}, which is missing'
        assert osp.dirname(osp.join(REPO, path)) == folder[:-1], path
        assert osp.basename(path) in readme_text, f'{rel(readme)} does not mention {osp.basename(path)}'
        listed.add(path)
    configs = {rel(p) for p in glob.glob(osp.join(folder, '*.py'))} - set(ALIASES)
    assert configs == listed, f'{rel(metafile)} lists {sorted(listed)}; the folder has {sorted(configs)}'


@pytest.mark.parametrize('base', ['mmdet::_base_/datasets/coco_panoptic.py', 'mmseg::_base_/datasets/ade20k.py'])
def test_bases_from_other_openmmlab_packages_load(tmp_path, base):
    """`_base_ = 'mmdet::...'` / `'mmseg::...'` resolve (mmengine needs pkg_resources for them: setuptools<81)."""
    path = tmp_path / 'cfg.py'
    path.write_text(f"_base_ = '{base}'\ntrain_dataloader = dict(batch_size=3)\n")
    cfg = Config.fromfile(str(path))
    assert cfg.train_dataloader.batch_size == 3
    assert cfg.train_dataloader.dataset.type == ('CocoPanopticDataset' if base.startswith('mmdet') else
                                                 'ADE20KDataset')


def test_missing_pretrained_checkpoint_is_a_clear_error(tmp_path):
    proc = None
    with pytest.raises(BaseException) as err:
        proc = run_tool('tools/train.py', 'configs/umgclip/umgclip_vit-b16_8xb256-amp-20k_umg41m.py', '--work-dir',
                        str(tmp_path))
    assert proc is None
    assert 'clip2umgclip.py' in str(err.value) and 'checkpoints/clip_vit-b16_openai.pth' in str(err.value)


def test_missing_data_is_a_clear_error(tmp_path):
    from umgclip_mm.datasets import UMGDataset
    with pytest.raises(FileNotFoundError, match='make_synthetic.py'):
        UMGDataset('annotations/train-*.jsonl', data_root=str(tmp_path / 'umg41m'))
