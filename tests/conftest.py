"""Shared fixtures. Every test builds tiny random models: no weights, tokenizers or data are downloaded."""
import copy
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

TINY_VIT = dict(type='umgclip_mm.UMGCLIPViT', img_size=32, patch_size=8, embed_dims=64, num_layers=2, num_heads=2,
                output_dims=32, out_indices=(0, 1))
TINY_TEXT = dict(type='umgclip_mm.UMGCLIPTextEncoder', context_length=16, embed_dims=64, num_layers=2, num_heads=2,
                 output_dims=32)


def pytest_addoption(parser):
    parser.addoption('--runslow', action='store_true', help='also run the tests marked slow')


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: end-to-end tests of minutes; run with --runslow (make test-all)')
    # every test, and every tool a test runs, caches text embeddings in a throw-away folder, never in ~/.cache
    os.environ['UMGCLIP_CACHE_DIR'] = config._umgclip_cache = tempfile.mkdtemp(prefix='umgclip_cache_')
    # Under pytest-xdist each worker is a process sharing the machine's cores with the others. Torch's default (one
    # thread per core in every process, and in every tool a test runs) oversubscribes them, and OpenMP threads that
    # spin-wait for a descheduled sibling crawl: a quickstart panoptic step took 0.2 s on the idle machine and 2.3 s
    # beside three test processes. So each worker, and what it runs, gets its share of the cores (one thread of two
    # cores between two workers). Results are bitwise reproducible at a fixed thread count, and this one is fixed.
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '0'))
    if workers > 1:
        share = str(max(1, (os.cpu_count() or 1) // workers))
        for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ.setdefault(var, share)
        if 'torch' in sys.modules:  # read by torch when it starts; set here in case a plugin imported it first
            sys.modules['torch'].set_num_threads(int(os.environ['OMP_NUM_THREADS']))


def pytest_unconfigure(config):
    if getattr(config, '_umgclip_cache', None):
        shutil.rmtree(config._umgclip_cache, ignore_errors=True)


# Order under --runslow: the other slow tests first, the short ones next, the longest test (the whole quickstart,
# whose three task trainings run side by side, one thread each) last. Under pytest-xdist (`make test-all` runs two
# workers) the short tests then share the two cores, and the quickstart's three trainings get the machine once the
# other worker runs out of tests (run first, beside everything else, it took 1610 s instead of 875 s).
LONGEST_LAST = ('test_quickstart_pretraining_then_every_task_family', )


def pytest_collection_modifyitems(config, items):
    if config.getoption('--runslow'):
        items.sort(key=lambda item: (item.originalname in LONGEST_LAST, 'slow' not in item.keywords))
        return
    skip = pytest.mark.skip(reason='slow: run with --runslow (make test-all)')
    for item in items:
        if 'slow' in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def tiny_vit_cfg():
    return copy.deepcopy(TINY_VIT)


@pytest.fixture
def tiny_text_cfg():
    return copy.deepcopy(TINY_TEXT)


@pytest.fixture
def tiny_model_cfg():
    return dict(type='umgclip_mm.UMGCLIP', backbone=copy.deepcopy(TINY_VIT), text_encoder=copy.deepcopy(TINY_TEXT))


@pytest.fixture(scope='session')
def converted_hf_clip(tmp_path_factory):
    """A random-weight Hugging Face CLIPModel converted by our converter: (checkpoint path, model config)."""
    import torch
    from test_converters.clip_sources import make_hf_clip

    from umgclip_mm.converters import convert_clip
    folder = tmp_path_factory.mktemp('hf')
    torch.save(make_hf_clip().state_dict(), folder / 'pytorch_model.bin')
    ckpt, model_cfg = convert_clip(str(folder / 'pytorch_model.bin'), vision_heads=3, text_heads=2)
    torch.save(ckpt, folder / 'clip.pth')
    return str(folder / 'clip.pth'), model_cfg


def load_tool(path):
    """A repository script (``tools/...py``) imported as a module in this process, without a sys.path edit."""
    import importlib.util
    name = osp.splitext(osp.basename(path))[0] + '_under_test'
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(*args, timeout=600, env=None):
    """Run a repository script (``.py`` with this interpreter) from the repository root.

    Returns the CompletedProcess; a non-zero exit fails the test with the tail of the tool's output.
    """
    full_env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''), **(env or {}))
    cmd = [sys.executable, *args] if args[0].endswith('.py') else list(args)
    proc = subprocess.run(cmd, cwd=REPO, env=full_env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode:
        pytest.fail(f'{" ".join(cmd)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}',
                    pytrace=False)
    return proc
