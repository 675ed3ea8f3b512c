"""tools/analysis/benchmark.py runs at toy size and prints parity, figures and ratios."""
import re

from conftest import run_tool


def test_benchmark_tiny():
    out = run_tool('tools/analysis/benchmark.py', '--arch', 'tiny', '--batch', '2', '--img', '32', '--rounds', '1',
                   '--threads', '1').stdout
    diffs = [float(d) for d in re.findall(r'max \|diff\| of embeddings = \S+ raw, (\S+) L2-normalised', out)]
    assert len(diffs) == 3 and max(diffs) < 1e-4, out
    for mode in ('forward', 'forward+backward'):
        rows = [line for line in out.splitlines() if line.startswith(mode + ' ')]
        assert [r.split()[1] for r in rows] == ['ours', 'transformers', 'open_clip', 'ours_eva02', 'timm_eva02',
                                                'EVA02'], out
        assert all(re.search(r'\d+\.\d+x', rows[i]) for i in (1, 2, 4, 5)), out


def test_benchmark_pretraining_modes():
    out = run_tool('tools/analysis/benchmark.py', '--what', 'token-reduction', '--arch', 'tiny', '--batch', '2',
                   '--img', '64', '--rounds', '1', '--threads', '1').stdout
    assert re.search(r'cluster 75%\s+\S+ s/step\s+speed-up \d+\.\d+x', out), out
    out = run_tool('tools/analysis/benchmark.py', '--what', 'umg-index', '--lines', '20000').stdout
    per_image = float(re.search(r'([\d.]+) bytes/image in its arrays', out).group(1))
    assert 8.0 <= per_image < 9.0, out


def test_semseg_benchmark_times_both_segmentors_against_the_tower():
    """--what semseg (tools/analysis/benchmark_semseg.py) at toy size: one row per model and vocabulary size, each
    with its ratio to the bare tower (1.00x for the tower itself)."""
    out = run_tool('tools/analysis/benchmark.py', '--what', 'semseg', '--arch', 'tiny', '--img', '64', '--rounds', '1',
                   '--threads', '1').stdout
    rows = [line.split() for line in out.splitlines() if line.split() and line.split()[0] in (
        'tower', 'OVEncoderDecoder', 'ZeroShotSegmentor')]
    assert [(r[0], r[1]) for r in rows] == [(m, c) for c in ('150', '847') for m in (
        'tower', 'OVEncoderDecoder', 'ZeroShotSegmentor')], out
    assert all(re.fullmatch(r'\d+\.\d+x', r[3]) for r in rows) and rows[0][3] == '1.00x', out
    assert run_tool('tools/analysis/benchmark_semseg.py', '--help').stdout.startswith('usage:')
