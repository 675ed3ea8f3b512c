# Zero-shot recognition at toy scale, on CPU in seconds: the quickstart's pretrained UMG-CLIP towers, frozen,
# classify the held-out toy scenes (image: the shape it shows, when it shows one kind), every given box
# (encode_regions, 8 shapes) and every given mask (encode_masks, 8 shapes and 5 backgrounds) by the text embeddings
# of the class names; top-1 / top-5 and mean per-class recall per level, and a per-class table in the log.
#   make quickstart        (or: python tools/train.py configs/quickstart/pretrain_synthetic.py
#                                  --work-dir work_dirs/quickstart)
#   python tools/test.py configs/quickstart/zeroshot_synthetic.py work_dirs/quickstart/iter_600.pth
# Any UMG-CLIP checkpoint of the toy towers evaluates the same way (e.g. the run without region and mask terms).
_base_ = ['../_base_/models/umgclip_towers.py', '../_base_/datasets/umg_synthetic.py',
          '../_base_/default_runtime.py']
env_cfg = dict(dist_cfg=dict(backend='gloo'))

thing_classes = ['circle', 'square', 'triangle', 'star', 'ring', 'cross', 'diamond', 'hexagon']
stuff_classes = ['sky', 'grass', 'water', 'sand', 'wall']
classes = thing_classes + stuff_classes  # = data/synthetic/vocab/classes.txt
model = dict(
    type='umgclip_mm.ZeroShotClassifier',
    clip=_base_.umgclip_toy,
    vocab=classes,
    levels=('image', 'region', 'mask'),
    vocab_encoder=dict(templates=['a {}', 'the {}', '{} in the background']))  # the phrasing of the toy captions
train_dataloader = None
train_cfg = None
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
test_dataloader = dict(batch_size=50, num_workers=0, persistent_workers=False)
test_evaluator = dict(_delete_=True, type='umgclip_mm.ZeroShotRecognitionMetric', classes=classes,
                      image_classes=thing_classes)
