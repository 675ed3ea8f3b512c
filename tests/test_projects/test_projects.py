"""Every example under projects/ uses our parts by registry name only (its config adds nothing of ours but
``custom_imports``), builds from its stock mmdet / mmseg base, and takes one training step on tiny inputs with the
tower shrunk by config overrides."""
import ast
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmengine.registry import MODELS, init_default_scope
from mmengine.structures import PixelData

from conftest import REPO, run_tool
from umgclip_mm.registry import MODELS as OURS

TOY = 'projects/umgclip_upernet/configs/upernet_umgclip-toy_mln_1xb16-300_synthetic-128x128.py'
DET = 'projects/umgclip_mask_rcnn/configs/mask-rcnn_umgclip-vit-b16_vit-pyramid_8xb2-1x_coco.py'
SEG = 'projects/umgclip_upernet/configs/upernet_umgclip-vit-b16_mln_8xb2-80k_ade20k-512x512.py'
PROJECTS = sorted(glob.glob(osp.join(REPO, 'projects', '*', '')))
# a ViT-B/16-shaped tower shrunk to 4 layers of width 64 (patch 16, so the pyramid's strides are the real ones)
TINY = {'model.backbone.embed_dims': 64, 'model.backbone.num_layers': 4, 'model.backbone.num_heads': 2,
        'model.backbone.output_dims': 32, 'model.backbone.with_cp': False}
# the parameters a detector or segmentor never reads: the tower's post-norm and projection into the joint space
UNUSED = {'backbone.proj', 'backbone.post_norm.weight', 'backbone.post_norm.bias'}


def base_of(path):
    """The ``_base_`` a config file names (one string)."""
    tree = ast.parse(open(path).read())
    return next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and node.targets[0].id == '_base_')


def test_every_project_has_readme_configs_and_no_code():
    assert len(PROJECTS) >= 2
    for project in PROJECTS:
        assert osp.isfile(osp.join(project, 'README.md')), project
        configs = glob.glob(osp.join(project, 'configs', '*.py'))
        assert configs, f'{project} has no configs/'
        # by registry name only: no module of the project's own, nothing imported but the package
        assert not [f for f in glob.glob(osp.join(project, '**', '*.py'), recursive=True) if f not in configs]
        for path in configs:
            cfg = Config.fromfile(path)
            assert cfg.custom_imports == dict(imports=['umgclip_mm']), path
            assert cfg.model.backbone.type.startswith('umgclip_mm.'), path
            assert cfg.model.data_preprocessor.mean[0] == pytest.approx(0.48145466 * 255), path  # CLIP's
            base = base_of(path)  # a stock mmdet / mmseg config, or a sibling built on one
            if '::' not in base:
                sibling = osp.normpath(osp.join(osp.dirname(path), base))
                assert sibling in configs and '::' in base_of(sibling), path
            name = osp.relpath(path, REPO)
            assert name in open(osp.join(project, 'README.md')).read(), f'{project}README.md does not name {name}'


def build(path, **overrides):
    """The model of a project config, shrunk by ``TINY`` and ``overrides``, initialised."""
    cfg = Config.fromfile(osp.join(REPO, path))
    cfg.merge_from_dict(dict(TINY, **overrides))
    init_default_scope(cfg.default_scope)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))  # SyncBN in the stock heads: one process here
    model.init_weights()
    return model


class GradRecorder(OptimWrapper):
    """An OptimWrapper that notes which parameters backward reached before each step."""

    def step(self, **kwargs) -> None:
        self.reached = {id(p) for group in self.optimizer.param_groups for p in group['params'] if p.grad is not None}
        super().step(**kwargs)


def one_step(model, data):
    """One training step; returns the parsed losses and the parameters backward did not reach."""
    model.train()
    optim = GradRecorder(torch.optim.SGD(model.parameters(), lr=1e-3))
    losses = model.train_step(data, optim)
    return losses, {n for n, p in model.named_parameters() if id(p) not in optim.reached}


def test_mask_rcnn_on_umgclip_vit_trains_one_step():
    from mmdet.testing import demo_mm_inputs
    model = build(DET, **{'model.backbone.init_cfg': None, 'model.backbone.out_indices': (3, ),
                          'model.neck.in_channels': 64,
                          'model.neck.out_channels': 32, 'model.rpn_head.in_channels': 32,
                          'model.rpn_head.feat_channels': 32,
                          'model.roi_head.bbox_roi_extractor.out_channels': 32,
                          'model.roi_head.bbox_head.in_channels': 32,
                          'model.roi_head.bbox_head.fc_out_channels': 64,
                          'model.roi_head.mask_roi_extractor.out_channels': 32,
                          'model.roi_head.mask_head.in_channels': 32,
                          'model.roi_head.mask_head.conv_out_channels': 32})
    assert type(model).__name__ == 'MaskRCNN' and type(model.backbone).__name__ == 'UMGCLIPViT'
    assert type(model.neck).__name__ == 'ViTPyramidNeck'
    data = demo_mm_inputs(batch_size=2, image_shapes=[(3, 128, 96), (3, 96, 128)], num_items=[3, 2],
                          num_classes=80, with_mask=True)
    feats = model.extract_feat(model.data_preprocessor(data, True)['inputs'])
    assert [f.shape[-1] for f in feats] == [32, 16, 8, 4, 2]  # 128 px padded: strides 4, 8, 16, 32, 64
    losses, no_grad = one_step(model, data)
    assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_mask'} <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert no_grad == UNUSED, no_grad ^ UNUSED  # the whole tower (but its joint-space head), neck and heads learn


def test_upernet_on_umgclip_vit_trains_one_step():
    from mmseg.structures import SegDataSample
    model = build(SEG, **{'model.pretrained': None, 'model.backbone.out_indices': (0, 1, 2, 3),
                          'model.neck.in_channels': [64] * 4,
                          'model.neck.out_channels': 32, 'model.decode_head.in_channels': [32] * 4,
                          'model.decode_head.channels': 32, 'model.auxiliary_head.in_channels': 32,
                          'model.auxiliary_head.channels': 16, 'model.data_preprocessor.size': (64, 64)})
    assert type(model).__name__ == 'EncoderDecoder' and type(model.backbone).__name__ == 'UMGCLIPViT'
    g = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(2):
        inputs.append(torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8, generator=g))
        sample = SegDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 150, (1, 64, 64), generator=g))
        samples.append(sample)
    data = dict(inputs=inputs, data_samples=samples)
    feats = model.extract_feat(model.data_preprocessor(data, True)['inputs'])
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 2]  # 64 px: strides 4, 8, 16, 32
    losses, no_grad = one_step(model, data)
    assert {'decode.loss_ce', 'aux.loss_ce'} <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert no_grad == UNUSED, no_grad ^ UNUSED


def test_pretrained_loads_the_image_tower_of_a_umgclip_checkpoint(tmp_path, tiny_model_cfg):
    """The projects' weights: a UMGCLIP checkpoint's ``backbone.*`` loads into the tower of the mmseg example
    through ``pretrained=`` and into the mmdet one through ``init_cfg`` with ``prefix='backbone.'``."""
    tiny_model_cfg['backbone'].update(patch_size=16, num_layers=4, out_indices=(3, ), img_size=224)
    clip = OURS.build(tiny_model_cfg)
    ckpt = str(tmp_path / 'umgclip.pth')
    torch.save({'state_dict': clip.state_dict()}, ckpt)
    tower = clip.backbone.state_dict()
    seg = build(SEG, **{'model.pretrained': ckpt, 'model.neck.in_channels': [64] * 4,
                        'model.backbone.out_indices': (0, 1, 2, 3)})
    det = build(DET, **{'model.backbone.init_cfg.checkpoint': ckpt, 'model.neck.in_channels': 64,
                        'model.backbone.out_indices': (3, )})
    for model in (seg, det):
        for key, value in model.backbone.state_dict().items():
            assert torch.equal(value, tower[key]), key


@pytest.mark.slow  # trains (make test-all runs it)
def test_toy_config_trains_and_evaluates_with_tools_train(tmp_path):
    """The toy UPerNet config through tools/train.py on a generated toy world: the image tower of a UMGCLIP
    checkpoint of the quickstart's toy architecture loads through ``pretrained=``, two iterations, mIoU logged."""
    root = str(tmp_path / 'syn')
    run_tool('tools/dataset_converters/make_synthetic.py', root, '--num-train', '4', '--num-val', '2', '--size', '64')
    towers = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models', 'umgclip_towers.py'))
    ckpt = str(tmp_path / 'toy.pth')
    torch.save({'state_dict': OURS.build(towers.umgclip_toy).state_dict()}, ckpt)
    work = str(tmp_path / 'work')
    out = run_tool('tools/train.py', TOY, '--work-dir', work, '--cfg-options', f'model.pretrained={ckpt}',
                   f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
                   'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
                   'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
                   'val_dataloader.persistent_workers=False', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                   'default_hooks.logger.interval=1', 'param_scheduler=[]')
    assert f'Loads checkpoint by local backend from path: {ckpt}' in out.stdout + out.stderr
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'decode.loss_ce' in log and 'mIoU' in log
