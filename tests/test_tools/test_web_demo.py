"""The web demo's callbacks (umgclip_mm.apis.web_demo, served by tools/demo/app.py): each task on a photograph with
tiny random-weight checkpoints of the quickstart's toy configs (an overlay with a legend, a table, a message), the
inferencers built once, the image conversions, the toy-models banner, and every bad input answered with a message
instead of an exception."""
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, run_tool
from test_tools.test_ov_demos import DETECTION, PANOPTIC, SEMSEG, load_tool, random_checkpoint

ZEROSHOT_CLS = 'configs/quickstart/zeroshot_synthetic.py'
VOCAB = 'person|astronaut,flag,sky,wall'
STUFF = 'sky,wall'
NAMES = ['person', 'flag', 'sky', 'wall']


def panoptic_checkpoint(path):
    """A random-weight checkpoint of the toy panoptic model whose queries find segments: its no-object class
    embedding zeroed (a logit of 0, below about half the classes' for each query; random weights otherwise may give
    every query to it and no segment at all)."""
    import torch
    random_checkpoint(PANOPTIC, path)
    ckpt = torch.load(path, weights_only=True)
    ckpt['state_dict']['panoptic_head.cls_embed.void_embed'].zero_()
    torch.save(ckpt, path)
    return str(path)


def tiny_models(tmp):
    """Per task, the quickstart's config and a random-weight checkpoint of its model (the classifier's: the
    towers alone, as pretraining writes them)."""
    return dict(panoptic=(osp.join(REPO, PANOPTIC), panoptic_checkpoint(tmp / 'panoptic.pth')),
                semseg=(osp.join(REPO, SEMSEG), random_checkpoint(SEMSEG, tmp / 'semseg.pth')),
                detection=(osp.join(REPO, DETECTION), random_checkpoint(DETECTION, tmp / 'detection.pth')),
                zeroshot=(osp.join(REPO, ZEROSHOT_CLS),
                                random_checkpoint(ZEROSHOT_CLS, tmp / 'towers.pth', towers_only=True)))


def photo():
    """scikit-image's astronaut, 96 x 128 px (not square: a swapped height and width shows)."""
    import cv2
    from skimage import data
    return cv2.resize(data.astronaut(), (128, 96), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    from umgclip_mm.apis.web_demo import WebDemo
    return WebDemo(tiny_models(tmp_path_factory.mktemp('web_demo')))


def run(demo, image, vocab=VOCAB, task='panoptic', stuff=STUFF, score_thr=0.3):
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('umgclip_mm'):  # leave the other tests' default scope as it was
        return demo.run(image, vocab, task, stuff, score_thr)


def check_overlay(overlay, image, drawn_on):
    """The overlay: the picture at the input's size at its top left (drawn on, or left as it was), a legend panel
    on its right."""
    h, w = image.shape[:2]
    assert overlay.dtype == np.uint8 and overlay.ndim == 3 and overlay.shape[2] == 3
    assert overlay.shape[0] >= h and overlay.shape[1] > w + 40, overlay.shape
    assert (overlay[:h, w] == 160).all()  # the rule between picture and legend, right after the picture
    changed = np.abs(overlay[:h, :w].astype(int) - image).sum(-1) > 0
    if drawn_on:
        assert changed.mean() > 0.05
    else:
        assert not changed.any()


@pytest.mark.parametrize('task', ['panoptic', 'semseg', 'detection', 'zeroshot'])
def test_each_task_gives_overlay_table_and_message(demo, task):
    image = photo()
    h, w = image.shape[:2]
    overlay, table, message = run(demo, image, task=task, score_thr=0.5)
    assert overlay is not None, message
    from umgclip_mm.apis.web_demo import TABLE_HEADERS, TASKS
    assert message.startswith(f'**{TASKS[task].capitalize()}** of a {w} x {h} image') and 'Note' not in message
    check_overlay(overlay, image, drawn_on=task != 'zeroshot')
    assert table['headers'] == list(TABLE_HEADERS[task])
    rows = table['data']
    assert rows and all(len(r) == len(table['headers']) for r in rows)
    classes = [r[table['headers'].index('class')] for r in rows]
    assert set(classes) <= set(NAMES)
    if task == 'panoptic':
        kinds = {c: k for _, c, k, *_ in rows}
        assert all(k == ('stuff' if c in STUFF.split(',') else 'thing') for c, k in kinds.items())
        assert sum(r[3] for r in rows) <= h * w and [r[3] for r in rows] == sorted((r[3] for r in rows), reverse=True)
    elif task == 'semseg':
        assert sum(r[1] for r in rows) == h * w  # every pixel has a class
    elif task == 'detection':
        scores = [r[1] for r in rows]
        assert scores == sorted(scores, reverse=True) and min(scores) >= 0.5
        for r in rows:
            x1, y1, x2, y2 = (float(v) for v in r[2].split(','))
            assert -1 <= x1 <= x2 <= w + 1 and -1 <= y1 <= y2 <= h + 1
    else:
        assert sorted(classes) == sorted(NAMES) and [r[0] for r in rows] == [1, 2, 3, 4]
        assert abs(sum(r[2] for r in rows) - 1) < 1e-3
        assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True)


def test_models_are_loaded_once_and_take_each_vocabulary(demo):
    image = photo()
    run(demo, image, task='semseg')
    inferencer = demo._loaded['semseg']
    _, table, message = run(demo, image, vocab='sky|heaven\ngrass\n', task='semseg')  # a class per line
    assert demo._loaded['semseg'] is inferencer  # cached: not built again
    assert {r[0] for r in table['data']} <= {'sky', 'grass'} and table['data'], message
    assert inferencer.model.test_vocab.names == ['sky', 'grass']


def test_requests_leave_no_visualizer_behind(demo):
    """mmengine keeps every visualizer made with get_instance for the process's life: the inferencers build theirs
    directly, so a request leaves none behind (else the server would grow by megabytes a request)."""
    from mmengine.visualization import Visualizer as Base
    classes, i = [Base], 0
    while i < len(classes):  # every visualizer class, each with its own registry of instances
        classes += [c for c in classes[i].__subclasses__() if c not in classes]
        i += 1
    before = {cls: set(cls._instance_dict) for cls in classes}
    for task in ('zeroshot', 'panoptic', 'semseg'):
        overlay, _, message = run(demo, photo(), task=task)
        assert overlay is not None, message
    assert {cls: set(cls._instance_dict) for cls in classes} == before


def test_panoptic_without_any_segment_says_so(demo, monkeypatch):
    """Nothing of the vocabulary found (mmdet's visualizer cannot draw an empty map): the image with a panel saying
    so, no rows."""
    import torch

    from umgclip_mm.apis import OVDetInferencer
    forward = OVDetInferencer.forward

    def all_void(self, data, **kwargs):
        preds = forward(self, data, **kwargs)
        for pred in preds:
            pred.pred_panoptic_seg.sem_seg = torch.full_like(pred.pred_panoptic_seg.sem_seg, len(self.classes))
        return preds

    monkeypatch.setattr(OVDetInferencer, 'forward', all_void)
    image = photo()
    overlay, table, message = run(demo, image, task='panoptic')
    assert 'no segment of the 4 classes (2 things, 2 stuff) found' in message
    check_overlay(overlay, image, drawn_on=False)
    assert table['data'] == []


@pytest.mark.parametrize('image, vocab, task, stuff, score_thr, words', [
    (None, VOCAB, 'panoptic', '', 0.3, 'No image'),
    ('photo', '', 'panoptic', '', 0.3, 'The vocabulary is empty'),
    ('photo', ' , | ,', 'semseg', '', 0.3, 'The vocabulary is empty'),
    ('photo', 'cat,dog,cat', 'detection', '', 0.3, 'repeats class 0'),
    ('photo', 'sky', 'semseg', '', 0.3, 'give at least 2'),
    ('photo', 'cat', 'zeroshot', '', 0.3, 'give at least 2'),
    ('photo', 'cat,dog', 'panoptic', 'grass', 0.3, "the stuff box names ['grass'], which are not classes of the "
     'vocabulary'),
    ('photo', 'cat,dog', 'detection', '', 1.5, 'give a score from 0 to 1'),
    ('photo', 'cat,dog', 'captioning', '', 0.3, "unknown task 'captioning'"),
    (np.zeros((4, 300, 3), np.uint8), 'cat,dog', 'semseg', '', 0.3, 'is 300 x 4 px: give one of at least 8 px'),
    (np.zeros((32, 32, 5), np.uint8), 'cat,dog', 'semseg', '', 0.3, 'has shape (32, 32, 5)'),
    (np.zeros(32, np.uint8), 'cat,dog', 'semseg', '', 0.3, 'has shape (32,)'),
])
def test_bad_input_gives_a_message(demo, image, vocab, task, stuff, score_thr, words):
    image = photo() if isinstance(image, str) else image
    overlay, table, message = run(demo, image, vocab, task, stuff, score_thr)
    assert overlay is None and table['data'] == []
    assert message.startswith('**Error:**') and words in message, message
    assert '--vocab' not in message and '--stuff' not in message  # the page's words, not the command line's


def test_image_conversions():
    from umgclip_mm.apis.web_demo import to_rgb_uint8
    image = photo()
    same = {
        '16-bit': image.astype(np.uint16) * 257,
        'int32 16-bit (a reader\'s I mode)': image.astype(np.int32) * 257,
        'float in [0, 1]': image / 255.0,
        'opaque RGBA': np.dstack([image, np.full(image.shape[:2], 255, np.uint8)]),
    }
    for what, img in same.items():
        out, notes = to_rgb_uint8(img)
        assert out.dtype == np.uint8 and np.abs(out.astype(int) - image).max() <= 1, what
        assert len(notes) == 1, (what, notes)
    out, notes = to_rgb_uint8(np.dstack([image, np.zeros(image.shape[:2], np.uint8)]))
    assert (out == 255).all() and 'RGBA' in notes[0]  # fully transparent: the white it is laid over
    out, notes = to_rgb_uint8(image[..., 1])
    assert out.shape == image.shape and (out == image[..., 1:2]).all() and 'grayscale' in notes[0]
    out, notes = to_rgb_uint8(image[..., 1:2].astype(np.uint16) * 257)  # 16-bit grayscale
    assert (out == image[..., 1:2]).all() and len(notes) == 2
    out, notes = to_rgb_uint8(image)
    assert notes == [] and (out == image).all()


def test_converted_image_gives_the_result_of_the_8_bit_one(demo):
    image = photo()
    _, table, _ = run(demo, image, task='semseg')
    _, table16, message = run(demo, image.astype(np.uint16) * 257, task='semseg')
    assert 'Note: a 16-bit image: scaled to 8 bits' in message
    assert table16 == table


def test_huge_image_is_downscaled_with_a_note(demo):
    from umgclip_mm.apis.web_demo import MAX_SIDE
    huge = np.tile(photo(), (63, 63, 1))[:6000, :8000]  # a photograph of 8000 x 6000 px (48 Mpx)
    overlay, table, message = run(demo, huge, vocab='person,flag', task='zeroshot')
    assert overlay is not None and table['data'], message
    assert f'the image is 8000 x 6000 px: downscaled to {MAX_SIDE} x 1200' in message
    assert f'of a {MAX_SIDE} x 1200 image' in message
    assert overlay.shape[0] == 1200 and overlay.shape[1] > MAX_SIDE


def test_missing_checkpoint_names_the_command_that_makes_it(tmp_path, monkeypatch):
    from umgclip_mm.apis import web_demo
    monkeypatch.setitem(web_demo.DEFAULT_MODELS, 'semseg',
                        ('configs/quickstart/semseg_synthetic.py', str(tmp_path / 'work_dirs/quickstart_semseg')))
    demo = web_demo.WebDemo(dict(detection=(osp.join(REPO, DETECTION), str(tmp_path / 'mine.pth'))))
    overlay, table, message = run(demo, photo(), 'cat,dog', 'semseg')
    assert overlay is None and 'make quickstart' in message and 'quickstart_semseg does not exist' in message, message
    _, _, message = run(demo, photo(), 'cat,dog', 'detection')
    assert f'{tmp_path / "mine.pth"} does not exist' in message and '--detection-checkpoint' in message, message
    assert 'make quickstart' not in message
    assert any('make quickstart' in line for line in demo.status())


def test_model_that_cannot_do_the_task_gives_a_message(tmp_path):
    from umgclip_mm.apis.web_demo import WebDemo
    ckpt = tmp_path / 'any.pth'
    ckpt.write_bytes(b'PK\x03\x04 not loaded: the config is refused first')
    demo = WebDemo(dict(panoptic=(osp.join(REPO, SEMSEG), str(ckpt)),
                        zeroshot=(osp.join(REPO, SEMSEG), str(ckpt))))
    _, _, message = run(demo, photo(), task='panoptic')
    assert 'semseg_synthetic.py (--panoptic-config)' in message and 'OVEncoderDecoder' in message, message
    _, _, message = run(demo, photo(), task='zeroshot')
    assert 'is no zero-shot classifier' in message and 'zeroshot_synthetic.py' in message, message


def test_latest_checkpoint(tmp_path):
    from umgclip_mm.apis.inputs import latest_checkpoint
    assert latest_checkpoint(str(tmp_path / 'a.pth')) == str(tmp_path / 'a.pth')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_*.pth')  # none: a path that does not exist
    (tmp_path / 'epoch_3.pth').write_bytes(b'')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_3.pth')
    for it in (200, 1000, 300):
        (tmp_path / f'iter_{it}.pth').write_bytes(b'')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_1000.pth')  # by number, not by name


def test_examples_are_bundled_images_with_a_fitting_vocabulary():
    from umgclip_mm.apis.inputs import vocabulary_entries
    from umgclip_mm.apis.web_demo import TASKS
    from umgclip_mm.apis.web_inputs import example_images
    examples = example_images()
    assert len(examples) >= 4
    for ex in examples:
        img = ex['image']
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and min(img.shape[:2]) >= 128
        names = [e.split('|')[0] for e in vocabulary_entries(ex['vocab'], min_classes=2)]
        assert set(ex['stuff'].split(',')) <= set(names) and ex['task'] in TASKS


def test_app_help_and_no_gradio_on_package_import():
    text = run_tool('tools/demo/app.py', '--help').stdout
    assert text.startswith('usage:') and 'Examples:' in text and 'make quickstart' in text
    from umgclip_mm.apis.web_demo import TASKS
    assert load_tool('tools/demo/app.py').TASK_NAMES == tuple(TASKS)
    for flag in ('--panoptic-config', '--semseg-checkpoint', '--detection-config', '--zeroshot-checkpoint',
                 '--semantic-checkpoint', '--classification-checkpoint', '--search-index', '--search-config',
                 '--device', '--port', '--host'):
        assert flag in text
    code = ('import sys, umgclip_mm, umgclip_mm.apis.web_demo; '
            'assert "gradio" not in sys.modules, "gradio imported"')
    subprocess.run([sys.executable, '-c', code], cwd=REPO, check=True, capture_output=True)


def test_app_refuses_bad_arguments_before_loading_anything():
    import socket
    proc = subprocess.run([sys.executable, 'tools/demo/app.py', '--semseg-config', SEMSEG], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and '--semseg-config needs --semseg-checkpoint' in proc.stderr
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, 'tools/demo/app.py', '--port', str(port)], cwd=REPO,
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    assert f'--port {port}: cannot serve there' in proc.stderr and 'give a free port' in proc.stderr


def test_toy_models_banner_names_the_converter(tmp_path):
    from umgclip_mm.apis.web_demo import WebDemo
    banner = WebDemo().banner()  # the quickstart's toy models, the default
    assert 'results on real photographs mean nothing' in banner and 'tools/model_converters/clip2umgclip.py' in banner
    assert 'detection' in banner and 'zero-shot classification' in banner
    own = WebDemo({task: ('c.py', 'k.pth') for task in ('panoptic', 'semseg', 'detection', 'zeroshot')},
                  search_model=('c.py', 'k.pth'))
    assert own.banner() is None
