# The same model at toy scale, on CPU in minutes: the quickstart's pretrained toy tower (`make quickstart` writes
# work_dirs/quickstart/iter_600.pth) under mmseg's MultiLevelNeck and UPerHead, trained on the toy world's
# semantic maps (13 classes, 128 px scenes; 64 px crops, the scale the tower was pretrained at).
#   python tools/train.py projects/umgclip_upernet/configs/upernet_umgclip-toy_mln_1xb16-300_synthetic-128x128.py
_base_ = './upernet_umgclip-vit-b16_mln_8xb2-80k_ade20k-512x512.py'

crop_size = (64, 64)
norm_cfg = dict(type='SyncBN', requires_grad=True)  # reverted to BatchNorm by mmengine in a single process
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='work_dirs/quickstart/iter_600.pth',
    # the tower of configs/_base_/models/umgclip_towers.py's umgclip_toy, without its token reduction
    backbone=dict(img_size=64, patch_size=8, embed_dims=96, num_layers=3, num_heads=3, output_dims=64,
                  out_indices=(2, ), token_reduction=None),
    # one stride-8 map: MultiLevelNeck repeats it and resizes to strides 4, 8, 16, 32
    neck=dict(in_channels=[96], out_channels=64, scales=[2, 1, 0.5, 0.25]),
    decode_head=dict(in_channels=[64] * 4, channels=64, num_classes=13, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=64, channels=32, num_classes=13, norm_cfg=norm_cfg))

# the toy world (tools/dataset_converters/make_synthetic.py): class indices, 255 = unlabelled
data_root = 'data/synthetic'
metainfo = dict(classes=('circle', 'square', 'triangle', 'star', 'ring', 'cross', 'diamond', 'hexagon', 'sky',
                         'grass', 'water', 'sand', 'wall'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(type='BaseSegDataset', data_root=data_root, metainfo=metainfo, img_suffix='.png',
                 seg_map_suffix='.png', data_prefix=dict(img_path='images/train', seg_map_path='semantic/train'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    dataset=dict(type='BaseSegDataset', data_root=data_root, metainfo=metainfo, img_suffix='.png',
                 seg_map_suffix='.png', data_prefix=dict(img_path='images/val', seg_map_path='semantic/val'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 300
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=50, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(by_epoch=False, interval=max_iters))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
