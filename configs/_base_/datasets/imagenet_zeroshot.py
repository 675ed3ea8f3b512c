# ImageNet-1k val (mmpretrain's `ImageNet`) for zero-shot evaluation, with CLIP's preprocessing: the short side
# resized to 224 (bicubic, pillow), centre crop 224, bit for bit open_clip's / OpenAI's / EVA-CLIP's test transform
# (torchvision's crop offset rounds as mmcv's; transformers' CLIPImageProcessor rounds it down, a pixel apart when the
# long side minus 224 is 3, 7, 11, ...; tests/test_apis/test_umgclip_inferencer.py). UMGCLIPInferencer uses this
# pipeline for models without their own. Layout (mmpretrain's):
#   data/imagenet/val/ILSVRC2012_val_00000001.JPEG ...   data/imagenet/meta/val.txt ("<file> <label>" per line)
# Metrics: top-1 / top-5 accuracy, and mean per-class recall (`single-label/recall`, macro average: what
# CLIP_benchmark reports as mean_per_class_recall).
img_size = 224
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),  # PIL decodes, as CLIP's preprocessing
    dict(type='ResizeEdge', scale=img_size, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(type='ImageNet', data_root='data/imagenet', split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = [
    # mmpretrain's Accuracy, with a top-k above the vocabulary's size dropped (logged) instead of a crash
    dict(type='umgclip_mm.VocabularyAccuracy', topk=(1, 5)),
    dict(type='SingleLabelMetric', items=('recall', ), average='macro'),
]
