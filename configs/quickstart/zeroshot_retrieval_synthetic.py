# Zero-shot image <-> text retrieval at toy scale under mmpretrain's RetrievalTestLoop and RetrievalRecall: the
# quickstart's pretrained towers, frozen, on the held-out toy scenes and their descriptive captions ("a red circle,
# a blue star over sky and grass"); i2t / t2i recall@1/5/10.
#   python tools/test.py configs/quickstart/zeroshot_retrieval_synthetic.py work_dirs/quickstart/iter_600.pth
# Toy captions repeat across scenes (the same shapes, colours and backgrounds): a repeat of the right caption ranked
# first counts as a miss, as in COCO.
_base_ = ['../_base_/models/umgclip_towers.py', '../_base_/default_runtime.py']
default_scope = 'mmpretrain'
env_cfg = dict(dist_cfg=dict(backend='gloo'))
model = dict(type='umgclip_mm.ZeroShotRetriever', clip=_base_.umgclip_toy)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=64, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=64),
    dict(type='PackInputs', algorithm_keys=['text', 'gt_text_id', 'gt_image_id'], meta_keys=['image_id']),
]
test_dataloader = dict(
    batch_size=50,
    num_workers=0,
    dataset=dict(type='umgclip_mm.UMGRetrievalDataset', data_root='data/synthetic', ann_files='umg/val.jsonl',
                 max_captions=1, pipeline=test_pipeline, test_mode=True),
    sampler=dict(type='SequentialSampler', subsample_type='sequential'))
test_evaluator = dict(type='umgclip_mm.GalleryRetrievalRecall', topk=(1, 5, 10))
test_cfg = dict(type='RetrievalTestLoop')
train_dataloader = None
train_cfg = None
val_cfg = None
