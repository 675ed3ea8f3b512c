"""The shared open-vocabulary parts: VocabularyEncoder (and its caches), OOVEnsemble, TextEmbeddingClassifier."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from umgclip_mm.models.open_vocab import OOVEnsemble, TextEmbeddingClassifier, VocabularyEncoder, geometric_ensemble
from umgclip_mm.models.open_vocab import encoding_progress as encoding_progress_module
from umgclip_mm.models.open_vocab import vocabulary_encoder as vocabulary_encoder_module
from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import build_vocabulary

VOCAB = dict(thing_classes=['cat|kitten', 'dog'], stuff_classes=['sky'])


@pytest.fixture
def clip(tiny_model_cfg):
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg).eval()


def direct(clip, templates, names):
    with torch.no_grad():
        return F.normalize(clip.encode_text([t.format(n) for n in names for t in templates]).sum(0), dim=0)


def test_class_embeddings_are_the_mean_over_templates_and_synonyms(clip):
    enc = VocabularyEncoder(templates=['a {}', 'the {}'], cache_dir=None)
    embeds = enc(clip, VOCAB)
    assert embeds.shape == (3, clip.embed_dims)
    torch.testing.assert_close(embeds[0], direct(clip, enc.templates, ['cat', 'kitten']), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(embeds[2], direct(clip, enc.templates, ['sky']), rtol=1e-5, atol=1e-6)
    assert enc.num_encoded == 2 * 4


def test_memory_cache_follows_the_weights(clip):
    enc = VocabularyEncoder(templates=['a {}'], cache_dir=None)
    first = enc(clip, VOCAB)
    assert enc(clip, build_vocabulary(VOCAB)) is first and enc.num_encoded == 4  # encoded once
    with torch.no_grad():
        clip.text_encoder.proj.mul_(-1)  # new weights, in place (as load_state_dict copies them)
    second = enc(clip, VOCAB)
    assert enc.num_encoded == 8
    torch.testing.assert_close(second, -first)
    clip.load_state_dict(clip.state_dict())  # same values, copied in place: recomputed, equal
    torch.testing.assert_close(enc(clip, VOCAB), second)
    assert enc.num_encoded == 12
    enc(clip, ['cat'])
    assert enc.num_encoded == 13


def test_disk_cache_is_shared_across_instances_and_keyed_by_weights(clip, tmp_path):
    first = VocabularyEncoder(templates=['a {}'], cache_dir=str(tmp_path))
    embeds = first(clip, VOCAB)
    files = list(tmp_path.glob('*.pt'))
    assert len(files) == 1
    again = VocabularyEncoder(templates=['a {}'], cache_dir=str(tmp_path))
    torch.testing.assert_close(again(clip, VOCAB), embeds)
    assert again.num_encoded == 0  # read from disk
    other = VocabularyEncoder(templates=['the {}'], cache_dir=str(tmp_path))
    other(clip, VOCAB)
    assert other.num_encoded == 4 and len(list(tmp_path.glob('*.pt'))) == 2
    with torch.no_grad():
        clip.text_encoder.proj.mul_(2)
    fresh = VocabularyEncoder(templates=['a {}'], cache_dir=str(tmp_path))
    fresh(clip, VOCAB)
    assert fresh.num_encoded == 4 and len(list(tmp_path.glob('*.pt'))) == 3  # new weights, new file
    files[0].write_bytes(b'not a checkpoint')
    with torch.no_grad():
        clip.text_encoder.proj.div_(2)
    broken = VocabularyEncoder(templates=['a {}'], cache_dir=str(tmp_path))
    torch.testing.assert_close(broken(clip, VOCAB), embeds, rtol=1e-5, atol=1e-6)  # recomputed, rewritten
    assert broken.num_encoded == 4
    reread = VocabularyEncoder(templates=['a {}'], cache_dir=str(tmp_path))
    torch.testing.assert_close(reread(clip, VOCAB), embeds, rtol=1e-5, atol=1e-6)
    assert reread.num_encoded == 0  # the rewritten file is read


def test_embeddings_are_full_precision_under_autocast(clip):
    enc = VocabularyEncoder(templates=['a {}'])
    with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
        amp = enc(clip, VOCAB)
    assert amp.dtype == torch.float32
    torch.testing.assert_close(amp, VocabularyEncoder(templates=['a {}'])(clip, VOCAB))


def test_disk_key_hashes_scalar_weights_too(clip, tmp_path):
    clip.text_encoder.register_buffer('scalar', torch.tensor(2.0))  # a 0-d tensor, as a learned bias might be
    enc = VocabularyEncoder(templates=['a {}'], cache_dir=str(tmp_path))
    enc(clip, VOCAB)
    clip.text_encoder.scalar.fill_(3.0)  # only the scalar changes: another weights digest, another file
    enc(clip, VOCAB)
    assert len(list(tmp_path.glob('*.pt'))) == 2


def test_oov_ensemble_on_boxes_equals_encode_regions_and_the_geometric_ensemble(clip):
    scorer = OOVEnsemble(alpha=0.3, beta=0.9)
    x = torch.randn(2, 3, 32, 32)
    boxes = [torch.tensor([[0., 0., 16., 16.], [8., 8., 32., 24.]]), torch.tensor([[4., 4., 20., 28.]])]
    class_embeds = VocabularyEncoder(templates=['a {}'])(clip, VOCAB)
    with torch.no_grad():
        feats = clip.forward_features(x)
        logits, covered = scorer.logits(clip, feats, 'region', boxes, class_embeds)
        regions = torch.cat(clip.encode_regions(x, boxes))
        head = torch.randn(3, 4)
        seen = torch.tensor([True, False, True])
        out = scorer(clip, feats, 'region', boxes, head, class_embeds, seen)
    torch.testing.assert_close(logits, clip.get_logit_scale() * regions @ class_embeds.t(), rtol=1e-4, atol=1e-4)
    assert covered.all()
    torch.testing.assert_close(out, geometric_ensemble(head, logits, seen, 0.3, 0.9, covered))
    with pytest.raises(ValueError, match='alpha'):
        OOVEnsemble(alpha=1.5)


def test_deprecated_oov_scorer_config_key_builds_an_oov_ensemble_and_warns():
    """Published configs say type='umgclip_mm.OOVScorer': it still builds, an OOVEnsemble, with a warning."""
    with pytest.warns(DeprecationWarning, match='OOVEnsemble'):
        ensemble = MODELS.build(dict(type='umgclip_mm.OOVScorer', alpha=0.25, beta=0.5))
    assert type(ensemble) is OOVEnsemble and (ensemble.alpha, ensemble.beta) == (0.25, 0.5)


def test_text_embedding_classifier_scores_against_the_vocabulary_and_void():
    torch.manual_seed(0)
    cls = TextEmbeddingClassifier(in_dims=8, embed_dims=4, num_classes=3)
    embeds = F.normalize(torch.randn(5, 4), dim=-1)
    five = build_vocabulary(['a', 'b', 'c', 'd', 'e'])
    cls.use_vocabulary(five, embeds)
    x = torch.randn(2, 7, 8)
    logits = cls(x)
    assert logits.shape == (2, 7, 6)
    q = F.normalize(cls.proj(x), dim=-1)
    torch.testing.assert_close(logits[..., :5], cls.logit_scale * q @ embeds.t())
    torch.testing.assert_close(logits[..., 5], cls.logit_scale * q @ F.normalize(cls.void_embed, dim=0))
    assert 'class_embeds' not in cls.state_dict()
    with pytest.raises(ValueError, match=r'\[num_classes, 4\]'):
        cls.use_vocabulary(build_vocabulary(['a', 'b', 'c']), torch.randn(3, 5))
    with pytest.raises(ValueError, match='5 classes in the vocabulary but 3 class embeddings'):
        cls.use_vocabulary(five, embeds[:3])


def test_length_sorted_trimmed_batches_equal_the_padded_path(clip):
    """Prompts of many lengths, three to a batch, each batch cut to its longest prompt: every class embedding (one
    name, one template: the prompt's own embedding) equals the padded-to-the-context path within 1e-6."""
    names = ['cat', 'a very long name of a thing with many words', 'dog house', 'x', 'red car on a road',
             'tree', 'an even longer name of another thing with more words in it']
    enc = VocabularyEncoder(templates=['a {}.'], cache_dir=None, batch_size=3)
    got = enc(clip, names)
    with torch.no_grad():
        want = clip.encode_text([f'a {n}.' for n in names])  # padded to context_length, one batch
    assert (got - want).abs().max() < 1e-6
    assert enc.num_encoded == len(names)


def test_each_distinct_prompt_is_encoded_once(clip):
    """A synonym shared by two classes and a repeated template: encoded once, weighted as often as it occurs."""
    enc = VocabularyEncoder(templates=['a {}', 'a {}', 'the {}'], cache_dir=None)
    vocab = dict(classes=['cat|kitty', 'tomcat|kitty'])
    embeds = enc(clip, vocab)
    assert enc.num_encoded == 3 * 2  # {a, the} x {cat, kitty, tomcat}
    prompts = [t.format(n) for t in enc.templates for n in ('tomcat', 'kitty')]
    with torch.no_grad():
        want = F.normalize(clip.encode_text(prompts).sum(0), dim=0)
    torch.testing.assert_close(embeds[1], want, rtol=1e-5, atol=1e-6)


def test_progress_reaches_callbacks_and_the_log(clip, monkeypatch):
    lines = []
    monkeypatch.setattr(encoding_progress_module, 'print_log', lambda msg, **kw: lines.append(msg))
    seen = []
    enc = VocabularyEncoder(templates=['a {}', 'the {}', 'a photo of a {}.'], cache_dir=None, batch_size=2,
                            log_interval=0)
    enc(clip, VOCAB, progress=seen.append)
    assert [p.done for p in seen] == [0, 2, 4, 6, 8, 10, 12]  # 4 names x 3 templates, 2 a batch
    assert all(p.total == 12 and p.classes == 3 and p.templates == 3 for p in seen)
    assert seen[0].eta is None and seen[-1].eta == 0 and seen[1].eta > seen[-1].eta and seen[-1].rate > 0
    assert lines[0].startswith('encoding a vocabulary of 3 classes x 3 templates: 12 distinct prompts')
    assert 'texts/s' in lines[0] and 'ETA' in lines[0]
    assert any(line.startswith('encoding the vocabulary: ') for line in lines[1:-1])
    assert lines[-1].startswith('encoded 12 prompts of 3 classes in ')
    # the attribute hooks callers that do not call the encoder themselves; a cached vocabulary reports nothing
    enc.progress_callback = seen.append
    enc(clip, ['sky'])
    assert seen[-1].done == seen[-1].total == 3
    count = len(seen)
    enc(clip, ['sky'])
    assert len(seen) == count
    # a quick encoding at the default interval logs nothing
    lines.clear()
    VocabularyEncoder(templates=['a {}'], cache_dir=None)(clip, VOCAB)
    assert lines == []


def test_shared_disk_cache_by_default_in_the_env_folder(clip, tmp_path, monkeypatch):
    monkeypatch.setenv('UMGCLIP_CACHE_DIR', str(tmp_path / 'cache'))
    enc = VocabularyEncoder(templates=['a {}'])
    assert enc.cache_dir == str(tmp_path / 'cache' / 'text_embeddings')
    embeds = enc(clip, VOCAB)
    assert osp.isfile(enc.cache_file(clip, VOCAB))
    assert [p.name for p in (tmp_path / 'cache' / 'text_embeddings').iterdir()] == [
        osp.basename(enc.cache_file(clip, VOCAB))]  # no temporary file left behind
    other = VocabularyEncoder(templates=['a {}'])
    torch.testing.assert_close(other(clip, VOCAB), embeds)
    assert other.num_encoded == 0
    monkeypatch.delenv('UMGCLIP_CACHE_DIR')
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    assert vocabulary_encoder_module.default_cache_dir() == str(tmp_path / 'xdg' / 'umgclip_mm' / 'text_embeddings')
    assert VocabularyEncoder(cache_dir=None).cache_dir is None


def test_a_cache_file_of_the_wrong_shape_or_an_unwritable_folder_only_costs_the_cache(clip, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(vocabulary_encoder_module, 'print_log', lambda msg, **kw: warnings.append(msg))
    enc = VocabularyEncoder(templates=['a {}'], cache_dir=str(tmp_path))
    embeds = enc(clip, VOCAB)
    path = enc.cache_file(clip, VOCAB)
    torch.save(dict(embeds=torch.zeros(2, 5)), path)  # another vocabulary's shape
    again = VocabularyEncoder(templates=['a {}'], cache_dir=str(tmp_path))
    torch.testing.assert_close(again(clip, VOCAB), embeds, rtol=1e-5, atol=1e-6)
    assert again.num_encoded == 4 and 'unreadable' in warnings[-1] and path in warnings[-1]
    blocked = tmp_path / 'a_file'
    blocked.write_text('')
    enc = VocabularyEncoder(templates=['a {}'], cache_dir=str(blocked / 'sub'))
    torch.testing.assert_close(enc(clip, VOCAB), embeds, rtol=1e-5, atol=1e-6)
    assert 'cannot write the text-embedding cache' in warnings[-1] and 'UMGCLIP_CACHE_DIR' in warnings[-1]


def test_bf16_precision_is_an_option_with_its_own_cache_key(clip, tmp_path):
    fp32 = VocabularyEncoder(templates=['a {}', 'the {}'], cache_dir=str(tmp_path))
    bf16 = VocabularyEncoder(templates=['a {}', 'the {}'], cache_dir=str(tmp_path), precision='bf16')
    a, b = fp32(clip, VOCAB), bf16(clip, VOCAB)
    assert b.dtype == torch.float32 and (a * b).sum(-1).min() > 0.99 and not torch.equal(a, b)
    assert fp32.cache_file(clip, VOCAB) != bf16.cache_file(clip, VOCAB)
    with pytest.raises(ValueError, match='precision'):
        VocabularyEncoder(precision='fp8')
