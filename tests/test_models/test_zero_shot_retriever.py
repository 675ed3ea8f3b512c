"""ZeroShotRetriever under mmpretrain's retrieval loop: recall on a hand-made similarity matrix with known answers
(5 captions per image), and the COCO retrieval config end to end on a generated set."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.evaluation import RetrievalRecall
from mmpretrain.structures import DataSample

from conftest import REPO
from umgclip_mm.registry import MODELS

COCO = osp.join(REPO, 'configs', 'zeroshot', 'umgclip-vit-b16_zeroshot-retrieval_coco.py')


def recall(samples, topk):
    metric = RetrievalRecall(topk=topk)
    metric.process(None, [s.to_dict() for s in samples])
    return metric.compute_metrics(metric.results)


def test_recall_on_a_hand_made_similarity_matrix(converted_hf_clip):
    """4 images x 5 captions. Image i is e_i; the captions of images 2, 3 are their image; image 1's captions lean
    to image 0 (0.6 e0 + 0.8 e1); image 0's first four captions point nowhere near it (e4 + 0.3 e3 + 0.2 e2 +
    0.1 e0: images ranked 3, 2, 0, 1), its fifth is 0.5 e0 + 0.866 e1.
    Image -> text: image 0's best caption (its fifth, 0.5) comes after image 1's five (0.6): rank 6; image 1's own
    (0.8) come after image 0's fifth (0.866): rank 2; images 2, 3: rank 1. Recall@1 50, @3 75.
    Text -> image: image 0's first four find it at rank 3, its fifth at rank 2; the rest at rank 1. Recall@1 75,
    @3 100."""
    init_default_scope('mmpretrain')
    model = MODELS.build(dict(type='umgclip_mm.ZeroShotRetriever', clip=converted_hf_clip[1]))
    e = torch.eye(8)
    images = e[:4]
    odd = F.normalize(e[4] + 0.3 * e[3] + 0.2 * e[2] + 0.1 * e[0], dim=0)
    texts = [odd] * 4 + [F.normalize(0.5 * e[0] + 0.866 * e[1], dim=0)]
    texts += [F.normalize(0.6 * e[0] + 0.8 * e[1], dim=0)] * 5 + [e[2]] * 5 + [e[3]] * 5
    samples = [DataSample(text=[f'caption {5 * i + j}' for j in range(5)], gt_text_id=list(range(5 * i, 5 * i + 5)),
                          gt_image_id=[i] * 5) for i in range(4)]
    i2t, t2i = model.predict_all(dict(image_feat=images, text_feat=torch.stack(texts)), samples, num_images=4,
                                 num_texts=20)
    assert len(i2t) == 4 and len(t2i) == 20 and i2t[0].pred_score.shape == (20, )
    assert recall(i2t, (1, 3)) == {'Recall@1': 50.0, 'Recall@3': 75.0}
    assert recall(t2i, (1, 3)) == {'Recall@1': 75.0, 'Recall@3': 100.0}


def test_embeddings_are_the_clip_encoders(converted_hf_clip):
    ckpt, model_cfg = converted_hf_clip
    init_default_scope('mmpretrain')
    model = MODELS.build(dict(type='umgclip_mm.ZeroShotRetriever', clip=model_cfg, text_batch_size=2))
    model.train()  # the runner may: the towers stay frozen and in eval mode
    assert not model.clip.training and not any(p.requires_grad for p in model.parameters())
    inputs = torch.randn(2, 3, 32, 32)
    samples = [DataSample(text=['a cat', 'a dog', 'two cats']), DataSample(text='a red car')]
    feats = model(inputs, samples, mode='tensor')
    torch.testing.assert_close(feats['image_feat'], model.clip.encode_image(inputs))
    torch.testing.assert_close(feats['text_feat'], model.clip.encode_text(['a cat', 'a dog', 'two cats',
                                                                           'a red car']))
    with pytest.raises(RuntimeError, match='nothing to train'):
        model(inputs, samples, mode='loss')


def test_coco_retrieval_config_runs_under_mmpretrains_retrieval_loop(converted_hf_clip, tmp_path):
    ckpt, model_cfg = converted_hf_clip
    rng = np.random.default_rng(0)
    (tmp_path / 'val2014').mkdir()
    images, annotations = [], []
    for i in range(3):
        cv2.imwrite(str(tmp_path / 'val2014' / f'{i}.jpg'), rng.integers(0, 255, (40, 48, 3), dtype=np.uint8))
        images.append(dict(id=100 + i, coco_url=f'http://images.cocodataset.org/val2014/{i}.jpg'))
        annotations += [dict(id=10 * i + j, image_id=100 + i, caption=f'picture {i} caption {j}') for j in range(5)]
    (tmp_path / 'captions.json').write_text(json.dumps(dict(images=images, annotations=annotations)))
    cfg = Config.fromfile(COCO)
    cfg.model.clip = model_cfg
    cfg.test_dataloader.dataset.update(data_root=str(tmp_path), ann_file='captions.json')
    cfg.test_dataloader.update(batch_size=2, num_workers=0)
    cfg.test_evaluator.topk = (1, 3)  # 3 images
    cfg.update(work_dir=str(tmp_path / 'work'), load_from=ckpt, env_cfg=dict(dist_cfg=dict(backend='gloo')))
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert set(metrics) == {f'{d}/retrieval/Recall@{k}' for d in ('i2t', 't2i') for k in (1, 3)}
    # the same recall by hand: the loaded towers' cosine similarities of the 3 images and 15 captions
    model, image_feats = runner.model, []
    with torch.no_grad():
        for batch in runner.test_dataloader:
            data = model.data_preprocessor(batch, False)
            image_feats.append(model.clip.encode_image(data['inputs']))
        dataset = runner.test_dataloader.dataset  # read in order (no shuffling): image k is the file {k}.jpg
        owners = [int(osp.basename(dataset.get_data_info(k)['img_path'])[:-4]) for k in range(len(dataset))]
        captions = [f'picture {i} caption {j}' for i in owners for j in range(5)]
        sim = F.normalize(torch.cat(image_feats), dim=-1) @ F.normalize(model.clip.encode_text(captions), dim=-1).T
    caption_image = torch.arange(3).repeat_interleave(5)  # row of the image each caption describes
    for k in (1, 3):
        i2t = [(caption_image[sim[i].topk(k).indices] == i).any() for i in range(3)]
        t2i = [(sim[:, t].topk(k).indices == caption_image[t]).any() for t in range(15)]
        assert metrics[f'i2t/retrieval/Recall@{k}'] == pytest.approx(100 * float(np.mean(i2t)), abs=1e-3)
        assert metrics[f't2i/retrieval/Recall@{k}'] == pytest.approx(100 * float(np.mean(t2i)), abs=1e-3)
