"""UMGCLIPInferencer.ground: a phrase's best boxes and masks in one image, equal to a brute-force computation from
encode_regions / encode_masks / encode_text of a tiny random UMG-CLIP, sliding windows when no box is given, the
drawing, the JSON files, and bad input refused by name."""
import json

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from umgclip_mm.apis import InputError, UMGCLIPInferencer
from umgclip_mm.models.pretrainers.umgclip import CLIP_MEAN, CLIP_STD

PHRASE = 'a red thing'


@pytest.fixture(scope='module')
def inferencer():
    from conftest import TINY_TEXT, TINY_VIT
    torch.manual_seed(0)
    return UMGCLIPInferencer(dict(type='umgclip_mm.UMGCLIP', backbone=dict(TINY_VIT), text_encoder=dict(TINY_TEXT)),
                             device='cpu')


def scene(tmp_path):
    """A 40 x 48 random image file, three boxes and two masks (RLE) of it."""
    rng = np.random.default_rng(3)
    img = rng.integers(0, 255, (40, 48, 3), np.uint8)
    path = str(tmp_path / 'scene.png')
    cv2.imwrite(path, img)
    boxes = np.array([[2, 3, 20, 25], [10, 5, 47, 39], [30, 0, 45, 12]], np.float32)
    bitmaps = np.zeros((2, 40, 48), np.uint8)
    bitmaps[0, 5:30, 4:20] = 1
    cv2.circle(bitmaps[1], (35, 25), 9, 1, -1)
    return path, img, boxes, bitmaps


def brute_force(clip, img, boxes, bitmaps, phrase):
    """Cosines of the boxes and masks with the phrase, from the model's encode_* methods (the image resized whole
    to the tower's square, the boxes scaled with it)."""
    s = clip.backbone.img_size[0]
    h, w = img.shape[:2]
    rgb = cv2.resize(img, (s, s), interpolation=cv2.INTER_CUBIC)[..., ::-1].astype(np.float32)
    x = torch.from_numpy(((rgb - CLIP_MEAN) / CLIP_STD).transpose(2, 0, 1).copy()).float()[None]
    with torch.no_grad():
        text = clip.encode_text([phrase])[0]
        region = clip.encode_regions(x, [torch.from_numpy(boxes * np.array([s / w, s / h] * 2, np.float32))])[0]
        mask = clip.encode_masks(x, [torch.from_numpy(bitmaps.astype(bool))])[0]
    return (region @ text).numpy(), (mask @ text).numpy()


def test_ground_equals_brute_force_with_boxes_and_masks(inferencer, tmp_path):
    path, img, boxes, bitmaps = scene(tmp_path)
    region, mask = brute_force(inferencer.clip, img, boxes, bitmaps, PHRASE)
    out = inferencer.ground(path, PHRASE, boxes=boxes, masks=bitmaps, topk=5, out_dir=str(tmp_path / 'out'))
    pred = out['predictions'][0]
    hits = pred['hits']
    assert pred['proposals'] == 'given' and pred['num_regions'] == 3 and pred['num_masks'] == 2
    expected = sorted([('region', j, s) for j, s in enumerate(region)] + [('mask', j, s) for j, s in enumerate(mask)],
                      key=lambda t: -t[2])
    assert [(h['level'], h['item']) for h in hits] == [(lv, j) for lv, j, _ in expected]
    np.testing.assert_allclose([h['score'] for h in hits], [s for *_, s in expected], atol=1e-5)
    for h in hits:  # SearchHit's fields, the geometry of the chosen candidate
        assert set(h) >= {'score', 'level', 'key', 'image_id', 'item', 'box'} and h['key'] == path
        if h['level'] == 'region':
            np.testing.assert_allclose(h['box'], boxes[h['item']])
        else:
            np.testing.assert_array_equal(mask_utils.decode(dict(h['mask'], counts=h['mask']['counts'].encode())),
                                          bitmaps[h['item']])
    # written as JSON, and drawn: the image at the top left, a legend panel on its right
    assert json.loads((tmp_path / 'out' / 'preds' / 'scene.json').read_text())['hits'] == hits
    drawing = out['visualization'][0]
    assert drawing.shape[0] >= 40 and drawing.shape[1] > 48 + 40 and (drawing[:40, 48] == 160).all()
    assert (np.abs(drawing[:40, :48].astype(int) - img[..., ::-1]).sum(-1) > 0).mean() > 0.1  # boxes, masks drawn
    assert (cv2.imread(str(tmp_path / 'out' / 'vis' / 'scene.png'))[..., ::-1] == drawing).all()
    # one level only: the masks alone compete
    only = inferencer.ground(img, PHRASE, boxes=boxes, masks=bitmaps, topk=1, level='mask')['predictions'][0]
    assert only['hits'][0]['level'] == 'mask' and only['hits'][0]['item'] == int(np.argmax(mask))
    assert only['hits'][0]['key'] != path and not inferencer.ground(img, PHRASE, boxes=boxes)['visualization']


def test_ground_without_boxes_ranks_sliding_windows(inferencer, tmp_path):
    from umgclip_mm.search import grid_proposals
    path, img, _, _ = scene(tmp_path)
    windows = grid_proposals(40, 48)
    region, _ = brute_force(inferencer.clip, img, windows, np.zeros((0, 40, 48), np.uint8), PHRASE)
    pred = inferencer.ground(path, PHRASE, topk=3)['predictions'][0]
    assert pred['proposals'] == 'grid' and pred['num_regions'] == len(windows) and len(pred['hits']) == 3
    top = pred['hits'][0]
    np.testing.assert_allclose(top['box'], windows[int(np.argmax(region))])
    assert abs(top['score'] - region.max()) < 1e-5


@pytest.mark.parametrize('kwargs, words', [
    (dict(phrase=' '), 'needs a phrase'),
    (dict(level='image'), "level must be 'region', 'mask' or 'all'"),
    (dict(topk=0), 'topk must be at least 1'),
    (dict(boxes=[1, 2, 3]), 'boxes must be [K, 4]'),
    (dict(masks=np.zeros((1, 10, 10))), 'masks must be [M, 40, 48] bitmaps'),
    (dict(masks=[dict(size=[10, 10], counts='00')]), 'masks[0] is not a COCO RLE of the image\'s size'),
    (dict(boxes=np.zeros((2, 4)), level='mask'), 'no candidate mask to rank'),
])
def test_ground_refuses_bad_input(inferencer, tmp_path, kwargs, words):
    _, img, _, _ = scene(tmp_path)
    kwargs = dict(dict(phrase=PHRASE), **kwargs)
    with pytest.raises(InputError) as err:
        inferencer.ground(img, kwargs.pop('phrase'), **kwargs)
    assert words in str(err.value)


def test_ground_with_the_quickstart_pretraining_config(tmp_path):
    """The web page's default model: a pretraining config, whose test loader collates with a dict."""
    from conftest import REPO
    inferencer = UMGCLIPInferencer(f'{REPO}/configs/quickstart/pretrain_synthetic.py', device='cpu')
    _, img, boxes, _ = scene(tmp_path)
    hits = inferencer.ground(img, PHRASE, boxes=boxes, topk=2)['predictions'][0]['hits']
    assert [h['level'] for h in hits] == ['region', 'region'] and hits[0]['score'] >= hits[1]['score']
