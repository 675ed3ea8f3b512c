# COCO val2017 instances (mmdet's `CocoDataset`, 80 classes) with their boxes and masks given, for zero-shot region
# and mask recognition: every non-crowd instance is classified; the image's long side resized to 672 (keep ratio).
# Layout (mmdet's): data/coco/val2017/*.jpg   data/coco/annotations/instances_val2017.json
img_scale = (672, 672)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),  # before Resize, which rescales what is loaded
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
test_dataloader = dict(
    batch_size=8,
    num_workers=4,
    dataset=dict(type='CocoDataset', data_root='data/coco', ann_file='annotations/instances_val2017.json',
                 data_prefix=dict(img='val2017/'), test_mode=True, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
