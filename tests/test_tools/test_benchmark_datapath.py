"""tools/analysis/benchmark_datapath.py: --help, and a tiny run whose tables have every row with positive figures."""
import re

from conftest import run_tool

TOOL = 'tools/analysis/benchmark_datapath.py'


def test_help():
    out = run_tool(TOOL, '--help').stdout
    assert out.startswith('usage:') and '--samples' in out and '--formats' in out and '--kinds' in out


def test_tiny_run_prints_every_format_kind_and_path_with_positive_figures():
    out = run_tool(TOOL, '--samples', '3', '--rounds', '1', '--masks', '3', '--regions', '2').stdout
    rows = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 12 and fields[0] in ('jsonl', 'tar'):
            rows[tuple(fields[:3])] = [float(v) for v in fields[3:]]
    assert sorted(rows) == sorted((f, k, p) for f in ('jsonl', 'tar') for k in ('toy', 'photo')
                                  for p in ('base', 'fast')), out
    for figures in rows.values():
        stages, total, per_second = figures[:6], figures[6], figures[7:]
        assert total > 0 and all(v > 0 for v in per_second), out  # CPU times: never negative, so not checked
        assert abs(sum(stages) - total) < 0.01 + 0.01 * total, out  # the stages add up to the sample's time
    assert len(re.findall(r'fast and base give identical samples \(all 3\): yes', out)) == 4, out
    # the DataLoader check, with each collate, on the same batches
    assert len(re.findall(r'(pseudo|pack)_collate +: worker [\d.]+ ms CPU \([\d.]+ images/s\)', out)) == 4, out
    assert len(re.findall(r'pack_collate over pseudo_collate [\d.]+x .*the same batches: yes', out)) == 2, out
    header = next(line.split() for line in out.splitlines() if line.split()[:1] == ['ViT-B/16'])
    assert header == ['ViT-B/16', 'ViT-L/14', 'EVA02-L/14', 'EVA02-E/14'], out
    workers = [line for line in out.splitlines()
               if re.match(r'(jsonl|tar)/(toy|photo)/(base|fast)( DL (pseudo|pack))? +\d', line)]
    assert len(workers) == 8 + 4, out
    assert all(len(re.findall(r'\b[1-9]\d* / [1-9]\d*\b', line)) == 4 for line in workers), out
