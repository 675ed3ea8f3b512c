"""OVSegmentorMixin: what the open-vocabulary semantic segmentors share on top of OpenVocabMixin."""
from torch import Tensor

from umgclip_mm.vocabulary import Vocabulary

from ..open_vocab import OpenVocabMixin


class OVSegmentorMixin(OpenVocabMixin):
    """:class:`OpenVocabMixin` for an mmseg segmentor (``EncoderDecoder`` subclass): the class counts mmseg's
    inference and post-processing read follow the test vocabulary, and a vocabulary of one class is refused (every
    pixel takes one of the classes, there is no "other", and mmseg's post-processing would read one score map as a
    binary foreground score). A segmentor with a head extends :meth:`use_vocabulary` (calling this one first).
    """

    @property
    def out_channels(self) -> int:
        """Classes of the test vocabulary (mmseg's slide inference allocates this many score maps)."""
        return len(self.test_vocab)

    @property
    def num_classes(self) -> int:
        """Classes of the test vocabulary."""
        return len(self.test_vocab)

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Refuse a vocabulary of fewer than two classes (no head to hand it to here)."""
        if len(vocab) < 2:
            raise ValueError(f'semantic segmentation needs at least two classes, got {vocab.names}: every pixel is '
                             f'given one of them; add the rest of the scene, e.g. "background" or "sky,ground"')
