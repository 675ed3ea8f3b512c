"""The command-line demo tools/demo/image_demo.py (mmdet's flags) and its aliases ov_semseg.py, ov_detection.py and
ov_panoptic.py (the older flags), and tools/analysis/profile_inference.py, on a photograph with tiny random-weight
checkpoints of the quickstart's toy configs: outputs, the toy-weights note, refusals of bad input, a bad file among
good ones, bf16."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from conftest import REPO, load_tool, run_tool

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
    png, js = osp.join(out, 'vis', stem + '.png'), osp.join(out, 'preds', stem + '.json')
    import mmcv
    return mmcv.imread(png, channel_order='rgb'), json.load(open(js))


def run_refused(*args):
    """Run a tool that must refuse: a non-zero exit, a message and no traceback. Returns the message."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-4000:]
    return proc.stderr


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


def test_help(capsys):
    """--help of each demo (in this process: their parsers live in the package, which imports torch anyway) and of
    the profiler (a new interpreter)."""
    def demo_help(tool):
        with pytest.raises(SystemExit) as exc:
            run_in_process(tool, '--help')
        assert exc.value.code == 0
        return capsys.readouterr().out

    profiler = run_tool('tools/analysis/profile_inference.py', '--help').stdout
    for text in (demo_help('tools/demo/image_demo.py'), profiler):
        assert text.startswith('usage:') and 'Examples:' in text and '--texts' in text and '--weights' in text
    for tool in ('tools/demo/ov_semseg.py', 'tools/demo/ov_detection.py', 'tools/demo/ov_panoptic.py'):
        text = demo_help(tool)
        assert text.startswith('usage:') and 'Examples:' in text and '--vocab' in text and '--no-ensemble' in text


def test_semseg_alias_overlay_json_and_toy_note(files, tmp_path):
    out = str(tmp_path / 'out')
    proc = run_tool('tools/demo/ov_semseg.py', files['image'], '--config', SEMSEG, '--checkpoint', files['semseg'],
                    '--vocab', VOCAB, '--out', out)
    assert 'results on real photographs mean nothing' in proc.stdout and 'clip2umgclip.py' in proc.stdout
    png, result = outputs(out, files['image'])
    h, w = files['size']
    assert result['classes'] == NAMES and result['model'] == 'OVEncoderDecoder' and result['ensemble']
    assert (result['height'], result['width'], result['task']) == (h, w, 'semseg')
    assert sum(c['pixels'] for c in result['present']) == h * w  # every pixel has a class
    assert png.shape[0] >= h and png.shape[1] > w + 40  # the picture and the legend on its right


def test_semseg_zero_shot_takes_towers_checkpoint_and_vocab_file(files, tmp_path):
    vocab_file = tmp_path / 'classes.txt'
    vocab_file.write_text('# the classes\nsky|heaven\n\ngrass\n')
    out = str(tmp_path / 'out')
    proc = run_tool('tools/demo/image_demo.py', files['image'], ZEROSHOT, '--weights', files['towers'], '--task',
                    'semseg', '--texts', 'person', '--texts-file', str(vocab_file), '--out-dir', out, '--save-pred',
                    '--no-ensemble', '--opacity', '0.7')
    assert 'has no ensemble' in proc.stdout
    _, result = outputs(out, files['image'])
    assert result['classes'] == ['person', 'sky', 'grass'] and result['model'] == 'ZeroShotSegmentor'
    assert {c['name'] for c in result['present']} <= set(result['classes'])


def test_detection_no_ensemble_and_threshold(files, tmp_path):
    out = str(tmp_path / 'out')
    run_in_process('tools/demo/ov_detection.py', files['image'], '--config', DETECTION, '--checkpoint',
                   files['detection'], '--vocab', VOCAB, '--score-thr', '0', '--out', out)
    _, on = outputs(out, files['image'])
    assert on['ensemble'] and on['score_thr'] == 0 and on['detections']
    thr = on['detections'][len(on['detections']) // 2]['score']
    run_in_process('tools/demo/image_demo.py', files['image'], DETECTION, '--weights', files['detection'], '--texts',
                   VOCAB, '--pred-score-thr', str(thr), '--no-ensemble', '--out-dir', out, '--save-pred')
    _, off = outputs(out, files['image'])
    assert not off['ensemble'] and off['detections'] and all(d['score'] >= thr for d in off['detections'])


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
    msg = refusal('tools/demo/ov_detection.py', files['image'], '--config', 'configs/quickstart/pretrain_synthetic.py',
                  '--checkpoint', files['towers'], '--vocab', VOCAB, '--out', out)
    assert '(UMGCLIP) is not an open-vocabulary task model' in msg
    msg = refusal('tools/demo/ov_semseg.py', files['image'], '--config', SEMSEG, '--checkpoint', files['towers'],
                  '--vocab', VOCAB, '--out', out)
    assert 'does not match the model of the config' in msg and 'holds the towers only' in msg
    msg = refusal('tools/demo/ov_semseg.py', files['image'], '--config', SEMSEG, '--checkpoint', files['semseg'],
                  '--vocab', 'person', '--out', out)
    assert 'give at least 2' in msg
    assert not osp.exists(out)


# ---------------------------------------------------------------- many images per run, --dtype, profiling
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


def test_panoptic_folder_and_files_in_one_run(files, batch, tmp_path, monkeypatch, capsys):
    """A folder and a file in one run: one model load, outputs named after the images, COCO xywh boxes."""
    from umgclip_mm.apis.inferencers import ov_inferencer_mixin
    loads = []
    load = ov_inferencer_mixin.init_model
    monkeypatch.setattr(ov_inferencer_mixin, 'init_model', lambda *a, **k: loads.append(1) or load(*a, **k))
    out = str(tmp_path / 'out')
    run_in_process('tools/demo/ov_panoptic.py', batch['folder'], '--config', PANOPTIC, '--checkpoint',
                   batch['panoptic'], '--vocab', VOCAB, '--stuff', 'background', '--out', out)
    assert len(loads) == 1
    assert sorted(os.listdir(osp.join(out, 'preds'))) == ['flipped.json', 'hopper.json']
    h, w = files['size']
    result = json.load(open(osp.join(out, 'preds', 'flipped.json')))
    assert result['image'] == osp.join(batch['folder'], 'flipped.jpg') and (result['height'], result['width']) == (h, w)
    assert result['classes'] == NAMES and result['dtype'] == 'fp32' and result['num_things'] == 3
    for seg in result['segments']:
        x, y, bw, bh = seg['bbox']  # COCO: x, y, width, height around the segment's pixels
        assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h and bw * bh >= seg['area'] > 0
        assert seg['isthing'] == (seg['label'] != 'background') and NAMES[seg['category_id']] == seg['label']
    assert '2 of 2 images done' in capsys.readouterr().out


@pytest.mark.parametrize('tool', ['tools/demo/ov_semseg.py', 'tools/demo/ov_detection.py'])
def test_a_bad_file_among_good_ones_is_skipped(files, batch, tmp_path, tool, capsys):
    """The good images are done, the bad ones named on stderr, and the run ends with a message (exit status 1)."""
    cfg, ckpt = (SEMSEG, files['semseg']) if 'semseg' in tool else (DETECTION, files['detection'])
    out = str(tmp_path / 'out')
    missing = str(tmp_path / 'missing.jpg')
    msg = refusal(tool, files['text_jpg'], batch['folder'], missing, '--config', cfg, '--checkpoint', ckpt,
                  '--vocab', VOCAB, '--out', out)
    assert msg.startswith('2 images failed (the others were done)')
    assert files['text_jpg'] in msg and missing in msg
    err = capsys.readouterr().err
    assert f'skipped: image {files["text_jpg"]} is not an image file OpenCV can read' in err
    assert f'skipped: image {missing} does not exist' in err
    assert sorted(os.listdir(osp.join(out, 'vis'))) == ['flipped.png', 'hopper.png']


def test_dtype_bf16(files, batch, tmp_path):
    """--dtype bf16 runs under autocast (bfloat16 matrix products seen by a forward hook, removed afterwards), its
    JSON like fp32's; fp16 needs CUDA."""
    import torch
    seen = []
    hook = torch.nn.modules.module.register_module_forward_hook(
        lambda module, args, output: seen.append(output.dtype) if isinstance(module, torch.nn.Linear) else None)
    out = str(tmp_path / 'out')
    args = ['--config', PANOPTIC, '--checkpoint', batch['panoptic'], '--vocab', VOCAB, '--stuff', 'background',
            '--out', out]
    try:
        run_in_process('tools/demo/ov_panoptic.py', files['image'], *args, '--dtype', 'bf16')
    finally:
        hook.remove()
    assert torch.bfloat16 in seen
    _, result = outputs(out, files['image'])
    assert result['dtype'] == 'bf16' and all(s['area'] > 0 for s in result['segments'])
    assert 'needs a CUDA device' in refusal('tools/demo/ov_panoptic.py', files['image'], *args, '--dtype', 'fp16')


def test_part_timer_is_exclusive(monkeypatch):
    """A part timed inside another is not counted in it (a clock that ticks 1 s a reading: no sleep)."""
    profile = load_tool('tools/analysis/profile_inference.py')
    ticks = iter(range(100))
    monkeypatch.setattr(profile.PartTimer, '_now', lambda self: float(next(ticks)))
    timer = profile.PartTimer()
    with timer.section('model'):  # reads 0 ... 3
        with timer.section('text'):  # reads 1, 2
            pass
    assert timer.row['text'] == 1 and timer.row['model'] == 2  # 3 s in all, 1 of them the text's


def test_profile_inference_rows_per_image(files, batch, capsys):
    run_in_process('tools/analysis/profile_inference.py', batch['folder'], PANOPTIC, '--weights', batch['panoptic'],
                   '--task', 'panoptic', '--texts', 'person,flag', '--stuff-texts', 'background')
    text = capsys.readouterr().out
    table = text[text.index('--dtype fp32 on cpu:'):].splitlines()[1:]
    assert table[0].split() == ['latency', '(ms)', 'load', 'preproc', 'text', 'ensemble', 'model', 'draw', 'total']
    rows = {line.split()[0]: [float(v) for v in line.split()[-7:]] for line in table[1:]}
    assert set(rows) == {'flipped.jpg', 'hopper.png', 'mean'}
    for name in ('flipped.jpg', 'hopper.png'):
        load, preproc, text_ms, ensemble, model, draw, total = rows[name]
        assert min(load, preproc, text_ms, ensemble, model, draw) > 0  # each hook and step was timed
        assert total >= load + preproc + text_ms + ensemble + model + draw - 0.5  # parts are exclusive
