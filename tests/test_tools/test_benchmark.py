"""tools/analysis/benchmark.py runs at toy size and prints parity, figures and ratios."""
import re

from conftest import run_tool


def test_benchmark_tiny():
    out = run_tool('tools/analysis/benchmark.py', '--arch', 'tiny', '--batch', '2', '--img', '32', '--rounds', '1',
                   '--threads', '1').stdout
    diffs = [float(d) for d in re.findall(r'max \|diff\| of embeddings = \S+ raw, (\S+) L2-normalised', out)]
    assert len(diffs) == 2 and max(diffs) < 1e-4, out
    for mode in ('forward', 'forward+backward'):
        rows = [line for line in out.splitlines() if line.startswith(mode + ' ')]
        assert [r.split()[1] for r in rows] == ['ours', 'transformers', 'open_clip'], out
        assert all(re.search(r'\d+\.\d+x', r) for r in rows[1:]), out
