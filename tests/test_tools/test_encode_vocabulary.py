"""tools/analysis/encode_vocabulary.py fills the shared text-embedding cache that a config's model then reads."""
import importlib.util
import os.path as osp

import pytest
import torch

from conftest import REPO, run_tool
from umgclip_mm.apis import init_model
from umgclip_mm.vocabulary import build_vocabulary

CONFIG = 'configs/quickstart/semseg_synthetic.py'


@pytest.fixture(scope='module')
def tool():
    """The tool's main in this process (one import of the package instead of one per run)."""
    spec = importlib.util.spec_from_file_location('encode_vocabulary',
                                                  osp.join(REPO, 'tools', 'analysis', 'encode_vocabulary.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = init_model(CONFIG, cfg_options={'model.clip.init_cfg': None})  # random towers: no quickstart needed
    path = tmp_path / 'semseg.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


@pytest.mark.slow
def test_command_line_run_writes_the_shared_cache(checkpoint, tmp_path):
    cache = tmp_path / 'cache'
    out = run_tool('tools/analysis/encode_vocabulary.py', CONFIG, checkpoint, '--class-list', 'pascal_voc_20',
                   '--log-interval', '0', env=dict(UMGCLIP_CACHE_DIR=str(cache))).stdout
    assert 'pascal_voc_20: 20 classes, encoded ' in out, out
    files = sorted(p.name for p in (cache / 'text_embeddings').iterdir())
    assert len(files) == 1 and files[0] in out


def test_fills_the_cache_that_the_config_reads(tool, checkpoint, tmp_path, monkeypatch, capsys):
    cache = tmp_path / 'cache'
    monkeypatch.setenv('UMGCLIP_CACHE_DIR', str(cache))
    names = sum(len(syns) for syns in build_vocabulary(dict(class_list='pascal_voc_20')).synonyms)
    assert [r['encoded'] for r in tool([CONFIG, checkpoint, '--class-list', 'pascal_voc_20'])] == [names * 3]
    # the config's own vocabularies (seen classes for training, all for testing), then nothing left to encode
    rows = tool([CONFIG, checkpoint])
    assert [r['vocabulary'] for r in rows] == ['train_vocab', 'test_vocab'] and all(r['encoded'] for r in rows)
    assert len(list((cache / 'text_embeddings').iterdir())) == 3
    assert [r['encoded'] for r in tool([CONFIG, checkpoint])] == [0, 0]
    assert capsys.readouterr().out.count('already cached') == 2
    # a model built from the config with that checkpoint reads the files: nothing encoded, the same embeddings
    model = init_model(CONFIG, checkpoint)
    embeds = model.vocab_encoder(model.clip, dict(class_list='pascal_voc_20'))
    assert model.vocab_encoder.num_encoded == 0
    fresh = type(model.vocab_encoder)(templates=model.vocab_encoder.templates, cache_dir=None)
    torch.testing.assert_close(embeds, fresh(model.clip, build_vocabulary(dict(class_list='pascal_voc_20'))))


def test_bad_input_is_named(tool, checkpoint, tmp_path, monkeypatch):
    monkeypatch.setenv('UMGCLIP_CACHE_DIR', str(tmp_path / 'cache'))
    unknown = 'no shipped class list ade20k_848; available: '
    for args, expected in (([checkpoint, '--class-list', 'ade20k_848'], unknown),
                           ([checkpoint, '--cfg-options', 'model.vocab_encoder.cache_dir=None'], 'cache_dir is None'),
                           ([str(tmp_path / 'missing.pth')], 'missing.pth does not exist')):
        with pytest.raises(SystemExit, match=expected):
            tool([CONFIG, *args])
    assert not (tmp_path / 'cache').exists()
    assert run_tool('tools/analysis/encode_vocabulary.py', '--help').stdout.startswith('usage:')
