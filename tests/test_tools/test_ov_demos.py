"""The open-vocabulary demos for one image: tools/demo/ov_semseg.py (class map overlay with a legend, JSON of the
classes present) and tools/demo/ov_detection.py (labelled boxes and masks, JSON of the detections), on a photograph
with tiny random-weight checkpoints of the quickstart's toy configs, and their refusals of bad input."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, run_tool

SEMSEG = 'configs/quickstart/semseg_synthetic.py'
ZEROSHOT = 'configs/quickstart/semseg_zeroshot_synthetic.py'
DETECTION = 'configs/quickstart/detection_synthetic.py'
PANOPTIC = 'configs/quickstart/panoptic_synthetic.py'
VOCAB = 'person|woman,uniform,flag,background|wall'
NAMES = ['person', 'uniform', 'flag', 'background']


def random_checkpoint(config, path, towers_only=False):
    """The config's model with random weights (no pretrained towers), saved as an mmengine checkpoint; with
    ``towers_only`` only its UMG-CLIP (``backbone.*``, ``text_encoder.*``: what pretraining writes)."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from umgclip_mm.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.model.clip.init_cfg = None
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    state = model.clip.state_dict() if towers_only else model.state_dict()
    torch.save({'state_dict': state}, path)
    return str(path)


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """A photograph (matplotlib's Grace Hopper, scaled to 128 px: the toy models work at 128 px) and random-weight
    checkpoints."""
    import mmcv
    from matplotlib import cbook
    tmp = tmp_path_factory.mktemp('demo')
    photo = mmcv.imrescale(mmcv.imread(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)), (128, 128))
    mmcv.imwrite(photo, str(tmp / 'hopper.jpg'))
    (tmp / 'notes.jpg').write_text('not a picture\n')
    return dict(image=str(tmp / 'hopper.jpg'), size=photo.shape[:2], text_jpg=str(tmp / 'notes.jpg'),
                semseg=random_checkpoint(SEMSEG, tmp / 'semseg.pth'),
                detection=random_checkpoint(DETECTION, tmp / 'detection.pth'),
                towers=random_checkpoint(ZEROSHOT, tmp / 'towers.pth', towers_only=True))


def outputs(out, image):
    stem = osp.splitext(osp.basename(image))[0]
    png, js = osp.join(out, stem + '.png'), osp.join(out, stem + '.json')
    import mmcv
    return mmcv.imread(png, channel_order='rgb'), json.load(open(js))


def run_refused(*args):
    """Run a tool that must refuse: a non-zero exit, a message and no traceback. Returns the message."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-4000:]
    return proc.stderr


def load_tool(path):
    """A demo script as a module (its ``main(argv)`` runs in this process: no interpreter start per case)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(osp.splitext(osp.basename(path))[0] + '_under_test',
                                                  osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_in_process(tool, *args):
    """``tool``'s ``main`` on ``args`` in this process (mmengine's default scope restored afterwards)."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('umgclip_mm'):
        load_tool(tool).main(list(args))


def refusal(tool, *args):
    """The message of a demo's refusal, run in this process."""
    with pytest.raises(SystemExit) as exc:
        run_in_process(tool, *args)
    assert isinstance(exc.value.code, str), exc.value.code  # a message (exit status 1), not a bare status
    return exc.value.code


def test_help():
    for tool in ('tools/demo/ov_semseg.py', 'tools/demo/ov_detection.py'):
        text = run_tool(tool, '--help').stdout
        assert text.startswith('usage:') and 'Examples:' in text and '--vocab' in text and '--no-ensemble' in text


def test_palette_colours_are_distinct():
    from umgclip_mm.apis.demo_drawing import distinct_palette
    palette = np.array(distinct_palette(30), dtype=float)
    assert len({tuple(c) for c in palette.astype(int)}) == 30
    # the colours of a short vocabulary are far apart (RGB distance)
    first = palette[:8]
    dist = np.linalg.norm(first[:, None] - first[None], axis=-1) + np.eye(8) * 1e3
    assert dist.min() > 60


def test_semseg_overlay_legend_and_classes(files, tmp_path):
    out = str(tmp_path / 'out')
    run_tool('tools/demo/ov_semseg.py', files['image'], '--config', SEMSEG, '--checkpoint', files['semseg'],
             '--vocab', VOCAB, '--out', out)
    png, result = outputs(out, files['image'])
    h, w = files['size']
    assert result['classes'] == NAMES and result['model'] == 'OVEncoderDecoder' and result['ensemble']
    assert (result['height'], result['width']) == (h, w)
    present = result['present']
    assert present and {c['name'] for c in present} <= set(NAMES)
    assert all(NAMES[c['label']] == c['name'] for c in present)
    assert sum(c['pixels'] for c in present) == h * w  # every pixel has a class
    assert abs(sum(c['fraction'] for c in present) - 1) < 1e-4
    assert [c['pixels'] for c in present] == sorted((c['pixels'] for c in present), reverse=True)
    # the picture at its size, the legend on its right, a swatch of each present class's colour in the legend
    assert png.shape[0] >= h and png.shape[1] > w + 40
    from umgclip_mm.apis.demo_drawing import distinct_palette
    palette = distinct_palette(len(NAMES))
    legend = png[:, w + 1:].reshape(-1, 3)
    for c in present:
        assert (legend == palette[c['label']]).all(1).sum() >= 25, c
    for label in set(range(len(NAMES))) - {c['label'] for c in present}:
        assert (legend == palette[label]).all(1).sum() == 0


def test_semseg_zero_shot_takes_towers_checkpoint_and_vocab_file(files, tmp_path):
    vocab_file = tmp_path / 'classes.txt'
    vocab_file.write_text('# the classes\nsky|heaven\n\ngrass\n')
    out = str(tmp_path / 'out')
    proc = run_tool('tools/demo/ov_semseg.py', files['image'], '--config', ZEROSHOT, '--checkpoint', files['towers'],
                    '--vocab', 'person', '--vocab-file', str(vocab_file), '--out', out, '--no-ensemble',
                    '--opacity', '0.7')
    assert 'no out-of-vocabulary branch' in proc.stdout
    png, result = outputs(out, files['image'])
    assert result['classes'] == ['person', 'sky', 'grass'] and result['model'] == 'ZeroShotSegmentor'
    assert {c['name'] for c in result['present']} <= set(result['classes'])


def test_detection_boxes_and_json(files, tmp_path):
    out = str(tmp_path / 'out')
    run_tool('tools/demo/ov_detection.py', files['image'], '--config', DETECTION, '--checkpoint', files['detection'],
             '--vocab', VOCAB, '--score-thr', '0', '--out', out)
    png, result = outputs(out, files['image'])
    h, w = files['size']
    assert png.shape[:2] == (h, w)
    assert result['classes'] == NAMES and result['ensemble'] and result['score_thr'] == 0
    dets = result['detections']
    assert dets, 'a score threshold of 0 keeps every detection of the model'
    assert [d['score'] for d in dets] == sorted((d['score'] for d in dets), reverse=True)
    for d in dets:
        assert d['name'] in NAMES and NAMES[d['label']] == d['name'] and 0 <= d['score'] <= 1
        x1, y1, x2, y2 = d['box']
        assert 0 <= x1 <= x2 <= w and 0 <= y1 <= y2 <= h  # original-image pixels
        assert 'mask_area' not in d  # the toy detector has no mask head
    # the threshold keeps what scores at least that much
    thr = dets[len(dets) // 2]['score']
    run_in_process('tools/demo/ov_detection.py', files['image'], '--config', DETECTION, '--checkpoint',
                   files['detection'], '--vocab', VOCAB, '--score-thr', str(thr), '--no-ensemble', '--out', out)
    _, off = outputs(out, files['image'])
    assert not off['ensemble'] and all(d['score'] >= thr for d in off['detections'])


def test_panoptic_model_gives_semantic_and_instance_output(files, tmp_path):
    ckpt = random_checkpoint(PANOPTIC, tmp_path / 'panoptic.pth')
    out = str(tmp_path / 'out')
    run_tool('tools/demo/ov_detection.py', files['image'], '--config', PANOPTIC, '--checkpoint', ckpt,
             '--vocab', VOCAB, '--score-thr', '0', '--out', out)
    _, result = outputs(out, files['image'])
    assert result['model'] == 'OVMask2Former' and result['detections']
    assert all(d['mask_area'] >= 0 and d['name'] in NAMES for d in result['detections'])
    run_in_process('tools/demo/ov_semseg.py', files['image'], '--config', PANOPTIC, '--checkpoint', ckpt,
                   '--vocab', VOCAB, '--out', out)
    _, result = outputs(out, files['image'])
    assert sum(c['pixels'] for c in result['present']) == files['size'][0] * files['size'][1]


@pytest.mark.parametrize('tool', ['tools/demo/ov_semseg.py', 'tools/demo/ov_detection.py'])
def test_bad_input_is_a_clear_message(files, tmp_path, tool):
    cfg = SEMSEG if 'semseg' in tool else DETECTION
    ckpt = files['semseg'] if 'semseg' in tool else files['detection']
    good = dict(image=files['image'], config=cfg, checkpoint=ckpt, vocab=VOCAB)

    def args(a):
        return [a['image'], '--config', a['config'], '--checkpoint', a['checkpoint'], '--vocab', a['vocab'], '--out',
                str(tmp_path / 'out')]

    def refused(**kw):
        return refusal(tool, *args(dict(good, **kw)))

    missing = str(tmp_path / 'missing.jpg')
    assert f'image {missing} does not exist' in refused(image=missing)
    assert f'image {files["text_jpg"]} is not an image file OpenCV can read' in refused(image=files['text_jpg'])
    assert 'checkpoint nothing.pth does not exist' in refused(checkpoint='nothing.pth')
    assert 'config nothing.py does not exist' in refused(config='nothing.py')
    assert f'checkpoint {files["text_jpg"]} is not a PyTorch checkpoint' in refused(checkpoint=files['text_jpg'])
    for empty in ('', ' , ,|'):
        assert 'the vocabulary is empty: give the class names with --vocab' in refused(vocab=empty)
    assert 'repeats class 0' in refused(vocab='cat,dog,cat|kitten')
    assert 'vocabulary file nothing.txt not found' in refusal(tool, *args(good), '--vocab-file', 'nothing.txt')
    assert not osp.exists(tmp_path / 'out')
    # as a command: exit status 1, the message on stderr, no traceback
    msg = run_refused(tool, *args(dict(good, image=files['text_jpg'])))
    assert f'image {files["text_jpg"]} is not an image file' in msg


def test_wrong_model_or_checkpoint_is_a_clear_message(files, tmp_path):
    out = str(tmp_path / 'out')
    msg = refusal('tools/demo/ov_semseg.py', files['image'], '--config', DETECTION, '--checkpoint',
                  files['detection'], '--vocab', VOCAB, '--out', out)
    assert 'OVTwoStageDetector) does not do semantic segmentation' in msg and 'tools/demo/ov_detection.py' in msg
    msg = refusal('tools/demo/ov_detection.py', files['image'], '--config', SEMSEG, '--checkpoint', files['semseg'],
                  '--vocab', VOCAB, '--out', out)
    assert 'OVEncoderDecoder) does not do detection' in msg and 'tools/demo/ov_semseg.py' in msg
    msg = refusal('tools/demo/ov_detection.py', files['image'], '--config', 'configs/quickstart/pretrain_synthetic.py',
                  '--checkpoint', files['towers'], '--vocab', VOCAB, '--out', out)
    assert '(UMGCLIP) is not an open-vocabulary task model' in msg
    # a pretraining checkpoint (the towers only) for a trained task model
    msg = refusal('tools/demo/ov_semseg.py', files['image'], '--config', SEMSEG, '--checkpoint', files['towers'],
                  '--vocab', VOCAB, '--out', out)
    assert 'does not match the model of the config' in msg and 'holds the towers only' in msg
    msg = refusal('tools/demo/ov_semseg.py', files['image'], '--config', SEMSEG, '--checkpoint', files['semseg'],
                  '--vocab', 'person', '--out', out)
    assert 'give at least 2' in msg
    assert not osp.exists(out)


# ---------------------------------------------------------------- many images per run, --dtype, --profile, JSON
@pytest.fixture(scope='module')
def batch(files, tmp_path_factory):
    """A folder of two photographs (one a PNG of the same stem as a JPEG given beside it) and a random-weight
    checkpoint of the toy panoptic model."""
    import mmcv
    tmp = tmp_path_factory.mktemp('batch')
    (tmp / 'photos').mkdir()
    photo = mmcv.imread(files['image'])
    mmcv.imwrite(photo, str(tmp / 'photos' / 'hopper.png'))
    mmcv.imwrite(mmcv.imflip(photo), str(tmp / 'photos' / 'flipped.jpg'))
    (tmp / 'photos' / 'readme.txt').write_text('not an image, and not named like one: ignored')
    return dict(folder=str(tmp / 'photos'), panoptic=random_checkpoint(PANOPTIC, tmp / 'panoptic.pth'))


def test_output_names_are_distinct():
    from umgclip_mm.apis.demo_utils import output_stems
    assert output_stems(['a/x.jpg', 'b/y.png']) == ['x', 'y']
    assert output_stems(['a/x.jpg', 'a/x.png', 'b/x.jpg']) == ['x_jpg', 'x_png', 'x_jpg_1']


def test_profiler_times_each_part_exclusively():
    import time

    from umgclip_mm.apis.demo_utils import DemoProfiler
    prof = DemoProfiler()
    with prof.image('one', load_s=0.01):
        with prof.section('head'):
            time.sleep(0.02)
            with prof.section('tower'):
                time.sleep(0.03)
    name, row = prof.rows[0]
    assert name == 'one' and row['load'] == 0.01
    assert 0.03 <= row['tower'] < 0.045 and 0.02 <= row['head'] < 0.035  # the tower's time is not the head's
    assert row['total'] >= row['load'] + row['head'] + row['tower']
    assert 'latency (ms)' in prof.table() and prof.table().count('\n') == 1  # header and one row, no mean of one


def test_panoptic_folder_and_files_in_one_run(files, batch, tmp_path, monkeypatch, capsys):
    """A folder and a file in one run: one model load, an output pair per image named after it (the JPEG and the
    PNG of the same stem apart), COCO xywh boxes."""
    from umgclip_mm.apis import demo_utils
    loads = []
    load = demo_utils.load_task_model
    monkeypatch.setattr(demo_utils, 'load_task_model', lambda *a, **k: loads.append(1) or load(*a, **k))
    out = str(tmp_path / 'out')
    run_in_process('tools/demo/ov_panoptic.py', batch['folder'], files['image'], '--config', PANOPTIC,
                   '--checkpoint', batch['panoptic'], '--vocab', VOCAB, '--stuff', 'background', '--out', out)
    assert len(loads) == 1
    assert sorted(os.listdir(out)) == ['flipped.json', 'flipped.png', 'hopper_jpg.json', 'hopper_jpg.png',
                                       'hopper_png.json', 'hopper_png.png']
    h, w = files['size']
    for stem, image in (('flipped', osp.join(batch['folder'], 'flipped.jpg')), ('hopper_jpg', files['image'])):
        result = json.load(open(osp.join(out, stem + '.json')))
        assert result['image'] == image and (result['height'], result['width']) == (h, w)
        assert result['classes'] == NAMES and result['dtype'] == 'fp32' and result['ensemble']
        for seg in result['segments']:
            x, y, bw, bh = seg['bbox']  # COCO: x, y, width, height around the segment's pixels
            assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h and bw * bh >= seg['area'] > 0
            assert seg['isthing'] == (seg['label'] != 'background') and NAMES[seg['category_id']] == seg['label']
    assert capsys.readouterr().out.count(' segments: ') == 3


@pytest.mark.parametrize('tool', ['tools/demo/ov_semseg.py', 'tools/demo/ov_detection.py'])
def test_a_bad_file_among_good_ones_is_skipped(files, batch, tmp_path, tool, capsys):
    """The good images are done, the bad ones named on stderr, and the run ends with a message (exit status 1)."""
    cfg, ckpt = (SEMSEG, files['semseg']) if 'semseg' in tool else (DETECTION, files['detection'])
    out = str(tmp_path / 'out')
    missing = str(tmp_path / 'missing.jpg')
    msg = refusal(tool, files['text_jpg'], batch['folder'], missing, '--config', cfg, '--checkpoint', ckpt,
                  '--vocab', VOCAB, '--out', out)
    assert msg.startswith('2 of 4 images failed (the others were done)')
    assert files['text_jpg'] in msg and missing in msg
    err = capsys.readouterr().err
    assert f'skipped: image {files["text_jpg"]} is not an image file OpenCV can read' in err
    assert f'skipped: image {missing} does not exist' in err
    assert sorted(os.listdir(out)) == ['flipped.json', 'flipped.png', 'hopper.json', 'hopper.png']


def test_dtype_bf16_and_profile(files, batch, tmp_path, capsys):
    """--dtype bf16 runs under autocast (bfloat16 matrix products seen in the tower), its JSON like fp32's;
    --profile prints a latency row per image and the mean, split by part."""
    import torch
    out = str(tmp_path / 'out')
    seen = []
    hook = torch.nn.Linear.forward

    def spy(self, x):
        y = hook(self, x)
        seen.append(y.dtype)
        return y

    args = ['--config', PANOPTIC, '--checkpoint', batch['panoptic'], '--vocab', VOCAB, '--stuff', 'background',
            '--out', out]
    torch.nn.Linear.forward = spy
    try:
        run_in_process('tools/demo/ov_panoptic.py', batch['folder'], *args, '--dtype', 'bf16', '--profile')
    finally:
        torch.nn.Linear.forward = hook
    assert torch.bfloat16 in seen
    result = json.load(open(osp.join(out, 'hopper.json')))
    assert result['dtype'] == 'bf16' and all(s['area'] > 0 for s in result['segments'])
    text = capsys.readouterr().out
    table = text[text.index('--profile, --dtype bf16 on cpu:'):].splitlines()[1:]
    assert table[0].split() == ['latency', '(ms)', 'load', 'text', 'tower', 'head', 'ensemble', 'draw', 'total']
    rows = {line.split()[0]: [float(v) for v in line.split()[-7:]] for line in table[1:]}
    assert set(rows) == {'flipped.jpg', 'hopper.png', 'mean'}
    for name in ('flipped.jpg', 'hopper.png'):
        load, text_ms, tower, head, ensemble, draw, total = rows[name]
        assert tower > 0 and head > 0 and ensemble > 0 and draw > 0 and load > 0
        assert total >= load + text_ms + tower + head + ensemble + draw - 0.5  # parts are exclusive
    assert rows['flipped.jpg'][1] > rows['hopper.png'][1]  # the vocabulary is encoded for the first image only
    # fp16 needs CUDA; an unknown dtype is refused by argparse
    assert 'needs a CUDA device' in refusal('tools/demo/ov_panoptic.py', batch['folder'], *args, '--dtype', 'fp16')
