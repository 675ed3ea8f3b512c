"""tools/analysis/quickstart_report.py: the README's quickstart tables come from the runs' logs; the results page
(tables, logs, scene figures); --step, the quiet console of the quickstart's runs."""
import json
import os
import re
import sys

import pytest
from conftest import REPO, load_tool, run_tool

TOOL = 'tools/analysis/quickstart_report.py'
LEVELS = ('image', 'region', 'mask')


def write_run(work, lines, scalars=()):
    run = work / '20261125_000000'
    os.makedirs(run / 'vis_data')
    (run / '20261125_000000.log').write_text('\n'.join(lines) + '\n')
    (run / 'vis_data' / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in scalars))


def retrieval_line(top1):
    cells = '  '.join(f'retrieval/{lv}_top1: {top1 + i:.4f}  retrieval/{lv}_top5: {top1 + 30 + i:.4f}  '
                      f'retrieval/{lv}_chance: {1.0 + i:.4f}' for i, lv in enumerate(LEVELS))
    return f'11/25 06:54:30 - mmengine - INFO - Iter(val) [4/4]    {cells}  data_time: 0.0265  time: 0.1688'


def panoptic_line(pq):
    keys = ['PQ', 'SQ', 'RQ', 'PQ_th', 'SQ_th', 'RQ_th', 'PQ_st', 'SQ_st', 'RQ_st'] + [
        f'{m}_{s}' for s in ('seen', 'unseen') for m in ('PQ', 'SQ', 'RQ')]
    cells = '  '.join(f'coco_panoptic/{k}: {pq + i:.4f}' for i, k in enumerate(keys))
    return f'11/25 07:00:00 - mmengine - INFO - Iter(val) [13/13]    {cells}  data_time: 0.1  time: 0.2'


def semseg_line(miou):
    cells = '  '.join(f'{k}: {miou + i:.4f}' for i, k in enumerate(('mIoU', 'mIoU_seen', 'mIoU_unseen', 'hIoU')))
    return f'11/25 07:00:00 - mmengine - INFO - Iter(val) [13/13]    aAcc: 80.0000  {cells}  data_time: 0.1  time: 0.2'


def detection_line(ap):
    cells = '  '.join(f'coco/{k}: {ap + i / 100:.4f}' for i, k in enumerate(('base_ap50', 'novel_ap50', 'bbox_mAP')))
    return f'11/25 07:00:00 - mmengine - INFO - Iter(val) [13/13]    {cells}  data_time: 0.1  time: 0.2'


@pytest.fixture
def work_root(tmp_path):
    losses = [dict(iter=50, **{f'loss_{lv}_{k}': 3.0 for lv in LEVELS for k in ('caption', 'tag')}),
              dict(iter=600, **{f'loss_{lv}_{k}': 1.5 for lv in LEVELS for k in ('caption', 'tag')})]
    write_run(tmp_path / 'quickstart', [retrieval_line(10.0), retrieval_line(60.0)], losses)
    write_run(tmp_path / 'quickstart_panoptic', [panoptic_line(40.0)])
    return tmp_path


def test_help():
    assert run_tool(TOOL, '--help').stdout.startswith('usage:')


def test_tables_from_logs_with_and_without_ablations(work_root):
    out = run_tool(TOOL, '--work-root', str(work_root)).stdout
    assert '| all six terms | 60.0% (90.0%) | 61.0% (91.0%) | 62.0% (92.0%) |' in out  # the last evaluation
    assert '| chance | 1.0% | 2.0% | 3.0% |' in out
    assert 'region and mask weights 0 | not run' in out and 'ensemble off (`model.ensemble=None`) | not run' in out
    assert 'image caption 3.00 -> 1.50' in out and '(50) -> last (600)' in out
    assert '| ensemble on (FC-CLIP) | 40.0 | 43.0 / 46.0 | 49.0 / 50.0 / 51.0 | 52.0 / 53.0 / 54.0 |' in out
    write_run(work_root / 'quickstart_image_only', [retrieval_line(20.0)])
    write_run(work_root / 'quickstart_panoptic_off', [panoptic_line(5.0)])
    out = run_tool(TOOL, '--work-root', str(work_root), '--run-ablations').stdout  # logs exist: nothing is run
    assert '| region and mask weights 0 | 20.0% (50.0%) | 21.0% (51.0%) | 22.0% (52.0%) |' in out
    assert '| ensemble off (`model.ensemble=None`) | 5.0 | 8.0 / 11.0 | 14.0 / 15.0 / 16.0 | 17.0 / 18.0 / 19.0 |' in out


def test_missing_runs_are_named(tmp_path):
    with pytest.raises(BaseException, match='make quickstart'):
        run_tool(TOOL, '--work-root', str(tmp_path))


def test_semantic_and_detection_tables_from_logs(work_root):
    """The task families' tables read their runs' logs; a family that did not run says so."""
    out = run_tool(TOOL, '--work-root', str(work_root)).stdout
    assert '| OVEncoderDecoder, trained on the seen classes, ensemble on | not run | | | |' in out
    assert '| ensemble on (F-VLM) | not run | | |' in out
    write_run(work_root / 'quickstart_semseg', [semseg_line(10.0), semseg_line(40.0)])
    write_run(work_root / 'quickstart_semseg_zeroshot', [semseg_line(20.0)])
    write_run(work_root / 'quickstart_detection', [detection_line(0.5)])
    write_run(work_root / 'quickstart_detection_off', [detection_line(0.25)])
    out = run_tool(TOOL, '--work-root', str(work_root)).stdout
    assert '| OVEncoderDecoder, trained on the seen classes, ensemble on | 40.0 | 41.0 | 42.0 | 43.0 |' in out
    assert '| ZeroShotSegmentor (training-free, nothing trained) | 20.0 | 21.0 | 22.0 | 23.0 |' in out
    assert '| panoptic checkpoint, semantic output (FC-CLIP protocol) | not run | | | |' in out
    assert '| ensemble on (F-VLM) | 50.0 | 51.0 | 52.0 |' in out
    assert '| ensemble off (`model.ensemble=None`) | 25.0 | 26.0 | 27.0 |' in out


def test_results_page_has_the_tables_their_logs_and_names_the_missing_checkpoint(work_root):
    """No panoptic checkpoint: the page has every table, each with its logs, and says which command makes it."""
    out = run_tool(TOOL, '--work-root', str(work_root)).stdout
    page = (work_root / 'quickstart' / 'results.md').read_text()
    assert f'Results page: {work_root}/quickstart/results.md' in out
    for table in ('| all six terms | 60.0% (90.0%) |', '| ensemble on (FC-CLIP) | 40.0 |',
                  '| OVEncoderDecoder, trained on the seen classes, ensemble on | not run |',
                  '| ensemble on (F-VLM) | not run |', '| all six terms | not run | not run |'):
        assert table in page and table in out, table
    assert page.count('## ') == 6  # five tables and the scenes
    assert f'all six terms: `{work_root}/quickstart/20261125_000000/20261125_000000.log`' in page
    assert f'ensemble on: `{work_root}/quickstart_panoptic/20261125_000000/20261125_000000.log`' in page
    assert 'No scene figures: no panoptic checkpoint in' in page
    assert ('`python tools/train.py configs/quickstart/panoptic_synthetic.py --work-dir '
            f'{work_root}/quickstart_panoptic` makes it') in page
    custom = work_root / 'elsewhere' / 'page.md'
    run_tool(TOOL, '--work-root', str(work_root), '--out', str(custom))
    assert custom.read_text() == page


def test_zeroshot_table_from_logs(work_root):
    cells = '  '.join(f'zeroshot/{lv}_{k}: {v + i:.4f}' for i, lv in enumerate(LEVELS)
                      for k, v in (('top1', 10), ('top5', 50), ('mean_recall', 20), ('count', 100)))
    write_run(work_root / 'quickstart_zeroshot', [f'11/25 07:00:00 - mmengine - INFO - Iter(test) [2/2]    {cells}'])
    ret = '  '.join(f'{d}/retrieval/Recall@{k}: {k + j:.4f}' for j, d in enumerate(('i2t', 't2i')) for k in (1, 5, 10))
    write_run(work_root / 'quickstart_zeroshot_retrieval',
              [f'11/25 07:00:00 - mmengine - INFO - Iter(test) [2/2]    {ret}'])
    out = run_tool(TOOL, '--work-root', str(work_root), '--no-figures').stdout
    assert ('| all six terms | 10.0 / 50.0 (20.0; 100) | 11.0 / 51.0 (21.0; 101) | 12.0 / 52.0 (22.0; 102) '
            '| 1 / 5 / 10 | 2 / 6 / 11 |') in out
    assert '| region and mask weights 0 | not run | not run | not run | not run | not run |' in out


@pytest.fixture(scope='module')
def panoptic_run(tmp_path_factory):
    """A toy world of 6 held-out scenes at 64 px and a panoptic 'run' on it: the config as mmengine dumps it in the
    work dir, and a checkpoint of the model's random initial weights."""
    import torch
    from mmengine.config import Config

    from umgclip_mm.apis.inference import prepare_task_config
    from umgclip_mm.datasets.toy_world import generate
    from umgclip_mm.registry import MODELS
    base = tmp_path_factory.mktemp('pan')
    root = base / 'syn'
    generate(str(root), num_train=2, num_val=6, size=64)
    work = base / 'work_dirs' / 'quickstart_panoptic'
    work.mkdir(parents=True)
    cfg = Config.fromfile(os.path.join(REPO, 'configs/quickstart/panoptic_synthetic.py'))
    cfg.test_dataloader.dataset.data_root = str(root)
    cfg.dump(str(work / 'panoptic_synthetic.py'))
    prepare_task_config(cfg, 'panoptic')
    torch.manual_seed(0)
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), work / 'iter_20.pth')
    return base / 'work_dirs', root


def test_scene_figures_show_the_image_ground_truth_and_prediction(panoptic_run):
    """Four held-out scenes showing unseen classes, each a PNG linked from the page: the scene (upscaled 3x), its
    ground truth and the checkpoint's prediction."""
    import cv2
    import numpy as np

    from umgclip_mm.visualization.drawing import font_px_for
    work_root, toy = panoptic_run
    write_run(work_root / 'quickstart', [retrieval_line(10.0)])
    write_run(work_root / 'quickstart_panoptic', [panoptic_line(40.0)])
    quickstart_report = load_tool(TOOL)  # in this process, whose imports the fixture has made: seconds saved
    quickstart_report.main(['--work-root', str(work_root)])
    page = (work_root / 'quickstart' / 'results.md').read_text()
    links = re.findall(r'!\[(val_\d+): image, ground truth, prediction\]\((results/val_\d+\.png)\)', page)
    assert len(links) == 4 and all(f'results/{stem}.png' == link for stem, link in links)
    pan = json.load(open(toy / 'annotations' / 'panoptic_val.json'))
    unseen = {c['id'] for c in pan['categories'] if c['name'] in ('star', 'hexagon', 'sand')}
    with_unseen = [a['file_name'][:-4] for a in pan['annotations']
                   if any(s['category_id'] in unseen for s in a['segments_info'])]
    assert [stem for stem, _ in links] == (with_unseen + [a['file_name'][:-4] for a in pan['annotations']
                                                          if a['file_name'][:-4] not in with_unseen])[:4]
    for stem, link in links:
        figure = cv2.imread(str(work_root / 'quickstart' / link))[..., ::-1]
        scene = cv2.imread(str(toy / 'images' / 'val' / f'{stem}.png'))[..., ::-1]
        big = np.kron(scene, np.ones((3, 3, 1), np.uint8))  # 192 px: three panels of 192 + 8 px, then the legend
        top = 2 * font_px_for(192, 3 * 192)  # the title strip
        assert figure.shape[0] >= 192 + top and 3 * 200 + 50 < figure.shape[1] < 3 * 200 + 600, figure.shape
        assert (figure[top:top + 192, :192] == big).all()  # the first panel is the scene, under its title
        assert not (figure[top:top + 192, 200:392] == big).all()  # the ground truth is drawn over it


def test_step_keeps_the_whole_output_in_the_work_dir_and_a_short_console(tmp_path):
    """--step: mmengine's one-line records on the console, dumps, tables and stray prints in WORK_DIR/console.log
    only; a failing command shows its traceback and exit status."""
    script = tmp_path / 'noisy.py'
    script.write_text("""import sys
rec = '11/25 07:00:00 - mmengine - {} - {}'
print(rec.format('INFO', '')); print('System environment:'); print('  - GCC 13.3')
print(rec.format('INFO', 'Config:')); print("model = dict(")
print('    type=1)')
print(rec.format('INFO', 'paramwise_options -- backbone.norm.weight:weight_decay=0.0'))
print(rec.format('INFO', 'Iter(train) [10/20]  loss: 1.0'))
print('loading annotations into memory...')
print(rec.format('WARNING', 'something to know'))
print(rec.format('INFO', 'Iter(val) [4/4]    retrieval/image_top1: 3.0000'))
if '--fail' in sys.argv:
    raise RuntimeError('broken')
""")
    work = tmp_path / 'work'
    out = run_tool(TOOL, '--step', str(script), '--work-dir', str(work)).stdout
    lines = out.splitlines()
    assert lines[0] == f'[quickstart] {script} --work-dir {work} (whole output: {work}/console.log)'
    assert lines[1:-1] == ['  11/25 07:00:00 - mmengine - ' + m for m in (
        'INFO - Iter(train) [10/20]  loss: 1.0', 'WARNING - something to know',
        'INFO - Iter(val) [4/4]    retrieval/image_top1: 3.0000')]
    assert re.fullmatch(r'\[quickstart\] done in \d+ s', lines[-1])
    console = (work / 'console.log').read_text()
    assert 'System environment:' in console and 'model = dict(' in console and 'paramwise' in console
    import subprocess
    proc = subprocess.run([sys.executable, TOOL, '--step', str(script), '--fail', '--work-dir', str(work)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert 'Traceback (most recent call last)' in proc.stdout and 'RuntimeError: broken' in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith('[quickstart] FAILED, exit status 1 in ')
