"""The shared open-vocabulary parts: VocabularyEncoder (and its caches), OOVScorer, TextEmbeddingClassifier."""
import pytest
import torch
import torch.nn.functional as F

from umgclip_mm.models.open_vocab import OOVScorer, TextEmbeddingClassifier, VocabularyEncoder, geometric_ensemble
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
    enc = VocabularyEncoder(templates=['a {}', 'the {}'])
    embeds = enc(clip, VOCAB)
    assert embeds.shape == (3, clip.embed_dims)
    torch.testing.assert_close(embeds[0], direct(clip, enc.templates, ['cat', 'kitten']), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(embeds[2], direct(clip, enc.templates, ['sky']), rtol=1e-5, atol=1e-6)
    assert enc.num_encoded == 2 * 4


def test_memory_cache_follows_the_weights(clip):
    enc = VocabularyEncoder(templates=['a {}'])
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


def test_oov_scorer_on_boxes_equals_encode_regions_and_the_ensemble(clip):
    scorer = OOVScorer(alpha=0.3, beta=0.9)
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
        OOVScorer(alpha=1.5)


def test_text_embedding_classifier_scores_against_the_vocabulary_and_void():
    torch.manual_seed(0)
    cls = TextEmbeddingClassifier(in_dims=8, embed_dims=4, num_classes=3)
    embeds = F.normalize(torch.randn(5, 4), dim=-1)
    cls.set_class_embeds(embeds)
    x = torch.randn(2, 7, 8)
    logits = cls(x)
    assert logits.shape == (2, 7, 6)
    q = F.normalize(cls.proj(x), dim=-1)
    torch.testing.assert_close(logits[..., :5], cls.logit_scale * q @ embeds.t())
    torch.testing.assert_close(logits[..., 5], cls.logit_scale * q @ F.normalize(cls.void_embed, dim=0))
    assert 'class_embeds' not in cls.state_dict()
    with pytest.raises(ValueError, match=r'\[num_classes, 4\]'):
        cls.set_class_embeds(torch.randn(3, 5))
