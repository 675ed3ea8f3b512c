"""The web demo's search tab and grounding section (umgclip_mm.apis.web_search.WebSearch, served by
tools/demo/app.py): a tiny index built here with a random tiny UMG-CLIP, searched by text and by an example box (the
hits, their thumbnails and scores those of SearchIndex), a phrase grounded in an uploaded image (the best sliding
window by brute force), and every bad input or missing file answered with a message; the app's search flags and the
former task names."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from conftest import REPO, TINY_TEXT, TINY_VIT, load_tool
from test_search.conftest import write_collection

TEXT = 'a red thing'


def build_toy_index(tmp):
    """A tiny UMG-CLIP config and checkpoint, a 5-image collection and its index under ``tmp``: ``dict(config,
    ckpt, index, collection, items, other)`` (``other``: another checkpoint of the same config)."""
    from umgclip_mm.search import RegionEmbedder, SearchIndexBuilder, read_collection
    config = tmp / 'tiny_umgclip.py'
    config.write_text(f'model = {dict(type="umgclip_mm.UMGCLIP", backbone=TINY_VIT, text_encoder=TINY_TEXT)!r}\n')
    ckpts = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        from umgclip_mm.apis.inference import init_model
        ckpts.append(str(tmp / f'tiny_{seed}.pth'))
        torch.save(dict(state_dict=init_model(str(config)).state_dict()), ckpts[-1])
    collection = write_collection(tmp / 'data')
    items, root = read_collection(collection)
    embedder = RegionEmbedder.from_config(str(config), ckpts[0])
    SearchIndexBuilder(embedder, str(tmp / 'index'), progress=False,
                       model_info=dict(config=str(config), checkpoint=ckpts[0])).build(items, root)
    return dict(config=str(config), ckpt=ckpts[0], other=ckpts[1], index=str(tmp / 'index'), collection=collection,
                items=items)


@pytest.fixture(scope='module')
def toy_index(tmp_path_factory):
    return build_toy_index(tmp_path_factory.mktemp('web_search'))


@pytest.fixture(scope='module')
def search(toy_index):
    from umgclip_mm.apis.web_search import WebSearch
    return WebSearch(toy_index['index'])  # the model: the index's own (its manifest's paths)


def reference(toy_index):
    from umgclip_mm.search import RegionEmbedder, SearchIndex
    return SearchIndex(toy_index['index'], RegionEmbedder.from_config(toy_index['config'], toy_index['ckpt']))


def test_text_search_shows_the_index_hits_as_thumbnails(search, toy_index):
    from umgclip_mm.search import read_image
    from umgclip_mm.search.hit_grid import draw_hit
    index = reference(toy_index)
    assert search.config == toy_index['config'] and search.checkpoint == toy_index['ckpt']  # from the manifest
    for level in ('region', 'all'):
        gallery, table, message = search.search_text(f'  {TEXT} ', level, 6)
        expected = index.search_text(TEXT, level, 6)
        assert message.startswith(f'**6 hits** for "{TEXT}" ({level}) among 5 images'), message
        assert [r[0] for r in table['data']] == [1, 2, 3, 4, 5, 6]
        assert [(r[2], r[3]) for r in table['data']] == [(h.level, h.key) for h in expected]
        np.testing.assert_allclose([r[1] for r in table['data']], [h.score for h in expected], atol=1e-4)
        assert len(gallery) == 6
        for (thumb, caption), hit, rank in zip(gallery, expected, range(1, 7)):
            assert caption == f'#{rank} {hit.level} {hit.score:.3f} {osp.basename(hit.key)}'
            tile = draw_hit(read_image(osp.join(index.data_root, hit.key)), hit)[:192, :, ::-1]
            assert thumb.shape == tile.shape and (thumb == tile).all()  # the box or mask drawn, as query.py does


def test_example_box_finds_itself(search, toy_index):
    item = toy_index['items'][2]
    rgb = cv2.imread(item.img_path)[..., ::-1]
    gallery, table, message = search.search_example(rgb, [float(v) for v in item.boxes[0]], 'region', 3)
    assert len(gallery) == 3 and 'for the box' in message, message
    rank, score, level, key, box = table['data'][0]
    assert key == item.key and level == 'region' and abs(score - 1) < 3e-3  # its own stored embedding, cosine 1
    np.testing.assert_allclose([float(v) for v in box.split(',')], item.boxes[0], atol=0.6)


def test_grounding_draws_the_best_sliding_window(search, toy_index):
    from umgclip_mm.search import RegionEmbedder, grid_proposals
    rgb = cv2.imread(toy_index['items'][0].img_path)[..., ::-1]
    drawing, table, message = search.ground(rgb, TEXT, 4)
    h, w = rgb.shape[:2]
    windows = grid_proposals(h, w)
    assert message.startswith(f'**Grounding** "{TEXT}" in a {w} x {h} image: the best 4 of {len(windows)} sliding '
                              'windows'), message
    embedder = RegionEmbedder.from_config(toy_index['config'], toy_index['ckpt'])
    scores = embedder.embed_images([rgb[..., ::-1].copy()], [windows], [[]])[0]['region'] @ \
        embedder.encode_text([TEXT])[0]
    assert [r[3] for r in table['data']] == list(np.argsort(-scores)[:4])
    np.testing.assert_allclose([r[1] for r in table['data']], np.sort(scores)[::-1][:4], atol=1e-4)
    assert drawing.shape[0] >= h and drawing.shape[1] > w and (drawing[:h, w] == 160).all()  # a legend panel
    assert (drawing[:h, :w] != rgb).any()


@pytest.mark.parametrize('call, words', [
    (lambda s: s.search_text('', 'region', 5), 'The query is empty'),
    (lambda s: s.search_text(TEXT, 'pixel', 5), "Level 'pixel': choose one of image, region, mask, all"),
    (lambda s: s.search_text(TEXT, 'region', 0), 'Hits 0: give a number from 1 to 100'),
    (lambda s: s.search_example(None, (1, 1, 5, 5)), 'No image'),
    (lambda s: s.search_example(np.zeros((30, 40, 3), np.uint8), (1, 1, 50, 5)),
     'The box 1, 1, 50, 5 is not inside the 40 x 30 image'),
    (lambda s: s.search_example(np.zeros((30, 40, 3), np.uint8), (1, None, 5, 5)), 'four numbers x1, y1, x2, y2'),
    (lambda s: s.ground(np.zeros((30, 40, 3), np.uint8), ' '), 'The phrase is empty'),
    (lambda s: s.ground(None, TEXT), 'No image'),
    (lambda s: s.ground(np.zeros((30, 40, 3), np.uint8), TEXT, 0), 'Regions 0: give a number from 1 to 20'),
])
def test_bad_input_gives_a_message(search, call, words):
    first, table, message = call(search)
    assert not first and table['data'] == [] and message.startswith('**Error:**') and words in message, message


def test_missing_index_or_checkpoint_or_another_model_give_messages(toy_index, tmp_path):
    from umgclip_mm.apis.web_search import WebSearch
    absent = WebSearch(str(tmp_path / 'nope'), (toy_index['config'], toy_index['ckpt']))
    _, _, message = absent.search_text(TEXT)
    assert f'{tmp_path / "nope"} does not exist' in message and 'tools/search/build_index.py' in message, message
    assert 'Build it' in absent.status()[1]
    drawing, _, message = absent.ground(np.zeros((30, 40, 3), np.uint8), TEXT)  # grounding needs no index
    assert drawing is not None, message
    _, _, message = WebSearch(toy_index['index'], (toy_index['config'], str(tmp_path / 'w.pth'))).search_text(TEXT)
    assert 'w.pth does not exist' in message and '--search-checkpoint' in message, message
    _, _, message = WebSearch(toy_index['index'], (toy_index['config'], toy_index['other'])).search_text(TEXT)
    assert 'is not the checkpoint the index was built with' in message, message


def test_default_index_message_names_the_build_command(monkeypatch, tmp_path):
    from umgclip_mm.apis import web_search
    monkeypatch.setattr(web_search, 'DEFAULT_SEARCH_INDEX', str(tmp_path / 'quickstart_search' / 'index'))
    search = web_search.WebSearch()
    assert search.model_default and search.config == osp.join(REPO, 'configs/quickstart/pretrain_synthetic.py')
    assert ('tools/search/build_index.py data/synthetic/umg/val.jsonl ' in search.index_missing() and
            '--config configs/quickstart/pretrain_synthetic.py --checkpoint work_dirs/quickstart/iter_600.pth'
            in search.index_missing())


def test_web_demo_holds_the_search_and_names_it_in_the_banner(toy_index):
    from umgclip_mm.apis.web_demo import WebDemo
    own = {task: ('c.py', 'k.pth') for task in ('panoptic', 'semseg', 'detection', 'zeroshot')}
    demo = WebDemo(own, search_index=toy_index['index'])
    assert demo.search.index_dir == toy_index['index'] and not demo.search.model_default  # the index's model
    assert demo.banner() is None and any(line.startswith('search index: ') for line in demo.status())
    assert 'search and grounding' in WebDemo(own).banner()  # the quickstart's pretraining by default


def test_former_task_names_still_work_with_a_warning():
    from umgclip_mm.apis.web_demo import TASKS, WebDemo
    assert list(TASKS) == ['panoptic', 'semseg', 'detection', 'zeroshot']  # docs/architecture.md's glossary
    with pytest.warns(DeprecationWarning, match="'semantic' is now called 'semseg'"):
        demo = WebDemo(dict(semantic=('c.py', 'k.pth')))
    assert demo.models['semseg']['checkpoint'] == 'k.pth'
    app = load_tool('tools/demo/app.py')
    with pytest.warns(FutureWarning, match='--classification-checkpoint is deprecated: use --zeroshot-checkpoint'):
        args = app.parse_args(['--classification-checkpoint', 'z.pth', '--search-index', 'ix'])
    assert args.zeroshot_checkpoint == 'z.pth' and args.search_index == 'ix'
    with pytest.raises(SystemExit), pytest.warns(FutureWarning):
        app.parse_args(['--semantic-config', 'a.py', '--semseg-config', 'b.py'])
    with pytest.raises(SystemExit):
        app.parse_args(['--search-config', 'a.py'])  # without --search-checkpoint
