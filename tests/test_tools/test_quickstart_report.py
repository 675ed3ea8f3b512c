"""tools/analysis/quickstart_report.py: the README's quickstart tables come from the runs' logs."""
import json
import os

import pytest
from conftest import run_tool

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
    assert 'region and mask weights 0 | not run' in out and 'branch off (`model.ensemble=None`) | not run' in out
    assert 'image caption 3.00 -> 1.50' in out and '(50) -> last (600)' in out
    assert '| branch on (FC-CLIP ensemble) | 40.0 | 43.0 / 46.0 | 49.0 / 50.0 / 51.0 | 52.0 / 53.0 / 54.0 |' in out
    write_run(work_root / 'quickstart_image_only', [retrieval_line(20.0)])
    write_run(work_root / 'quickstart_panoptic_off', [panoptic_line(5.0)])
    out = run_tool(TOOL, '--work-root', str(work_root), '--run-ablations').stdout  # logs exist: nothing is run
    assert '| region and mask weights 0 | 20.0% (50.0%) | 21.0% (51.0%) | 22.0% (52.0%) |' in out
    assert '| branch off (`model.ensemble=None`) | 5.0 | 8.0 / 11.0 | 14.0 / 15.0 / 16.0 | 17.0 / 18.0 / 19.0 |' in out


def test_missing_runs_are_named(tmp_path):
    with pytest.raises(BaseException, match='make quickstart'):
        run_tool(TOOL, '--work-root', str(tmp_path))


def test_semantic_and_detection_tables_from_logs(work_root):
    """The task families' tables read their runs' logs; a family that did not run says so."""
    out = run_tool(TOOL, '--work-root', str(work_root)).stdout
    assert '| OVEncoderDecoder, trained on the seen classes, branch on | not run | | | |' in out
    assert '| region score on (F-VLM ensemble) | not run | | |' in out
    write_run(work_root / 'quickstart_semseg', [semseg_line(10.0), semseg_line(40.0)])
    write_run(work_root / 'quickstart_semseg_zeroshot', [semseg_line(20.0)])
    write_run(work_root / 'quickstart_detection', [detection_line(0.5)])
    write_run(work_root / 'quickstart_detection_off', [detection_line(0.25)])
    out = run_tool(TOOL, '--work-root', str(work_root)).stdout
    assert '| OVEncoderDecoder, trained on the seen classes, branch on | 40.0 | 41.0 | 42.0 | 43.0 |' in out
    assert '| ZeroShotSegmentor (training-free, nothing trained) | 20.0 | 21.0 | 22.0 | 23.0 |' in out
    assert '| panoptic checkpoint, semantic output (FC-CLIP protocol) | not run | | | |' in out
    assert '| region score on (F-VLM ensemble) | 50.0 | 51.0 | 52.0 |' in out
    assert '| region score off (`model.ensemble=None`) | 25.0 | 26.0 | 27.0 |' in out
