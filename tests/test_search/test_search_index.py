"""umgclip_mm.search: the index round trip against a brute-force computation from encode_image / encode_regions /
encode_masks / encode_text, resume of an interrupted build, bad images, a distributed split, moving the folder,
FAISS flat and IVF-PQ, grounding and the search metrics."""
import json
import os
import shutil

import cv2
import numpy as np
import pytest
import torch

from umgclip_mm.models.pretrainers.umgclip import CLIP_MEAN, CLIP_STD
from umgclip_mm.search import (RegionEmbedder, SearchIndex, SearchIndexBuilder, SearchIndexError, build_faiss_index,
                               evaluate_index, grid_proposals, ground_phrase, read_captioned_items, read_collection,
                               read_faiss_index, write_faiss_index)
from umgclip_mm.search.region_embedder import decode_rles

from .conftest import write_collection


def brute_force(model, item):
    """Image, region and mask embeddings of one collection item straight from the model's encode_* methods."""
    img = cv2.imread(item.img_path)
    h, w = img.shape[:2]
    s = model.backbone.img_size[0]
    rgb = cv2.resize(img, (s, s), interpolation=cv2.INTER_CUBIC)[..., ::-1].astype(np.float32)
    x = torch.from_numpy(((rgb - CLIP_MEAN) / CLIP_STD).transpose(2, 0, 1).copy()).float()[None]
    boxes = torch.from_numpy(item.boxes * np.array([s / w, s / h] * 2, np.float32))
    masks = torch.from_numpy(decode_rles(item.masks).astype(bool))
    with torch.no_grad():
        return (model.encode_image(x)[0].numpy(), model.encode_regions(x, [boxes])[0].numpy(),
                model.encode_masks(x, [masks])[0].numpy())


def build(tiny_clip, collection, out_dir, **kwargs):
    items, root = read_collection(collection)
    builder = SearchIndexBuilder(RegionEmbedder(tiny_clip, batch_size=2), str(out_dir), progress=False, **kwargs)
    return builder, builder.build(items, root), items


def test_round_trip_equals_brute_force(tiny_clip, collection, tmp_path):
    _, manifest, items = build(tiny_clip, collection, tmp_path / 'index', shard_size=2)
    assert manifest['counts']['images'] == 5 and manifest['num_shards'] == 3 and manifest['complete']
    expected = [brute_force(tiny_clip, item) for item in items]
    image = np.stack([e[0] for e in expected])
    region = np.concatenate([e[1] for e in expected])
    mask = np.concatenate([e[2] for e in expected])
    assert manifest['counts']['regions'] == len(region) == sum(len(i.boxes) for i in items)
    assert manifest['counts']['masks'] == len(mask)

    index = SearchIndex(str(tmp_path / 'index'), RegionEmbedder(tiny_clip))  # reopened from disk
    text = tiny_clip.encode_text(['a red thing']).detach().numpy()[0]
    for level, vectors in (('image', image), ('region', region), ('mask', mask)):
        brute = vectors @ text
        hits = index.search_text('a red thing', level, topk=len(brute))
        assert len(hits) == len(brute)
        # every item's stored score is its brute-force score (float16 storage), ranked best first
        np.testing.assert_allclose([h.score for h in hits], np.sort(brute)[::-1], atol=3e-3)
        np.testing.assert_allclose([brute[h.item] for h in hits], [h.score for h in hits], atol=3e-3)
    # hits carry their image and geometry
    hit = index.search_text('a red thing', 'region', topk=1)[0]
    owner = np.repeat(np.arange(len(items)), [len(i.boxes) for i in items])[hit.item]
    assert hit.key == items[owner].key and hit.image_id == owner
    first = int(np.flatnonzero(np.repeat(np.arange(len(items)), [len(i.boxes) for i in items]) == owner)[0])
    np.testing.assert_allclose(hit.box, items[owner].boxes[hit.item - first], atol=0.01)
    mask_hit = index.search_text('the background', 'mask', topk=1)[0]
    assert mask_hit.mask is not None and len(mask_hit.box) == 4
    # level 'all' merges the three levels by score
    all_hits = index.search_text('a red thing', 'all', topk=4)
    best = sorted(np.concatenate([image, region, mask]) @ text)[::-1][:4]
    np.testing.assert_allclose([h.score for h in all_hits], best, atol=3e-3)

    # query by example region: the box's own embedding is its nearest neighbour, at cosine 1
    item = items[2]
    hits = index.search_region(cv2.imread(item.img_path), item.boxes[0], 'region', topk=3)
    assert hits[0].key == item.key and abs(hits[0].score - 1) < 3e-3


def test_grounding_equals_brute_force(tiny_clip, collection, tmp_path):
    _, _, items = build(tiny_clip, collection, tmp_path / 'index')
    index = SearchIndex(str(tmp_path / 'index'), RegionEmbedder(tiny_clip))
    item = max(items, key=lambda i: len(i.boxes))
    _, region, mask = brute_force(tiny_clip, item)
    text = tiny_clip.encode_text(['a blue thing']).detach().numpy()[0]
    hits = index.ground(item.key, 'a blue thing', level='all', topk=10)
    scores = np.concatenate([region @ text, mask @ text])
    assert len(hits) == len(scores) and all(h.key == item.key for h in hits)
    np.testing.assert_allclose([h.score for h in hits], np.sort(scores)[::-1], atol=3e-3)
    top = index.ground(item.key, 'a blue thing', level='region', topk=1)[0]
    np.testing.assert_allclose(top.box, item.boxes[int(np.argmax(region @ text))], atol=0.01)
    # the same on an image outside the index, from one forward pass
    fresh = ground_phrase(RegionEmbedder(tiny_clip), cv2.imread(item.img_path), 'a blue thing', item.boxes,
                          item.masks, topk=10)
    np.testing.assert_allclose([h['score'] for h in fresh], np.sort(scores)[::-1], atol=1e-4)
    with pytest.raises(KeyError, match='not in the index'):
        index.ground('images/nope.png', 'a blue thing')


class Interrupt(Exception):
    pass


def test_interrupted_build_resumes_where_it_stopped(tiny_clip, collection, tmp_path):
    items, root = read_collection(collection)
    embedder = RegionEmbedder(tiny_clip, batch_size=2)
    real, calls = embedder.embed_images, []

    def crash_on_second_shard(*args):
        calls.append(len(args[0]))
        if len(calls) == 2:
            raise Interrupt  # the process dies while embedding shard 1
        return real(*args)

    embedder.embed_images = crash_on_second_shard
    out = tmp_path / 'resumed'
    with pytest.raises(Interrupt):
        SearchIndexBuilder(embedder, str(out), shard_size=2, progress=False).build(items, root)
    assert sorted(os.listdir(out / 'shards')) == ['shard-00000.json', 'shard-00000.jsonl', 'shard-00000.npz']
    manifest = json.loads((out / 'manifest.json').read_text())
    assert [s['name'] for s in manifest['shards']] == ['shard-00000'] and not manifest['complete']
    with pytest.raises(SearchIndexError, match='not complete'):
        SearchIndex(str(out))

    calls.clear()
    embedder.embed_images = lambda *args: calls.append(len(args[0])) or real(*args)
    resumed = SearchIndexBuilder(embedder, str(out), shard_size=2, progress=False)
    done = resumed.build_shards(items, root)
    assert done == dict(written=2, resumed=1, skipped=0) and calls == [2, 1]  # shards 1 and 2 only
    resumed.finalize()
    _, _, _ = build(tiny_clip, collection, tmp_path / 'straight', shard_size=2)
    for k in range(3):
        a = np.load(out / 'shards' / f'shard-{k:05d}.npz')
        b = np.load(tmp_path / 'straight' / 'shards' / f'shard-{k:05d}.npz')
        for key in ('image', 'region', 'mask', 'region_image', 'mask_image'):
            np.testing.assert_array_equal(a[key], b[key])
    # a build with other arguments refuses the folder
    with pytest.raises(SearchIndexError, match='another shard_size'):
        SearchIndexBuilder(embedder, str(out), shard_size=3, progress=False).build(items, root)
    with pytest.raises(SearchIndexError, match='another collection'):
        SearchIndexBuilder(embedder, str(out), shard_size=2, progress=False).build(items[:4], root)
    with pytest.raises(SearchIndexError, match='another model'):
        SearchIndexBuilder(embedder, str(out), shard_size=2, progress=False,
                           model_info=dict(weights='other')).build(items, root)


def test_bad_images_are_skipped_counted_and_named(tiny_clip, tmp_path, caplog):
    collection = write_collection(tmp_path / 'data', num=6)
    data = tmp_path / 'data' / 'images'
    raw = (data / 'img1.png').read_bytes()
    (data / 'img1.png').write_bytes(raw[:len(raw) // 2])  # truncated
    (data / 'img4.png').unlink()  # missing
    (data / 'img5.png').write_bytes(b'not an image')
    builder, manifest, items = build(tiny_clip, collection, tmp_path / 'index', shard_size=4)
    assert manifest['counts']['images'] == 3 and manifest['counts']['skipped'] == 3
    assert [s['skipped'] for s in manifest['shards']] == [['images/img1.png'], ['images/img4.png', 'images/img5.png']]
    index = SearchIndex(str(tmp_path / 'index'), RegionEmbedder(tiny_clip))
    assert [index.record(i)['key'] for i in range(len(index))] == ['images/img0.png', 'images/img2.png',
                                                                     'images/img3.png']
    good = [i for i in items if i.key in ('images/img0.png', 'images/img2.png', 'images/img3.png')]
    assert index.manifest['counts']['regions'] == sum(len(i.boxes) for i in good)
    hits = index.search_text('a green thing', 'region', topk=100)
    assert {h.key for h in hits} == {i.key for i in good if len(i.boxes)}


def test_size_mismatch_is_a_bad_image(tiny_clip, tmp_path):
    collection = write_collection(tmp_path / 'data', num=3)
    cv2.imwrite(str(tmp_path / 'data' / 'images' / 'img0.png'), np.zeros((20, 20, 3), np.uint8))
    _, manifest, _ = build(tiny_clip, collection, tmp_path / 'index')
    assert manifest['shards'][0]['skipped'] == ['images/img0.png']


def test_distributed_split_equals_one_process(tiny_clip, collection, tmp_path):
    items, root = read_collection(collection)
    embedder = RegionEmbedder(tiny_clip, batch_size=2)
    ranks = [SearchIndexBuilder(embedder, str(tmp_path / 'dist'), shard_size=2, progress=False) for _ in range(2)]
    ranks[0].prepare(items, root)
    assert ranks[1].build_shards(items, root, rank=1, world_size=2)['written'] == 1  # shard 1
    with pytest.raises(SearchIndexError, match='not complete'):
        ranks[0].finalize()  # rank 0 has not written its shards yet
    assert ranks[0].build_shards(items, root, rank=0, world_size=2)['written'] == 2  # shards 0 and 2
    dist = ranks[0].finalize()
    _, single, _ = build(tiny_clip, collection, tmp_path / 'single', shard_size=2)
    assert dist['counts'] == single['counts'] and dist['shards'] == single['shards']
    text = embedder.encode_text(['a red thing'])[0]
    a = SearchIndex(str(tmp_path / 'dist')).search(text, 'all', 8)
    b = SearchIndex(str(tmp_path / 'single')).search(text, 'all', 8)
    assert [h.to_dict() for h in a] == [h.to_dict() for h in b]


def test_index_folder_moves_to_another_machine(tiny_clip, tmp_path):
    collection = write_collection(tmp_path / 'here' / 'data')
    _, manifest, _ = build(tiny_clip, collection, tmp_path / 'here' / 'index')

    def strings(obj):
        if isinstance(obj, dict):
            return [s for v in obj.values() for s in strings(v)]
        if isinstance(obj, list):
            return [s for v in obj for s in strings(v)]
        return [obj] if isinstance(obj, str) else []
    assert not any(os.path.isabs(s) or str(tmp_path) in s for s in strings(manifest))
    shutil.copytree(tmp_path / 'here', tmp_path / 'there')  # images and index move together
    shutil.rmtree(tmp_path / 'here')
    index = SearchIndex(str(tmp_path / 'there' / 'index'), RegionEmbedder(tiny_clip))
    assert index.data_root == str(tmp_path / 'there' / 'data')
    hit = index.search_text('a red thing', 'region', 1)[0]
    assert os.path.isfile(os.path.join(index.data_root, hit.key))


def test_faiss_flat_equals_brute_force_and_ivfpq_finds_neighbours(tmp_path):
    import faiss
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # OpenMP's spinning threads crawl on a shared, busy machine
    try:
        check_faiss(tmp_path)
    finally:
        faiss.omp_set_num_threads(threads)


def check_faiss(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((50, 32)).astype(np.float32)
    data = centres[rng.integers(50, size=4000)] + 0.3 * rng.standard_normal((4000, 32)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    queries = data[:20] + 0.05 * rng.standard_normal((20, 32)).astype(np.float32)
    exact = np.argsort(-(queries @ data.T), axis=1)[:, :10]
    flat = build_faiss_index(data, 'flat')
    scores, ids = flat.search(queries, 10)
    np.testing.assert_array_equal(ids, exact)
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ data.T, exact, 1), atol=1e-5)
    pq_only = build_faiss_index(data, 'ivfpq', refine=False)
    assert type(pq_only).__name__ == 'IndexIVFPQ' and pq_only.ntotal == 4000
    _, approx = pq_only.search(queries, 10)
    # 4-byte codes rank the near neighbours roughly, but each query's own vector (the exact first) is among the ten
    found = np.mean([e[0] in a for a, e in zip(approx, exact)])
    assert found >= 0.7, found  # chance: 10 in 4000
    ivfpq = build_faiss_index(data, 'ivfpq')  # the default: PQ's candidates re-ranked by float16 vectors
    assert type(ivfpq).__name__ == 'IndexRefine' and ivfpq.ntotal == 4000
    _, approx = ivfpq.search(queries, 10)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)])
    assert recall >= 0.9, recall
    write_faiss_index(ivfpq, str(tmp_path / 'ivf.faiss'))
    _, again = read_faiss_index(str(tmp_path / 'ivf.faiss')).search(queries, 10)
    np.testing.assert_array_equal(again, approx)
    assert type(build_faiss_index(data[:100], 'auto')).__name__ == 'IndexFlatIP'
    with pytest.raises(ValueError, match='needs at least'):
        build_faiss_index(data[:100], 'ivfpq')


def test_grid_proposals_tile_the_image():
    boxes = grid_proposals(48, 64, scales=(0.5, ), overlap=0.5)
    assert boxes.dtype == np.float32 and (boxes[:, 2] <= 64).all() and (boxes[:, 3] <= 48).all()
    assert [0, 0, 64, 48] in boxes.tolist()  # the whole image
    windows = boxes[(boxes[:, 2] - boxes[:, 0]) == 24]
    assert len(windows) == 5 * 3  # x at 0, 12, 24, 36 and 40 (flush right), y at 0, 12 and 24 (flush)
    assert windows[:, 0].max() == 40 and windows[:, 1].max() == 24


class OneHotEmbedder:
    """A stand-in model whose embeddings are known: box k of an image is e_(x1 mod 8); caption 'item j' is e_j."""
    embed_dims, img_size = 8, 32

    def embed_images(self, images, boxes, masks):
        out = []
        for b, m in zip(boxes, masks):
            region = np.eye(8, dtype=np.float32)[np.asarray(b)[:, 0].astype(int) % 8]
            out.append(dict(image=np.eye(8, dtype=np.float32)[0], region=region.reshape(-1, 8),
                            mask=np.tile(np.eye(8, dtype=np.float32)[7], (len(m), 1))))
        return out

    def encode_text(self, texts):
        return np.eye(8, dtype=np.float32)[[int(t.split()[-1]) for t in texts]]


def test_search_metrics_count_hits_by_box_iou(tmp_path):
    (tmp_path / 'images').mkdir()
    records = []
    boxes = ([([1.0, 0, 11, 10], 'item 1'), ([5.0, 20, 15, 30], 'item 3')],   # embeddings e_1, e_5
             [([2.0, 0, 12, 10], 'item 2'), ([3.0, 20, 13, 30], 'item 5')])   # embeddings e_2, e_3
    for i in range(2):
        cv2.imwrite(str(tmp_path / 'images' / f'{i}.png'), np.zeros((40, 40, 3), np.uint8))
        records.append(dict(image=f'images/{i}.png', height=40, width=40,
                            regions=[dict(bbox=b, captions=[c]) for b, c in boxes[i]]))
    ann = tmp_path / 'umg.jsonl'
    ann.write_text(''.join(json.dumps(r) + '\n' for r in records))
    items, root = read_collection(str(ann))
    SearchIndexBuilder(OneHotEmbedder(), str(tmp_path / 'index'), progress=False).build(items, root)
    index = SearchIndex(str(tmp_path / 'index'), OneHotEmbedder())
    metrics = evaluate_index(index, read_captioned_items(str(ann)), ks=(1, 5))
    # 'item 1' and 'item 2' find their box first; 'item 3' finds image 1's e_3 box and 'item 5' image 0's e_5 box
    # first (the wrong image), and their own box among the first 5
    assert metrics['region_R@1'] == 50.0 and metrics['region_R@5'] == 100.0
    # grounding: 'item 1' / 'item 2' pick their box; 'item 3' / 'item 5' score 0 on both boxes of their image and
    # the first one (the other box, IoU 0) wins
    assert metrics['region_grounding'] == 50.0
    assert 'mask_R@1' not in metrics  # no masks indexed


def test_rpn_proposals_of_the_toy_detector_are_indexed(tiny_clip, collection, tmp_path):
    from umgclip_mm.search import RPNProposer
    proposer = RPNProposer.from_config('configs/quickstart/detection_synthetic.py', None, max_proposals=7)
    items, root = read_collection(collection)
    img = cv2.imread(items[0].img_path)
    boxes, scores = proposer(img)
    assert boxes.shape == (7, 4) and (np.diff(scores) <= 0).all()  # the best 7 after the RPN's NMS, best first
    assert (boxes >= 0).all() and (boxes[:, [0, 2]] <= 48).all() and (boxes[:, [1, 3]] <= 40).all()
    assert (boxes[:, 2:] > boxes[:, :2]).all()
    builder = SearchIndexBuilder(RegionEmbedder(tiny_clip), str(tmp_path / 'rpn'), 'rpn', proposer, progress=False)
    manifest = builder.build(items, root)
    assert manifest['counts']['regions'] == 7 * len(items) and manifest['proposals'] == 'rpn'
    index = SearchIndex(str(tmp_path / 'rpn'))
    np.testing.assert_allclose(index.record(0)['boxes'], boxes, atol=0.01)


def test_panoptic_masks_are_indexed_with_their_boxes(tiny_clip, collection, tmp_path):
    from umgclip_mm.search import PanopticProposer
    from umgclip_mm.search.panoptic_proposer import mask_boxes
    proposer = PanopticProposer.from_config('configs/quickstart/panoptic_synthetic.py', None, max_proposals=5,
                                            dup_iou=0.8)
    items, root = read_collection(collection)
    img = cv2.imread(items[0].img_path)
    boxes, masks, scores = proposer(img)
    assert 1 <= len(masks) <= 5 and masks.shape[1:] == (40, 48) and masks.dtype == bool
    assert (np.diff(scores) <= 0).all() and (masks.sum((1, 2)) >= proposer.min_area).all()
    np.testing.assert_array_equal(boxes, mask_boxes(masks))
    flat = masks.reshape(len(masks), -1).astype(np.float64)
    inter = flat @ flat.T
    iou = inter / (flat.sum(1)[:, None] + flat.sum(1)[None] - inter)
    assert (iou[~np.eye(len(masks), dtype=bool)] <= 0.8).all()  # duplicates of a better mask dropped

    builder = SearchIndexBuilder(RegionEmbedder(tiny_clip), str(tmp_path / 'pan'), 'panoptic', proposer,
                                 progress=False)
    manifest = builder.build(items[:2], root)
    assert manifest['proposals'] == 'panoptic' and manifest['counts']['regions'] == manifest['counts']['masks']
    index = SearchIndex(str(tmp_path / 'pan'))
    record = index.record(0)
    np.testing.assert_array_equal(decode_rles(record['masks']).astype(bool), masks)  # the model's, not the given
    np.testing.assert_allclose(record['boxes'], boxes, atol=0.01)
    stored = index.image_items(0)
    expected = RegionEmbedder(tiny_clip).embed_images([img], [boxes], [masks])[0]
    np.testing.assert_allclose(stored['mask'], expected['mask'], atol=2e-3)
    np.testing.assert_allclose(stored['region'], expected['region'], atol=2e-3)
    with pytest.raises(ValueError, match="proposals='panoptic' needs a proposer"):
        SearchIndexBuilder(RegionEmbedder(tiny_clip), str(tmp_path / 'x'), 'panoptic')
