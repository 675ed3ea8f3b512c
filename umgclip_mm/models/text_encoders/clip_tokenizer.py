"""CLIPTokenizer: CLIP's byte-level BPE, offline."""
import os.path as osp
import re
from typing import List, Optional, Sequence, Union

import torch

from umgclip_mm.registry import TASK_UTILS


def default_bpe_path() -> str:
    """The CLIP BPE merges file that ships inside mmsegmentation (no download needed)."""
    import mmseg.utils
    return osp.join(osp.dirname(mmseg.utils.__file__), 'bpe_simple_vocab_16e6.txt.gz')


@TASK_UTILS.register_module()
class CLIPTokenizer:
    """CLIP's tokenizer: ``<start_of_text> BPE(text) <end_of_text>``, zero-padded to ``context_length``.

    The byte-level BPE itself is mmsegmentation's (``mmseg.utils.tokenizer.SimpleTokenizer``, OpenAI's algorithm);
    this class adds the context window and the batch tensor. Text longer than the window is truncated and its
    last token replaced by ``<end_of_text>``, as OpenAI and open_clip do, so EOT pooling always finds it.

    Args:
        context_length (int): Tokens per text, including the start and end tokens.
        bpe_path (str, optional): A local ``bpe_simple_vocab_16e6.txt.gz``; default: the copy inside mmseg.
    """

    def __init__(self, context_length: int = 77, bpe_path: Optional[str] = None):
        from mmseg.utils.tokenizer import SimpleTokenizer
        bpe_path = bpe_path or default_bpe_path()
        if not osp.isfile(bpe_path):
            raise FileNotFoundError(
                f'CLIP BPE vocabulary not found at {bpe_path!r}: pass bpe_path= the local '
                "'bpe_simple_vocab_16e6.txt.gz' (it ships with mmsegmentation and open_clip)")
        if context_length < 2:
            raise ValueError(f'context_length must be at least 2 (start and end tokens), got {context_length}')
        self.context_length = context_length
        self.bpe = SimpleTokenizer(bpe_path)
        self.sot_token = self.bpe.encoder['<start_of_text>']
        self.eot_token = self.bpe.encoder['<end_of_text>']
        self.vocab_size = len(self.bpe.encoder)

    def encode(self, text: str) -> List[int]:
        """Token ids of one text with the start and end tokens, truncated to ``context_length``."""
        if not isinstance(text, str):
            raise TypeError(f'CLIPTokenizer takes strings, got {type(text).__name__}: {text!r}')
        ids = [self.sot_token] + self._bpe_ids(text) + [self.eot_token]
        if len(ids) > self.context_length:
            ids = ids[:self.context_length]
            ids[-1] = self.eot_token
        return ids

    def _bpe_ids(self, text: str) -> List[int]:
        """mmseg's ``SimpleTokenizer.encode``, skipping its ftfy and HTML clean-up where they change nothing
        (printable ASCII without ``&``): they cost most of its time, about 1 ms a text, minutes for a large
        vocabulary's prompts. The same ids either way (tested)."""
        if not (text.isascii() and text.isprintable() and '&' not in text):
            return self.bpe.encode(text)
        bpe, ids = self.bpe, []
        for token in bpe.pat.findall(re.sub(r'\s+', ' ', text).strip().lower()):
            token = ''.join(bpe.byte_encoder[b] for b in token.encode('utf-8'))
            ids.extend(bpe.encoder[t] for t in bpe.bpe(token).split(' '))
        return ids

    def __call__(self, texts: Union[str, Sequence[str]]) -> torch.Tensor:
        """Tokenize one text or a list of texts into a ``[N, context_length]`` LongTensor."""
        if isinstance(texts, str):
            texts = [texts]
        out = torch.zeros(len(texts), self.context_length, dtype=torch.long)
        for row, text in enumerate(texts):
            ids = self.encode(text)
            out[row, :len(ids)] = torch.tensor(ids)
        return out

    def decode(self, ids: Sequence[int]) -> str:
        """Text of token ids, without the special and padding tokens."""
        ids = [int(i) for i in ids if int(i) not in (0, self.sot_token, self.eot_token)]
        return self.bpe.decode(ids).strip()
