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
