"""UMGCLIPInferencer: its pixels are open_clip's test transform's, its embeddings of image files transformers'
CLIPModel's for the same (converted, random) weights; arrays, PIL images, folders and lists in; zero-shot
classification to dicts, JSON and drawings, with the scores of the config's data set and ZeroShotClassifier."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from umgclip_mm.apis import UMGCLIPInferencer


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    """Non-square JPEGs of skimage photographs (512x384 coffee, 300x451 cat) and a text file, in one folder."""
    from skimage import data
    folder = tmp_path_factory.mktemp('photos')
    Image.fromarray(data.coffee()).resize((512, 384), Image.BICUBIC).save(folder / 'coffee.jpg', quality=90)
    Image.fromarray(data.chelsea()).save(folder / 'chelsea.jpg', quality=90)
    (folder / 'notes.txt').write_text('not an image')
    return folder


@pytest.fixture(scope='module')
def hf_and_ours(converted_hf_clip):
    """The Hugging Face CLIPModel the converter read, and our inferencer on the converted checkpoint."""
    from test_converters.clip_sources import make_hf_clip
    ckpt, model_cfg = converted_hf_clip
    hf = make_hf_clip()
    hf.load_state_dict(torch.load(osp.join(osp.dirname(ckpt), 'pytorch_model.bin'), weights_only=True))
    return hf.eval(), UMGCLIPInferencer(model_cfg, weights=ckpt, device='cpu'), model_cfg, ckpt


def processor(size):
    from transformers import CLIPImageProcessor
    return CLIPImageProcessor(size={'shortest_edge': size}, crop_size={'height': size, 'width': size})


def test_image_file_embedding_equals_transformers(hf_and_ours, photos):
    hf, ours, _, _ = hf_and_ours
    for name in ('coffee.jpg', 'chelsea.jpg'):  # landscape 512x384 and 451x300
        path = str(photos / name)
        with torch.no_grad():
            ref = F.normalize(hf.get_image_features(**processor(32)(Image.open(path), return_tensors='pt')), dim=-1)
        got = ours.encode_image(path)
        assert got.shape == ref.shape == (1, 48)
        torch.testing.assert_close(got, ref, atol=1e-4, rtol=0)
    # a different photo gives a different embedding (the check can fail)
    other = ours.encode_image(str(photos / 'chelsea.jpg'))
    assert (ours.encode_image(str(photos / 'coffee.jpg')) - other).abs().max() > 1e-2


def open_clip_pixels(path, size):
    """open_clip's test transform (OpenAI's clip.load and EVA-CLIP's too: PIL bicubic resize of the short side,
    torchvision's centre crop, CLIP's mean/std) of an image file, ``[1, 3, size, size]``."""
    from open_clip.transform import image_transform
    return image_transform(size, is_train=False)(Image.open(path))[None]


@pytest.mark.parametrize('size', [32, 35])  # 35: 512x384 -> 46x35, an odd remainder (46 - 35 = 11)
def test_preprocessing_equals_open_clip(hf_and_ours, photos, size):
    _, _, model_cfg, ckpt = hf_and_ours
    from mmengine.dataset import pseudo_collate
    ours = UMGCLIPInferencer(model_cfg, weights=ckpt, device='cpu', image_size=size)
    path = str(photos / 'coffee.jpg')
    pixels = ours.model.data_preprocessor(pseudo_collate([ours.pipeline(ours.load(path))]), False)['inputs']
    ref = open_clip_pixels(path, size)
    assert pixels.shape == ref.shape == (1, 3, size, size)
    torch.testing.assert_close(pixels, ref, atol=1e-5, rtol=0)
    # transformers' CLIPImageProcessor rounds the crop's offset down (5, not torchvision's round(5.5) = 6): a pixel
    # apart from open_clip at 35; at 32 (offset 7) the two agree
    hf = processor(size)(Image.open(path), return_tensors='pt')['pixel_values']
    assert ((hf - ref).abs().max() > 0.5) == (size == 35)


def test_arrays_pil_folders_and_lists(hf_and_ours, photos):
    _, ours, model_cfg, ckpt = hf_and_ours
    path = str(photos / 'coffee.jpg')
    by_file = ours.encode_image(path)
    rgb = np.asarray(Image.open(path))
    torch.testing.assert_close(ours.encode_image(np.ascontiguousarray(rgb[..., ::-1])), by_file)  # BGR (mmcv's)
    torch.testing.assert_close(ours.encode_image(Image.open(path)), by_file)
    as_rgb = UMGCLIPInferencer(model_cfg, weights=ckpt, device='cpu', channel_order='rgb')
    torch.testing.assert_close(as_rgb.encode_image(rgb), by_file)
    # a folder: its images, sorted (the text file ignored); a list mixing a folder, a file and an array; batches
    folder = ours.encode_image(str(photos), batch_size=2)
    assert folder.shape == (2, 48)
    torch.testing.assert_close(folder[1], by_file[0])  # chelsea.jpg, coffee.jpg
    mixed = ours.encode_image([str(photos), path, rgb[..., ::-1].copy()], batch_size=3)
    assert mixed.shape == (4, 48)
    torch.testing.assert_close(mixed[2:], torch.cat([by_file, by_file]))
    torch.testing.assert_close(mixed.norm(dim=-1), torch.ones(4))


def test_encode_text(hf_and_ours):
    _, ours, _, _ = hf_and_ours
    texts = ['a photo of a cat', 'a cup of coffee']
    got = ours.encode_text(texts)
    torch.testing.assert_close(got, ours.clip.encode_text(texts))
    torch.testing.assert_close(ours.encode_text('a cup of coffee'), got[1:])
    torch.testing.assert_close(got.norm(dim=-1), torch.ones(2))


def test_zero_shot_classification_to_json_and_drawings(hf_and_ours, photos, tmp_path):
    _, ours, _, _ = hf_and_ours
    vocab = ['cat|kitten', 'coffee', 'dog', 'car']
    files = [str(photos / 'coffee.jpg'), str(photos / 'chelsea.jpg')]
    out = ours(files, vocab=vocab, topk=3, batch_size=2, out_dir=str(tmp_path))
    preds, drawings = out['predictions'], out['visualization']
    # the scores by hand: softmax of the temperature-scaled cosines to the class embeddings
    class_embeds = ours.class_embeds(vocab)
    assert class_embeds.shape == (4, 48)
    manual = (ours.clip.get_logit_scale() * ours.encode_image(files) @ class_embeds.t()).softmax(-1)
    for i, (pred, path) in enumerate(zip(preds, files)):
        assert pred['image'] == path and pred['name'] == osp.splitext(osp.basename(path))[0]
        assert [t['label'] for t in pred['topk']] == manual[i].argsort(descending=True)[:3].tolist()
        assert [t['score'] for t in pred['topk']] == pytest.approx(manual[i].sort(descending=True)[0][:3].tolist(),
                                                                  abs=1e-5)
        assert pred['pred_class'] == ['cat', 'coffee', 'dog', 'car'][pred['pred_label']] == pred['topk'][0]['name']
        saved = json.load(open(tmp_path / 'preds' / f'{pred["name"]}.json'))
        assert saved == dict(pred, classes=['cat', 'coffee', 'dog', 'car'])
        assert (pred['height'], pred['width']) == Image.open(path).size[::-1]
        drawn = np.asarray(Image.open(tmp_path / 'vis' / f'{pred["name"]}.png').convert('RGB'))
        assert drawn.shape == drawings[i].shape and drawn.shape[1] > pred['width']  # the image and a panel
        assert (drawn[:pred['height'], :pred['width']] == np.asarray(Image.open(path).convert('RGB'))).mean() > 0.99
    # a folder, without drawings or files
    again = ours(str(photos), vocab=vocab, topk=10, draw=False)
    assert [p['name'] for p in again['predictions']] == ['chelsea', 'coffee'] and again['visualization'] == []
    assert len(again['predictions'][0]['topk']) == 4  # at most the vocabulary


def test_bad_input_names_the_fix(hf_and_ours, tmp_path):
    _, ours, _, _ = hf_and_ours
    with pytest.raises(ValueError, match='needs a vocabulary'):
        ours(np.zeros((40, 50, 3), np.uint8))
    with pytest.raises(ValueError, match='has no image file'):
        ours.encode_image(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='missing.jpg does not exist'):
        ours.encode_image(str(tmp_path / 'missing.jpg'))
    with pytest.raises(ValueError, match='must be uint8'):
        ours.encode_image(np.zeros((40, 50, 3), np.float32))
    with pytest.raises(TypeError, match='neither a umgclip_mm.UMGCLIP nor holds one'):
        UMGCLIPInferencer(torch.nn.Linear(2, 2))


def test_one_path_with_the_config_dataset_and_classifier(hf_and_ours, photos, tmp_path):
    """The inferencer on a ZeroShotClassifier config scores an image as tools/test.py does: the config's data set
    (CustomDataset, its own test pipeline, at the odd size 35) and the classifier's test_step; the pixels are
    open_clip's."""
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    from conftest import REPO
    from umgclip_mm.apis import init_model
    from umgclip_mm.registry import DATASETS
    _, _, model_cfg, ckpt = hf_and_ours
    for cls in ('cat', 'coffee'):
        (tmp_path / cls).mkdir()
    Image.open(photos / 'chelsea.jpg').save(tmp_path / 'cat' / 'chelsea.png')
    Image.open(photos / 'coffee.jpg').save(tmp_path / 'coffee' / 'coffee.png')
    cfg = Config.fromfile(f'{REPO}/configs/zeroshot/umgclip-vit-b16_zeroshot-cls_custom.py')
    cfg.model.clip = model_cfg
    cfg.model.vocab = ['cat|kitten', 'coffee']
    cfg.model.vocab_encoder.templates = ['a photo of a {}.', 'a {}']
    size = 35
    cfg.test_dataloader.dataset.update(data_root=str(tmp_path), classes=['cat', 'coffee'])
    for step in cfg.test_dataloader.dataset.pipeline:
        step.update({k: size for k in ('scale', 'crop_size') if k in step})
    ours = UMGCLIPInferencer(cfg, weights=ckpt, device='cpu')
    assert ours.class_names() == ['cat', 'coffee']  # the config's vocabulary is the default
    init_default_scope('mmpretrain')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    classifier = init_model(cfg, ckpt)
    for i, name in enumerate(('chelsea', 'coffee')):
        data = pseudo_collate([dataset[i]])
        ref = classifier.test_step(data)[0].pred_score
        got = ours(dataset.get_data_info(i)['img_path'], topk=2, draw=False)['predictions'][0]
        assert got['name'] == name
        assert [t['label'] for t in got['topk']] == ref.argsort(descending=True).tolist()
        assert [t['score'] for t in got['topk']] == pytest.approx(ref.sort(descending=True)[0].tolist(), abs=1e-6)
        pixels = classifier.data_preprocessor(data, False)['inputs']
        assert pixels.shape == (1, 3, size, size)
        torch.testing.assert_close(pixels, open_clip_pixels(str(photos / f'{name}.jpg'), size), atol=1e-5, rtol=0)
    # the embeddings are the classifier's: its image-level logits from encode_image
    embeds = ours.encode_image(dataset.get_data_info(1)['img_path'])
    logits = classifier.clip.get_logit_scale() * embeds @ classifier.class_embeds().t()
    torch.testing.assert_close(logits.softmax(-1)[0], classifier.test_step(pseudo_collate([dataset[1]]))[0].pred_score)


def test_default_pipeline_is_the_zero_shot_configs():
    """A model without its own pipeline gets imagenet_zeroshot.py's (which test_preprocessing_equals_open_clip and
    the one-path test check against open_clip), at the tower's size."""
    from mmengine.config import Config

    from conftest import REPO
    from umgclip_mm.apis.inferencers.clip_inputs import clip_test_pipeline
    cfg = Config.fromfile(f'{REPO}/configs/_base_/datasets/imagenet_zeroshot.py')
    assert cfg.test_pipeline == clip_test_pipeline(224)
    retrieval = Config.fromfile(f'{REPO}/configs/_base_/datasets/coco_retrieval_zeroshot.py').test_pipeline
    assert [t for t in retrieval if t['type'] != 'CleanCaption'][:3] == clip_test_pipeline(224)[:3]


def test_a_built_tower_takes_the_same_path(hf_and_ours, photos):
    """A built UMGCLIP is wrapped in a ZeroShotClassifier as its config is: the same embeddings and scores."""
    _, ours, _, _ = hf_and_ours
    built = UMGCLIPInferencer(ours.clip, vocab=['cat', 'coffee'])
    assert type(built.model).__name__ == 'ZeroShotClassifier' and built.clip is ours.clip
    path = str(photos / 'chelsea.jpg')
    torch.testing.assert_close(built.encode_image(path), ours.encode_image(path))
    assert built(path, draw=False)['predictions'] == ours(path, vocab=['cat', 'coffee'], draw=False)['predictions']


def test_a_task_model_lends_its_tower_and_templates():
    """A task config (the quickstart's semantic model): its UMG-CLIP in a ZeroShotClassifier with its own prompt
    templates, not the default ones, and CLIP's pipeline at the tower's size."""
    from mmengine.config import Config

    from conftest import REPO
    cfg = Config.fromfile(f'{REPO}/configs/quickstart/semseg_synthetic.py')
    cfg.model.clip.init_cfg = None  # random towers: a fresh clone has no quickstart checkpoint to load
    inferencer = UMGCLIPInferencer(cfg, device='cpu')
    assert type(inferencer.model).__name__ == 'ZeroShotClassifier'
    assert list(inferencer.vocab_encoder.templates) == ['a {}', 'the {}', '{} in the background']
    data = inferencer.pipeline(inferencer.load(np.zeros((40, 90, 3), np.uint8)))
    assert tuple(data['inputs'].shape) == (3, 64, 64)
    with pytest.raises(ValueError, match='needs a vocabulary'):
        inferencer(np.zeros((40, 90, 3), np.uint8))
