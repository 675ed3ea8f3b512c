# Zero-shot image <-> text retrieval on your own image-caption pairs (docs/custom_data.md, "Retrieval"): a frozen
# UMG-CLIP ViT-B/16, as configs/zeroshot/umgclip-vit-b16_zeroshot-retrieval_coco.py, on a JSON-lines file with one
# image a line and its captions ({"image": "a.jpg", "height": 480, "width": 640, "captions": ["...", "..."]}, the UMG
# format's image level; docs/custom_data.md converts a CSV of pairs); i2t / t2i recall@1/5/10.
#   data/my_retrieval/images/*.jpg   data/my_retrieval/captions.jsonl
#   python tools/test.py configs/custom/umgclip-vit-b16_zeroshot-retrieval_custom-captions.py CHECKPOINT
_base_ = '../zeroshot/umgclip-vit-b16_zeroshot-retrieval_coco.py'
data_root = 'data/my_retrieval'
test_dataloader = dict(
    dataset=dict(_delete_=True, type='umgclip_mm.UMGRetrievalDataset', data_root=data_root,
                 ann_files='captions.jsonl', pipeline=_base_.test_pipeline, test_mode=True))
