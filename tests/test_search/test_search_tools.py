"""tools/search/build_index.py, query.py and evaluate_search.py, and tools/analysis/benchmark_search.py, run as a
person runs them."""
import json
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import REPO, run_tool

from .conftest import image_path, write_collection

BUILD, QUERY, EVALUATE = 'tools/search/build_index.py', 'tools/search/query.py', 'tools/search/evaluate_search.py'
BENCH = 'tools/analysis/benchmark_search.py'


@pytest.mark.parametrize('tool,flags', [(BUILD, ('--proposals', '--shard-size', '--launcher')),
                                        (QUERY, ('--level', '--topk', '--out-dir', '--ground', '--example-box')),
                                        (EVALUATE, ('--checkpoints', '--proposals')),
                                        (BENCH, ('--what', '--sizes'))])
def test_help(tool, flags):
    out = run_tool(tool, '--help').stdout
    assert out.startswith('usage:') and all(f in out for f in flags), out


def test_build_then_query_text(tmp_path, tiny_files):
    config, ckpt, _ = tiny_files
    collection = write_collection(tmp_path / 'data', num=6)
    (tmp_path / 'data' / 'images' / 'img3.png').write_bytes(b'broken')
    index = str(tmp_path / 'index')
    out = run_tool(BUILD, collection, index, '--config', config, '--checkpoint', ckpt, '--shard-size', '4').stdout
    assert re.search(r'5 images, \d+ regions, \d+ masks in 2 shards \(2 written now, 0 resumed\); 1 image\(s\) '
                     r'skipped; image: flat; region: flat; mask: flat', out), out

    hits_dir = tmp_path / 'hits'
    out = run_tool(QUERY, index, 'a red thing', '--level', 'all', '--topk', '7', '--out-dir', str(hits_dir)).stdout
    hits = json.loads((hits_dir / 'hits.json').read_text())['hits']
    assert len(hits) == 7 and {h['level'] for h in hits} <= {'image', 'region', 'mask'}
    scores = [h['score'] for h in hits]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 1
    assert len(re.findall(r'^\s+\d+\s+-?\d\.\d{4}\s+(image|region|mask)', out, re.M)) == 7, out
    grid = cv2.imread(str(hits_dir / 'hits.png'))
    assert grid.shape[1] == 5 * (192 + 4) + 4 and grid.shape[0] == 28 + 2 * (192 + 34 + 4) + 4  # 7 tiles: 2 rows
    assert len(np.unique(grid.reshape(-1, 3), axis=0)) > 100  # images drawn, not blank tiles


@pytest.fixture
def built_index(tmp_path, tiny_files):
    config, ckpt, other = tiny_files
    collection = write_collection(tmp_path / 'data', num=3)
    index = str(tmp_path / 'index')
    run_tool(BUILD, collection, index, '--config', config, '--checkpoint', ckpt, '--no-progress')
    return collection, index, other


@pytest.mark.slow
def test_query_by_example_grounding_and_a_foreign_checkpoint(built_index):
    collection, index, other = built_index
    # query by example: image 0's first box finds itself first
    rec = json.loads(open(collection).readline())
    out = run_tool(QUERY, index, '--example-image', image_path(collection, 0), '--example-box',
                   *map(str, rec['regions'][0]['bbox']), '--topk', '3').stdout
    first = out.splitlines()[1].split()
    assert first[2:4] == ['region', 'images/img0.png'] and abs(float(first[1]) - 1) < 3e-3, out

    out = run_tool(QUERY, index, 'a blue thing', '--ground', 'images/img0.png', '--topk', '2').stdout
    lines = out.splitlines()[1:]
    assert len(lines) == 2 and all('images/img0.png' in line for line in lines), out

    # the index refuses a checkpoint other than its own, and says which
    proc = subprocess.run([sys.executable, QUERY, index, 'a red thing', '--checkpoint', other], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and 'is not the checkpoint the index was built with' in proc.stderr, proc.stderr


@pytest.mark.parametrize('flags, words', [
    (['--proposals', 'panoptic'], '--proposals panoptic needs --panoptic-config'),
    (['--proposals', 'rpn'], '--proposals rpn needs --detector-config'),
    (['--proposals', 'panoptic', '--panoptic-config', 'p.py', '--max-proposals', '0'], '--max-proposals 0'),
])
def test_build_index_refuses_incomplete_proposal_flags(flags, words, capsys):
    from conftest import load_tool
    with pytest.raises(SystemExit):
        load_tool(BUILD).parse_args(['c.jsonl', 'out', '--config', 'c.py', *flags])
    assert words in capsys.readouterr().err


def test_build_index_panoptic_flags_reach_the_proposer(monkeypatch, tmp_path, tiny_files):
    """--proposals panoptic builds a PanopticProposer from --panoptic-config/--panoptic-checkpoint (20 masks by
    default) and records them in the manifest (the proposer is a stand-in here: the real one is tested in
    test_search_index)."""
    config, ckpt, _ = tiny_files
    collection = write_collection(tmp_path / 'data', num=2)
    made = fake_panoptic(monkeypatch)
    tool = load_tool_main(BUILD)
    assert tool([collection, str(tmp_path / 'index'), '--config', config, '--checkpoint', ckpt, '--proposals',
                 'panoptic', '--panoptic-config', config, '--panoptic-checkpoint', ckpt, '--no-progress']) == 0
    assert made == [(config, ckpt, 20)]
    manifest = json.loads((tmp_path / 'index' / 'manifest.json').read_text())
    assert manifest['proposals'] == 'panoptic' and manifest['counts']['masks'] == manifest['counts']['regions'] == 2
    assert manifest['model']['panoptic_config'] == 'tiny_umgclip.py'


def fake_panoptic(monkeypatch):
    """PanopticProposer.from_config replaced by a stand-in whose one mask (of a 40 x 48 image) has the box 1, 2, 9,
    8; returns the list of the (config, checkpoint, max_proposals) it was built with."""
    from umgclip_mm.search import PanopticProposer
    made = []

    def fake(cls, cfg, checkpoint=None, device='cpu', max_proposals=20):
        made.append((cfg, checkpoint, max_proposals))
        mask = np.pad(np.ones((6, 8), bool), ((2, 32), (1, 39)))[None]
        return lambda img: (np.array([[1, 2, 9, 8]], np.float32), mask, np.ones(1, np.float32))
    monkeypatch.setattr(PanopticProposer, 'from_config', classmethod(fake))
    return made


def test_evaluate_panoptic_proposals_reports_region_and_mask_rows(monkeypatch, tmp_path, tiny_files, capsys):
    config, ckpt, _ = tiny_files
    collection = write_collection(tmp_path / 'data', num=2)
    made = fake_panoptic(monkeypatch)
    evaluate = load_tool_main(EVALUATE)
    with pytest.raises(SystemExit):
        evaluate([collection, '--config', config, '--checkpoints', ckpt, '--proposals', 'panoptic'])
    assert '--proposals panoptic needs --panoptic-config' in capsys.readouterr().err
    assert evaluate([collection, '--config', config, '--checkpoints', ckpt, '--names', 'A', '--proposals', 'given',
                     'panoptic', '--panoptic-config', config, '--panoptic-checkpoint', ckpt, '--work-dir',
                     str(tmp_path / 'work'), '--out', str(tmp_path / 'search.json')]) == 0
    assert made == [(config, ckpt, 20)]
    metrics = json.loads((tmp_path / 'search.json').read_text())['A']
    assert set(metrics['panoptic']) == set(metrics['given'])  # its masks are its own: mask rows too
    # one stand-in box per image, far from the captioned ones: no hit, where the given boxes find every caption
    assert metrics['panoptic']['region_R@10'] < metrics['given']['region_R@10'] == 100.0
    assert 'panoptic mask_R@1 ' in capsys.readouterr().out


def load_tool_main(path):
    from conftest import load_tool
    return load_tool(path).main


def test_evaluate_two_checkpoints_side_by_side(tmp_path, tiny_files):
    config, a, b = tiny_files
    collection = write_collection(tmp_path / 'data', num=4)
    result = tmp_path / 'search.json'
    out = run_tool(EVALUATE, collection, '--config', config, '--checkpoints', a, b, '--names', 'A', 'B',
                   '--work-dir', str(tmp_path / 'work'), '--out', str(result)).stdout
    metrics = json.loads(result.read_text())
    assert set(metrics) == {'A', 'B'} and set(metrics['A']) == {'given', 'grid'}
    keys = {f'{lv}_R@{k}' for lv in ('region', 'mask') for k in (1, 5, 10)} | {'region_grounding', 'mask_grounding'}
    assert set(metrics['A']['given']) == keys and set(metrics['B']['grid']) == {k for k in keys if 'region' in k}
    # with the given boxes indexed, every caption's own box is among the first 10 of 4 images' 4-12 boxes
    assert metrics['A']['given']['region_R@10'] == 100.0
    assert metrics['A']['given'] != metrics['B']['given']  # two random models rank differently
    row = next(line for line in out.splitlines() if line.startswith('given region_R@1 '))
    va, vb, diff = (float(v) for v in row.split()[2:])
    assert va == pytest.approx(metrics['A']['given']['region_R@1'], abs=0.05) and diff == pytest.approx(vb - va,
                                                                                                        abs=0.11)


def test_benchmark_tiny_run(tmp_path):
    out = run_tool(BENCH, '--what', 'build', 'faiss', '--images', '4', '--towers', '--sizes', '3000', '--dim', '32',
                   '--clusters', '20', '--queries', '5').stdout
    build = [line.split() for line in out.splitlines() if line.split()[:1] in (['given'], ['grid'])]
    assert [row[0] for row in build] == ['given', 'grid'] and build[1][1] == '88.0', out  # 88 windows on 128 px
    assert build[0][2] == build[1][2] and all(float(row[3]) > 0 and float(row[5]) > 0 for row in build), out
    faiss_rows = [line for line in out.splitlines() if line.strip().startswith('3000')]
    assert len(faiss_rows) == 3 and 'IVF55,PQ4 nprobe 8' in faiss_rows[1], out
    flat, pq, refined = (float(row.split()[-1]) for row in faiss_rows)  # recall@10 against flat
    assert flat == 1.0 and refined >= 0.9 and refined >= pq, out
