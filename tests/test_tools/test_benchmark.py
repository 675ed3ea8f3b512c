"""tools/analysis/benchmark.py runs at toy size and prints parity, figures and ratios."""
import importlib.util
import os.path as osp
import re

import pytest
import torch

from conftest import REPO, run_tool


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


@pytest.mark.slow  # trains (make test-all runs it)
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



@pytest.fixture(scope='module')
def bench():
    """The tool imported in this process (one import instead of one per mode); torch's thread count restored."""
    spec = importlib.util.spec_from_file_location('benchmark_tool', osp.join(REPO, 'tools', 'analysis', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    threads = torch.get_num_threads()
    yield lambda *argv: module.main(['--arch', 'tiny', '--batch', '2', '--img', '32', '--rounds', '2', '--threads',
                                     '1', *argv])
    torch.set_num_threads(threads)


def rows_of(out, mode):
    return [line.split() for line in out.splitlines() if line.split()[:1] == [mode]]


def test_roofline_counts_flops_and_compares_with_a_matmul(bench, capsys):
    results = bench('--what', 'roofline')
    out = capsys.readouterr().out
    for mode in ('forward', 'forward+backward'):
        rows = rows_of(out, mode)
        assert [r[1] for r in rows] == ['ours', 'ours_eva02', 'matmul'], out
        assert all(float(r[2]) > 0 for r in rows[:2]) and float(rows[2][-1]) > 0, out  # GFLOP; matmul GFLOP/s
        assert all(re.fullmatch(r'\d+\.\d+x', r[-2]) and re.fullmatch(r'\[\d+\.\d+-\d+\.\d+\]', r[-1])
                   for r in rows[:2]), out
        assert 0 < results[mode]['ours'] and 0 < results[mode]['ours_eva02'], results
    fwd, train = (float(rows_of(out, mode)[0][2]) for mode in ('forward', 'forward+backward'))
    assert 2.5 * fwd < train < 3.5 * fwd, out  # the backward pass costs about twice the forward's FLOPs


def test_block_ab_checks_parity_and_gives_per_round_ratios(bench, capsys):
    bench('--what', 'blocks')
    out = capsys.readouterr().out
    diffs = [float(d) for d in re.findall(r'block parity with \S+: max \|diff\| = (\S+)', out)]
    assert len(diffs) == 2 and max(diffs) < 1e-5, out
    for mode in ('forward', 'forward+backward'):
        rows = rows_of(out, mode)
        assert [r[1] for r in rows] == ['ours', 'transformers', 'open_clip', 'ours_eva02'], out
        assert all(re.fullmatch(r'\d+\.\d+x', r[-2]) for r in rows[1:]), out


def test_bf16_autocast_against_fp32(bench, capsys):
    """--what autocast times both dtypes and reports how far bf16 moves the embeddings; --dtype bf16 reaches the
    tower comparison; --dtype is refused where it does not apply."""
    bench('--what', 'autocast')
    out = capsys.readouterr().out
    cosines = [float(c) for c in re.findall(r'min cosine = (\S+)', out)]
    assert len(cosines) == 2 and 0.99 < min(cosines) and max(cosines) < 1.0, out  # bf16 ran, close to fp32
    bf16 = [r for r in rows_of(out, 'forward') if 'bf16' in r]
    assert [r[1] for r in bf16] == ['ours', 'ours_eva02', 'matmul'], out
    assert all(re.fullmatch(r'\d+\.\d+x', r[-2]) for r in bf16), out

    bench('--dtype', 'bf16')
    out = capsys.readouterr().out
    assert 'bf16 autocast, CPU x1 threads' in out, out
    diffs = [float(d) for d in re.findall(r'max \|diff\| of embeddings = \S+ raw, (\S+) L2-normalised', out)]
    assert len(diffs) == 3 and max(diffs) < 0.05, out
    with pytest.raises(SystemExit):
        bench('--what', 'umg-index', '--dtype', 'bf16')


def test_onnxruntime_against_torch(bench, capsys):
    """--what onnx exports both encoders of a tiny UMG-CLIP, checks onnxruntime's outputs against PyTorch's and
    times the two round by round."""
    bench('--what', 'onnx', '--img', '64')
    out = capsys.readouterr().out
    rows = {r[0]: r for r in (line.split() for line in out.splitlines()) if r[:1] in (['image'], ['text'])}
    assert sorted(rows) == ['image', 'text'], out
    for r in rows.values():
        assert float(r[1]) > 0 and float(r[2]) > 0 and re.fullmatch(r'\d+\.\d+x', r[3]), out
        assert float(r[-1]) < 1e-4, out  # the exported graph computes what PyTorch does


@pytest.mark.slow
def test_vocabulary_encoding_against_todays_path(bench, capsys):
    """--what vocabulary at toy size: the new encoder equals today's path (reference_encode), both are timed
    interleaved with a per-round ratio, and the six vocabularies get a row each with their real class counts."""
    results = bench('--what', 'vocabulary', '--classes', '1', '--num-templates', '2')
    out = capsys.readouterr().out
    diff = float(re.search(r'new fp32 against today, max \|diff\| of class embeddings = (\S+);', out).group(1))
    assert diff < 1e-5, out
    cosines = [float(c) for c in re.findall(r'(?:class|prompt) embeddings (0\.\d+)', out)]
    assert len(cosines) == 2 and min(cosines) > 0.99, out
    paths = [line.split() for line in out.splitlines() if line.startswith(('today ', 'new fp32', 'new bf16'))]
    assert [p[:2] for p in paths][1:] == [['new', 'fp32'], ['new', 'bf16']] and paths[0][0] == 'today', out
    assert all(re.fullmatch(r'\d+\.\d+x', p[4]) for p in paths[1:]) and results['new fp32'] > 0, out
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split()[:1] and line.split()[0] in results['vocabularies']}
    assert {k: int(v[1]) for k, v in rows.items()} == {'ADE-150': 150, 'ADE-847': 847, 'PC-59': 59, 'PC-459': 459,
                                                       'VOC-20': 20, 'LVIS-1203': 1203}, out
    assert all(int(v[3]) == 2 * int(v[2]) and 0 < int(v[4]) <= int(v[3]) for v in rows.values()), out
