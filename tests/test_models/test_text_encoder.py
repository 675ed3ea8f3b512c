import copy

import pytest
import torch

from umgclip_mm.models import CLIPTokenizer, UMGCLIPTextEncoder
from conftest import TINY_TEXT

CORPUS = [
    'a photo of a cat.',
    'A PHOTO OF A DOG!!!',
    '',
    '   leading and trailing   whitespace\t\n',
    "it's the children's toys, isn't it?",
    'café naïve façade résumé Ångström',
    '日本語のテキスト 中文 한국어',
    'emoji 🐱🐶🚗 and symbols ©®™ → ∞',
    'numbers 1234567890 3.14159 1e-5 #42 @home',
    '&amp; &lt;html&gt; escaped &quot;entities&quot;',
    'mixed-case CamelCaseWord snake_case_word kebab-case-word',
    ' '.join(['very long text'] * 60),
    'x' * 500,
]


@pytest.fixture(scope='module')
def tokenizer():
    return CLIPTokenizer(context_length=77)


def test_token_ids_equal_open_clip(tokenizer):
    open_clip = pytest.importorskip('open_clip')
    theirs = open_clip.get_tokenizer('ViT-B-32')(CORPUS)  # the SimpleTokenizer, from open_clip's own vocab file
    assert torch.equal(tokenizer(CORPUS), theirs)


def test_truncation_keeps_end_token(tokenizer):
    ids = tokenizer([' '.join(['word'] * 200)])[0]
    assert ids.shape == (77, )
    assert ids[0] == tokenizer.sot_token and ids[-1] == tokenizer.eot_token
    assert ids.argmax() == 76


def test_decode_round_trip(tokenizer):
    assert tokenizer.decode(tokenizer(['a red car on the road'])[0]) == 'a red car on the road'


def test_missing_bpe_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='bpe_path'):
        CLIPTokenizer(bpe_path=str(tmp_path / 'missing.txt.gz'))


def test_rejects_non_strings(tokenizer):
    with pytest.raises(TypeError, match='strings'):
        tokenizer([None])


def build(**kw):
    cfg = copy.deepcopy(TINY_TEXT)
    cfg.pop('type')
    cfg.update(kw)
    return UMGCLIPTextEncoder(**cfg).eval()


def test_encode_shape_and_context():
    enc = build()
    assert enc.encode(['a cat', 'a much longer description of a dog ' * 5]).shape == (2, 32)
    assert enc.tokenize(['x']).shape == (1, 16)


def test_causal_and_eot_pooling():
    """Tokens after the end-of-text token cannot change the embedding; tokens before it do."""
    enc = build()
    ids = enc.tokenize(['a small dog'])
    eot = int(ids.argmax())
    noisy = ids.clone()
    noisy[0, eot + 1:] = 1234
    torch.testing.assert_close(enc(ids), enc(noisy))
    changed = ids.clone()
    changed[0, 1] = 1234
    assert not torch.allclose(enc(ids), enc(changed))


def test_frozen_text_tower():
    enc = build(frozen=True)
    enc.train()
    assert not enc.training and not any(p.requires_grad for p in enc.parameters())


def test_tokenizer_bigger_than_vocab_is_refused():
    with pytest.raises(ValueError, match='vocab_size'):
        build(vocab_size=100)


def test_tokens_cut_after_the_longest_text_give_the_padded_embeddings():
    """The causal mask keeps the end-of-text token from seeing the padding after it, so a batch cut to its longest
    text (VocabularyEncoder's batches) embeds as the batch padded to the context length."""
    torch.manual_seed(0)
    enc = build()
    ids = enc.tokenize(['a cat', 'a photo of a small dog', 'x'])
    longest = int((ids > 0).sum(1).max())
    assert longest < ids.shape[1]
    with torch.no_grad():
        assert (enc(ids[:, :longest]) - enc(ids)).abs().max() < 1e-6


def test_fast_path_gives_mmsegs_ids_for_every_shipped_class_name(tokenizer):
    """Our tokenizer skips ftfy and HTML unescaping for printable ASCII without '&' (most of its time); ids equal
    mmseg's SimpleTokenizer on every shipped class name in a prompt, and on the odd texts that take the full path."""
    from umgclip_mm.vocabulary import available_class_lists, build_vocabulary
    names = {n for lst in available_class_lists() for syns in build_vocabulary(dict(class_list=lst)).synonyms
             for n in syns}
    texts = [f'a photo of a {n}.' for n in sorted(names)] + CORPUS + ["A  Tab\tand O'Neil's  ", 'fish &amp; chips']
    ours = [tokenizer.encode(t)[1:-1] for t in texts if len(tokenizer.encode(t)) < 77]
    theirs = [tokenizer.bpe.encode(t) for t in texts if len(tokenizer.encode(t)) < 77]
    assert len(ours) > 2000 and ours == theirs
