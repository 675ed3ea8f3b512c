# COCO Karpathy 5k test (mmpretrain's `COCORetrieval`: 5,000 images, 25,010 captions) for zero-shot image <-> text
# retrieval under mmpretrain's RetrievalTestLoop, with CLIP's preprocessing (short side to 224, bicubic, centre crop).
# Layout (mmpretrain's; the annotation file is OpenMMLab's caption_karpathy_test2014.json):
#   data/coco/val2014/COCO_val2014_*.jpg   data/coco/annotations/caption_karpathy_test2014.json
# Recall: image -> text recall@k counts an image found when any of its captions is in the top k
# (CLIP_benchmark's count); text -> image, each caption's one image.
img_size = 224
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),  # PIL decodes, as CLIP's preprocessing
    dict(type='ResizeEdge', scale=img_size, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='CleanCaption', keys='text'),
    dict(type='PackInputs', algorithm_keys=['text', 'gt_text_id', 'gt_image_id'], meta_keys=['image_id']),
]
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(type='COCORetrieval', data_root='data/coco', ann_file='annotations/caption_karpathy_test2014.json',
                 pipeline=test_pipeline, test_mode=True),
    sampler=dict(type='SequentialSampler', subsample_type='sequential'))
# umgclip_mm's GalleryRetrievalRecall is RetrievalRecall with a k above the gallery dropped with a note (a user's own
# set of fewer than 10 images), where RetrievalRecall stops with torch's 'selected index k out of range'.
test_evaluator = dict(type='umgclip_mm.GalleryRetrievalRecall', topk=(1, 5, 10))
test_cfg = dict(type='RetrievalTestLoop')
