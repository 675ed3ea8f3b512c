"""The inductive zero-shot protocol's training images: those that show only the classes a data set lists (what
``skip_unlisted_images`` of the open-vocabulary data sets keeps)."""
from typing import Callable, List


def keep_listed_images(data_list: List[dict], has_unlisted: Callable[[dict], bool], source: str, items: str,
                       outside: str, otherwise: str) -> List[dict]:
    """The entries of ``data_list`` for which ``has_unlisted`` is false.

    Args:
        data_list (list[dict]): The data set's entries.
        has_unlisted (callable): Whether an entry shows a class the data set does not list.
        source (str): What the error names first (the annotation file, or the data set).
        items (str): What the entries are, for the error (``'images'``, ``'label maps in <folder>'``).
        outside (str): What an unlisted class is outside of, for the error (``'metainfo classes'``).
        otherwise (str): What training does with unlisted classes under ``skip_unlisted_images=False``.

    Returns:
        list[dict]: The kept entries, in order.

    Raises:
        ValueError: ``data_list`` has entries and none is kept.
    """
    kept = [d for d in data_list if not has_unlisted(d)]
    if data_list and not kept:
        raise ValueError(f'{source}: all {len(data_list)} {items} show a class outside {outside}, so '
                         f'skip_unlisted_images=True leaves none to train on; use more images, or '
                         f'skip_unlisted_images=False to train with {otherwise}')
    return kept
