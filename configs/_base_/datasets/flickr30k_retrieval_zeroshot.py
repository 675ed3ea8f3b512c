# Flickr30k 1k test (mmpretrain's `Flickr30kRetrieval`, Karpathy split: 1,000 images, 5,000 captions) for zero-shot
# image <-> text retrieval; coco_retrieval_zeroshot.py's pipeline, loop and metric. Layout (mmpretrain's):
#   data/flickr30k/images/*.jpg   data/flickr30k/annotations/dataset_flickr30k.json (Karpathy's)
_base_ = './coco_retrieval_zeroshot.py'
test_dataloader = dict(dataset=dict(_delete_=True, type='Flickr30kRetrieval', data_root='data/flickr30k',
                                    ann_file='annotations/dataset_flickr30k.json', data_prefix='images',
                                    split='test', pipeline=_base_.test_pipeline, test_mode=True))
