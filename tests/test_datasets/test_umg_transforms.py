"""The UMG transforms: items travel as InstanceData (geometry, captions and tags together) from loading to packing."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils

from umgclip_mm.datasets import LoadUMGAnnotations, PackUMGInputs, SampleCaptions, UMGRandomResizedCrop


def rle_of(mask):
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=list(r['size']), counts=r['counts'].decode())


def square(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def loaded(h=100, w=100, regions=None, masks=None, **kw):
    """A record through LoadUMGAnnotations (``None``: the key is absent)."""
    rec = dict(img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w), source='t.jsonl:1', captions=['img'])
    rec.update(kw)
    if regions is not None:
        rec['regions'] = regions
    if masks is not None:
        rec['masks'] = masks
    return LoadUMGAnnotations().transform(rec)


def two_sides(h=100, w=100):
    """A 'left' item near the top-left corner and a 'right' one near the bottom-right, as boxes and as masks."""
    regions = [dict(bbox=[10, 10, 30, 30], captions=['left box'], tags=['l']),
               dict(bbox=[70, 70, 90, 90], captions=['right box', 'right'], tags=['r'])]
    masks = [dict(segmentation=rle_of(square(h, w, 10, 30, 10, 30)), captions=['left mask'], tags=['l']),
             dict(segmentation=rle_of(square(h, w, 70, 90, 70, 90)), captions=['right mask'], tags=['r'])]
    return loaded(h, w, regions, masks)


def test_load_makes_instance_data_and_drops_bad_items():
    h, w = 40, 60
    good = square(h, w, 1, 5, 1, 5)
    out = loaded(h, w, captions=['', ' ok '], tags=['t', ''],
                 regions=[dict(bbox=[100, 100, 120, 130], captions=['outside']),
                          dict(bbox=[5, 5, 5, 30], captions=['zero area']),
                          dict(bbox=[0, 0, float('nan'), 3], captions=['nan']),
                          dict(bbox=[-10, -10, 20, 10], tags=['clipped']),
                          dict(bbox=[1, 1, 9, 9], captions=['']),
                          'not an object'],
                 masks=[dict(segmentation=dict(size=[h, w], counts='P1'), captions=['bad rle']),
                        dict(segmentation=dict(size=[h, w + 1], counts=rle_of(good)['counts']), captions=['size']),
                        dict(segmentation=[[1, 1, 2]], captions=['short polygon']),
                        dict(segmentation=rle_of(np.zeros((h, w))), captions=['empty']),
                        dict(segmentation=[[1, 1, 20, 1, 20, 20]], captions=['triangle']),
                        # never handed to pycocotools: NaN, infinity and 1e9 made it allocate without bound
                        dict(segmentation=[[1, 1, float('nan'), 1, 20, 20]], captions=['nan polygon']),
                        dict(segmentation=[[1, 1, float('inf'), 1, 20, 20]], captions=['inf polygon']),
                        dict(segmentation=[[1, 1, 1e6, 1, 20, 20]], captions=['huge polygon']),
                        dict(segmentation=[[1, 1, '2', 1, 20, 20]], captions=['string coordinate']),
                        dict(segmentation=[[-30, -20, 100, 1, 20, 60]], captions=['partly outside']),
                        dict(segmentation=rle_of(good), captions=[], tags=[])])
    assert out['captions'] == ['ok'] and out['tags'] == ['t']
    regions, masks = out['regions'], out['masks']
    assert isinstance(regions, InstanceData) and isinstance(masks, InstanceData)
    assert regions.bboxes.dtype == np.float32 and regions.bboxes.tolist() == [[0, 0, 20, 10]]
    assert regions.captions == [[]] and regions.tags == [['clipped']]
    assert masks.masks.shape == (2, h, w) and masks.masks.dtype == np.uint8
    assert masks.captions == [['triangle'], ['partly outside']]  # within one image size of the image: kept


@pytest.mark.parametrize('masks', [None, []])
@pytest.mark.parametrize('regions', [None, []])
def test_records_without_items_give_empty_instances(regions, masks):
    out = loaded(40, 60, regions, masks)
    assert out['regions'].bboxes.shape == (0, 4) and out['regions'].captions == []
    assert out['masks'].masks.shape == (0, 40, 60) and out['masks'].tags == []


@pytest.mark.parametrize('case,random', [('absent', True), ('absent', False), ('empty', True), ('empty', False),
                                         ('all dropped', True)])
def test_crop_and_pack_without_items(case, random):
    """No ``masks`` / ``regions`` key, empty lists, or every item cropped away: the crop and the pack go through."""
    results = two_sides() if case == 'all dropped' else loaded(100, 100, *((None, None) if case == 'absent' else
                                                                           ([], [])))
    t = UMGRandomResizedCrop(size=32, random=random)
    if case == 'all dropped':
        t.crop_params = lambda h, w, rng: (40, 40, 20, 20)  # the centre: neither side is in it
    out = PackUMGInputs().transform(SampleCaptions().transform(t.transform(results)))
    s = out['data_samples']
    assert s.regions.bboxes.shape == (0, 4) and s.regions.caption == [] and s.regions.tags == []
    assert s.masks.masks.shape == (0, 32, 32) and s.masks.masks.dtype == torch.bool and s.masks.caption == []


def test_crop_that_drops_an_item_keeps_every_field_aligned():
    results = two_sides()
    results['regions'].scores = np.array([0.1, 0.9], np.float32)  # any per-item field follows its box
    t = UMGRandomResizedCrop(size=50, flip_prob=1.0)
    t.crop_params = lambda h, w, rng: (50, 50, 50, 50)  # the bottom-right quarter: only 'right' survives
    out = t.transform(results)
    assert out['img'].shape == (50, 50, 3) and out['flip']
    regions, masks = out['regions'], out['masks']
    assert regions.captions == [['right box', 'right']] and regions.tags == [['r']]
    assert regions.scores.tolist() == [pytest.approx(0.9)]
    assert masks.captions == [['right mask']] and masks.tags == [['r']]
    np.testing.assert_allclose(regions.bboxes, [[50 - 40, 20, 50 - 20, 40]])  # shifted by 50, then flipped
    ys, xs = np.nonzero(masks.masks[0])
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (10, 29, 20, 39)  # the same place as the flipped box


@pytest.mark.parametrize('min_visible', [0.4, 0.6])
def test_crop_keeps_a_partly_visible_item_only_above_min_visible(min_visible):
    t = UMGRandomResizedCrop(size=60, flip_prob=0.0, min_visible=min_visible)
    t.crop_params = lambda h, w, rng: (0, 0, 100, 80)  # x in [0, 80): half of each 'right' item is inside
    out = t.transform(two_sides())
    boxes = [[10 * 0.75, 10 * 0.6, 30 * 0.75, 30 * 0.6]] + [[70 * 0.75, 70 * 0.6, 60, 90 * 0.6]] * (min_visible < 0.5)
    assert out['regions'].captions == [['left box'], ['right box', 'right']][:len(boxes)]
    assert out['masks'].captions == [['left mask'], ['right mask']][:len(boxes)]
    np.testing.assert_allclose(out['regions'].bboxes, boxes, rtol=1e-6)
    assert out['masks'].masks.shape == (len(boxes), 60, 60)


def test_transforms_name_the_missing_loading_step():
    raw = dict(img=np.zeros((8, 8, 3), np.uint8), regions=[dict(bbox=[0, 0, 4, 4], captions=['a'])])
    for transform in (UMGRandomResizedCrop(size=8), SampleCaptions(), PackUMGInputs()):
        with pytest.raises(TypeError, match=f'{type(transform).__name__}.*"regions".*LoadUMGAnnotations'):
            transform.transform(dict(raw))


def test_sample_captions_and_pack():
    results = loaded(8, 8, captions=['a', 'b'], tags=['x'],
                     regions=[dict(bbox=[0, 0, 4, 4], tags=['y']), dict(bbox=[2, 2, 8, 8], captions=['c', 'd'])])
    out = PackUMGInputs().transform(SampleCaptions(random=False).transform(results))
    assert out['inputs'].shape == (3, 8, 8) and out['inputs'].dtype == torch.uint8
    s = out['data_samples']
    assert s.caption == 'a' and s.tags == ['x']
    assert s.regions.caption == ['', 'c'] and s.regions.tags == [['y'], []]
    assert s.regions.bboxes.dtype == torch.float32 and s.regions.bboxes.tolist() == [[0, 0, 4, 4], [2, 2, 8, 8]]
    assert s.masks.masks.shape == (0, 8, 8) and s.masks.caption == []
    assert 'captions' not in s.regions  # only the sampled caption travels on
    drawn = {SampleCaptions().transform(loaded(8, 8, captions=['a', 'b']))['caption'] for _ in range(50)}
    assert drawn == {'a', 'b'}
    no_sampling = PackUMGInputs().transform(loaded(8, 8, regions=[dict(bbox=[0, 0, 4, 4], captions=['c'])]))
    assert no_sampling['data_samples'].regions.caption == ['']  # no SampleCaptions step: empty captions


def test_random_draws_keep_their_order():
    """From numpy's global generator: the crop, the flip, then the image's caption, each region's and each
    mask's, in that order (the order the quickstart's seeded figures were measured with)."""
    def pipeline(seed):
        np.random.seed(seed)
        results = loaded(100, 100, captions=['i0', 'i1', 'i2'],
                         regions=[dict(bbox=[0, 0, 100, 100], captions=[f'r{k}{j}' for j in range(3)])
                                  for k in range(2)],
                         masks=[dict(segmentation=rle_of(np.ones((100, 100))), captions=['m0', 'm1', 'm2'])])
        t = UMGRandomResizedCrop(size=32, scale=(0.9, 1.0), min_visible=0.0)
        return SampleCaptions().transform(t.transform(results))

    for seed in range(5):
        out = pipeline(seed)
        np.random.seed(seed)
        y, x, ch, cw = UMGRandomResizedCrop(size=32, scale=(0.9, 1.0)).crop_params(100, 100, np.random)
        flip = np.random.random() < 0.5
        picks = [int(np.random.randint(3)) for _ in range(4)]
        assert out['crop'] == (x, y, cw, ch) and out['flip'] == flip
        assert [out['caption']] + out['regions'].caption + out['masks'].caption == \
            [f'i{picks[0]}', f'r0{picks[1]}', f'r1{picks[2]}', f'm{picks[3]}']


@pytest.mark.parametrize('ext', ['.jpg', '.png'])
def test_truncated_images_are_skipped_not_trained_on(ext):
    from umgclip_mm.datasets.transforms import LoadUMGImage
    img = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    data = cv2.imencode(ext, img)[1].tobytes()
    load = LoadUMGImage()
    ok = load(dict(img_path='x' + ext, img_bytes=data, source='shard:1'))
    assert ok is not None and ok['img'].shape == (48, 64, 3)
    padded = load(dict(img_path='x' + ext, img_bytes=data + b'\0' * 100, source='shard:2'))  # padding after the end
    assert padded is not None
    # cv2 decodes the first half of a JPEG and fills the rest; the transform drops it
    assert load(dict(img_path='x' + ext, img_bytes=data[:len(data) * 2 // 3], source='shard:3')) is None


def test_empty_texts_are_dropped_and_logged_with_the_line():
    from umgclip_mm.datasets.skip_report import SKIPS
    before = SKIPS.counts['empty text']
    out = loaded(captions=['', 'a caption', 3], tags='not a list',
                 masks=[dict(segmentation=[[1, 1, 20, 1, 20, 20]], captions=[' '], tags=['t'])])
    assert out['captions'] == ['a caption'] and out['tags'] == [] and out['masks'].captions == [[]]
    assert SKIPS.counts['empty text'] - before == 3  # image captions, image tags, mask 0 captions
    clean = loaded(captions=['fine'], tags=['t'])
    assert clean['captions'] == ['fine'] and SKIPS.counts['empty text'] - before == 3


# ---------------------------------------------------------------------------------------------------------------
# The fast mask path (LoadUMGAnnotations(lazy_masks=True), the default): masks stay run lengths until the crop, which
# decodes only the window of the masks that survive it. It must give exactly the samples of the dense path.
def random_masks(rng, h, w, n):
    """Masks of assorted kinds: blobs, one touching the top-left pixel (COCO's first run of 0s is empty), the full
    image, a single pixel, thin stripes."""
    yy, xx = np.mgrid[:h, :w]
    masks = []
    for k in range(n):
        kind = k % 5
        if kind == 0:
            cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0.5, max(h, w) / 2 + 1)
            m = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
        elif kind == 1:
            m = (yy < rng.integers(1, h + 1)) & (xx < rng.integers(1, w + 1))
        elif kind == 2:
            m = np.ones((h, w), bool)
        elif kind == 3:
            m = np.zeros((h, w), bool)
            m[rng.integers(h), rng.integers(w)] = True
        else:
            m = (xx % rng.integers(2, 6) == 0) & (yy > rng.integers(h))
        masks.append(m.astype(np.uint8))
    return masks


def test_rle_runs_are_the_masks_pycocotools_encodes():
    from umgclip_mm.datasets.transforms.rle_masks import RLEMasks, rle_runs
    rng = np.random.default_rng(0)
    for h, w in ((1, 1), (7, 5), (40, 60), (375, 500)):
        masks = [m for m in random_masks(rng, h, w, 10) if m.any()]
        strings = [mask_utils.encode(np.asfortranarray(m))['counts'] for m in masks]
        runs = rle_runs(strings + [np.array([0, h * w])], h * w)
        assert all(r is not None for r in runs)
        rle_masks = RLEMasks(runs[:-1], h, w)
        dense = np.stack(masks)
        assert rle_masks.shape == dense.shape and rle_masks.dtype == np.uint8 and len(rle_masks) == len(masks)
        np.testing.assert_array_equal(np.asarray(rle_masks), dense)
        np.testing.assert_array_equal(rle_masks.areas(), dense.sum((1, 2)))
        assert runs[-1].tolist() == [0, h * w]  # uncompressed counts pass through


@pytest.mark.parametrize('counts', ['', 'P1', '0', '1O10', '0\x7f', '1' * 12, 'OO'])
def test_malformed_rle_strings_are_rejected_not_decoded(counts):
    """Truncated, empty, mid-run or overflowing strings: pycocotools decodes some of them from uninitialised memory;
    the run lengths must sum to the image exactly."""
    from umgclip_mm.datasets.skip_report import SKIPS
    from umgclip_mm.datasets.transforms.rle_masks import rle_runs
    h, w = 4, 6
    good = mask_utils.encode(np.asfortranarray(square(h, w, 1, 3, 1, 4)))['counts']
    runs = rle_runs([good, counts.encode(), good], h * w)
    assert runs[1] is None and runs[0] is not None and runs[2].tolist() == runs[0].tolist()
    before = SKIPS.counts['bad mask']
    out = loaded(h, w, masks=[dict(segmentation=dict(size=[h, w], counts=counts), captions=['bad']),
                              dict(segmentation=dict(size=[h, w], counts=good.decode()), captions=['good'])])
    assert out['masks'].captions == [['good']] and SKIPS.counts['bad mask'] - before == 1


def test_rle_masks_index_count_and_resize_like_the_dense_array():
    from umgclip_mm.datasets.transforms.rle_masks import RLEMasks, nearest_index, rle_runs
    rng = np.random.default_rng(1)
    h, w = 45, 70
    dense = np.stack(random_masks(rng, h, w, 9))
    masks = RLEMasks(rle_runs([mask_utils.encode(np.asfortranarray(m))['counts'] for m in dense], h * w), h, w)
    keep = rng.random(9) < 0.5
    np.testing.assert_array_equal(np.asarray(masks[keep]), dense[keep])
    np.testing.assert_array_equal(np.asarray(masks[2:5]), dense[2:5])
    np.testing.assert_array_equal(masks[3], dense[3])
    np.testing.assert_array_equal(masks[:, 10:20, 5], dense[:, 10:20, 5])
    items = InstanceData(masks=masks, captions=[[str(i)] for i in range(9)])[keep]  # what the crop does
    assert items.captions == [[str(i)] for i in np.flatnonzero(keep)]
    np.testing.assert_array_equal(np.asarray(items.masks), dense[keep])
    for _ in range(40):
        cw, ch = int(rng.integers(1, w + 1)), int(rng.integers(1, h + 1))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        np.testing.assert_array_equal(masks.window_areas(x, y, cw, ch), dense[:, y:y + ch, x:x + cw].sum((1, 2)))
        oh, ow = (int(v) for v in rng.integers(1, 120, 2))  # up- and downsampling
        flip = bool(rng.random() < 0.5)
        expected = np.stack([cv2.resize(m[y:y + ch, x:x + cw], (ow, oh), interpolation=cv2.INTER_NEAREST)
                             for m in dense])
        got = masks.resized_windows(np.arange(9), (x, y, cw, ch), (oh, ow), flip)
        assert got.flags.c_contiguous
        np.testing.assert_array_equal(got, expected[:, :, ::-1] if flip else expected)
    for src in range(1, 700, 7):
        for dst in (1, 32, 224, 225, 448):
            row = cv2.resize(np.arange(src, dtype=np.float32)[None], (dst, 1), interpolation=cv2.INTER_NEAREST)[0]
            np.testing.assert_array_equal(nearest_index(src, dst), row.astype(np.int64))


@pytest.mark.parametrize('h,w,size', [(128, 128, 224), (375, 500, 224), (61, 33, 40)])
def test_lazy_masks_give_exactly_the_samples_of_dense_masks(h, w, size):
    """The whole pipeline from the same seed: polygons, compressed and uncompressed RLE, random crops and flips;
    every packed tensor and caption equal, and the same random draws."""
    rng = np.random.default_rng(h)
    dense = random_masks(rng, h, w, 8)
    segmentations = []
    for k, m in enumerate(dense):
        rle = mask_utils.encode(np.asfortranarray(m))
        if k % 3 == 0:
            segmentations.append(dict(size=[h, w], counts=rle['counts'].decode()))
        elif k % 3 == 1:
            counts = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], m.T.ravel(), [2]]))), prepend=0)
            segmentations.append(dict(size=[h, w], counts=[int(c) for c in counts]))
        else:
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(2, max(h, w) / 2)
            angles = np.sort(rng.uniform(0, 2 * np.pi, 12))
            segmentations.append([[float(v) for a in angles for v in (cx + r * np.cos(a), cy + r * np.sin(a))]])
    record = dict(height=h, width=w, captions=['an image'],
                  masks=[dict(segmentation=s, captions=[f'mask {k}', f'the mask {k}'], tags=[str(k)])
                         for k, s in enumerate(segmentations)],
                  regions=[dict(bbox=[0, 0, w / 2, h / 2], captions=['a box'])])
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)

    def pipeline(lazy, seed, random, min_visible):
        np.random.seed(seed)
        results = LoadUMGAnnotations(lazy_masks=lazy).transform(dict(record, img=img, img_shape=(h, w),
                                                                     source='t.jsonl:1'))
        crop = UMGRandomResizedCrop(size=size, scale=(0.1, 1.0), random=random, min_visible=min_visible)
        out = PackUMGInputs().transform(SampleCaptions().transform(crop.transform(results)))
        return out, np.random.random()

    for seed in range(12):
        random, min_visible = seed % 4 != 3, (0.0, 0.3, 0.9)[seed % 3]
        (fast, fast_next), (slow, slow_next) = (pipeline(lazy, seed, random, min_visible) for lazy in (True, False))
        assert fast_next == slow_next  # the same number of random draws
        assert fast['inputs'].equal(slow['inputs'])
        f, s = fast['data_samples'], slow['data_samples']
        assert f.masks.masks.dtype == torch.bool and f.masks.masks.equal(s.masks.masks), seed
        assert f.masks.caption == s.masks.caption and f.masks.tags == s.masks.tags
        assert f.regions.bboxes.equal(s.regions.bboxes) and f.caption == s.caption
    assert len(s.masks.caption) > 0  # the comparison saw masks
