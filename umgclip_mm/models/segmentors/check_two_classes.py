"""What the semantic segmentors ask of a vocabulary."""
from umgclip_mm.vocabulary import Vocabulary


def check_two_classes(vocab: Vocabulary) -> None:
    """Refuse a vocabulary of one class: every pixel takes one of the classes (there is no "other"), and mmseg's
    post-processing reads one score map as a binary foreground score. The message names the fix."""
    if len(vocab) < 2:
        raise ValueError(f'semantic segmentation needs at least two classes, got {vocab.names}: every pixel is '
                         f'given one of them; add the rest of the scene, e.g. "background" or "sky,ground"')
