"""Input checks for the inferencers, demos and web page, each error naming the file, the field and the fix: model
files, images (files, folders: one list of image extensions), output names, the vocabulary from the command line,
and a work dir's latest checkpoint."""
import glob
import os
import os.path as osp
import re
import warnings
from typing import List, Optional, Sequence

import numpy as np

from .exceptions import CheckpointError, InputError, MissingFileError

#: Extensions of the files a folder input contributes (other files in it are ignored).
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')


def check_model_files(config: str, checkpoint: str) -> None:
    """Check that the demo's config and checkpoint exist, and that the checkpoint starts as ``torch.save`` writes.

    Raises:
        MissingFileError: A file is missing (the message names it and what to give instead).
        CheckpointError: ``checkpoint`` is not a file ``torch.save`` writes.
    """
    if not osp.isfile(config):
        raise MissingFileError(f'config {config} does not exist: give the model\'s config file with --config (toy '
                                f'ones are in configs/quickstart/)')
    if not osp.isfile(checkpoint):
        raise MissingFileError(f'checkpoint {checkpoint} does not exist: give the trained weights of the config\'s '
                               f'model with --checkpoint (tools/train.py CONFIG writes work_dirs/<config name>/'
                               f'iter_*.pth)')
    from umgclip_mm.utils.checkpoint import check_checkpoint_format
    try:
        check_checkpoint_format(checkpoint, 'give the trained weights of the config\'s model with --checkpoint '
                                '(e.g. what tools/train.py wrote)')
    except ValueError as err:
        raise CheckpointError(str(err)) from err


def read_image(image: str) -> np.ndarray:
    """Decode one image file (RGB, ``uint8``), read once. A truncated JPEG or PNG (an interrupted download) is
    decoded as OpenCV fills it in, with a ``UserWarning``.

    Raises:
        MissingFileError: ``image`` does not exist.
        InputError: ``image`` is a folder or not an image OpenCV can decode (e.g. a text file named ``.jpg``, an
            empty file).
    """
    if osp.isdir(image):
        raise InputError(f'image {image} is a folder: give one image file (JPEG, PNG, ...) per run')
    if not osp.isfile(image):
        raise MissingFileError(f'image {image} does not exist: give the path of an image file (JPEG, PNG, ...)')
    import mmcv

    from umgclip_mm.datasets.transforms.load_umg_image import is_truncated
    with open(image, 'rb') as f:
        data = f.read()  # read once: decoded, and checked for a cut end
    # BGR; None for what OpenCV cannot decode (its RGB conversion would raise; it refuses an empty buffer)
    img = mmcv.imfrombytes(data) if data else None
    if img is None or img.ndim != 3 or min(img.shape[:2]) < 1:
        raise InputError(f'image {image} is not an image file OpenCV can read ({len(data)} bytes): give a '
                         f'JPEG, PNG, BMP, TIFF or WebP picture')
    if is_truncated(data):  # OpenCV fills the missing rows of a cut JPEG without a word
        warnings.warn(f'image {image} is truncated (its end marker is missing: an interrupted download or copy); '
                      f'the missing part is filled in and segmented as it decodes', stacklevel=2)
    return mmcv.bgr2rgb(img)


def check_input_files(image: str, config: str, checkpoint: str) -> np.ndarray:
    """Check that the demo's three files exist and that ``image`` decodes; return the image (RGB, ``uint8``).

    A truncated JPEG or PNG (an interrupted download) is decoded as OpenCV fills it in, with a warning.

    Raises:
        MissingFileError: A file is missing (the message names it and what to give instead).
        InputError: ``image`` is a folder or not an image OpenCV can decode (e.g. a text file named ``.jpg``, an
            empty file).
        CheckpointError: ``checkpoint`` is not a file ``torch.save`` writes.
    """
    if not osp.isdir(image) and osp.isfile(image) and (not osp.isfile(config) or not osp.isfile(checkpoint)):
        check_model_files(config, checkpoint)
    img = read_image(image)
    check_model_files(config, checkpoint)
    return img


def collect_images(inputs: Sequence[str]) -> List[str]:
    """The image files of the command line, in order: a file as it is (checked when it is read), a folder as its
    files with an image extension (:data:`IMAGE_EXTENSIONS`), sorted by name, not recursing.

    Raises:
        InputError: A folder holds no image file (the message names it).
    """
    images = []
    for item in inputs:
        if osp.isdir(item):
            found = sorted(f for f in os.listdir(item)
                           if f.lower().endswith(IMAGE_EXTENSIONS) and osp.isfile(osp.join(item, f)))
            if not found:
                raise InputError(f'folder {item} has no image file ({", ".join(IMAGE_EXTENSIONS)}): give image '
                                 f'files or folders of them')
            images += [osp.join(item, f) for f in found]
        else:
            images.append(item)
    return images


def output_stems(images: Sequence[str]) -> List[str]:
    """A distinct output name per image: its file name without the extension (``photo``); where two inputs share
    it, the extension is kept (``photo_jpg``, ``photo_png``), and a number is added to any name still taken."""
    stems = [osp.splitext(osp.basename(p))[0] for p in images]
    counts = {s: stems.count(s) for s in stems}
    named = [osp.basename(p).replace('.', '_') if counts[s] > 1 else s for p, s in zip(images, stems)]
    seen, out = set(), []
    for name in named:
        unique, k = name, 1
        while unique in seen:
            unique, k = f'{name}_{k}', k + 1
        seen.add(unique)
        out.append(unique)
    return out


def vocabulary_entries(vocab: str = '', vocab_file: Optional[str] = None, min_classes: int = 1) -> List[str]:
    """The classes of ``--vocab`` (comma-separated) and of ``--vocab-file`` (one per line), each ``'name'`` or
    ``'name|synonym|...'``, checked as a vocabulary (no empty list, no class twice).

    Raises:
        MissingFileError: ``vocab_file`` is missing.
        InputError: No class, fewer than ``min_classes``, or a class given twice.
    """
    from umgclip_mm.vocabulary import build_vocabulary, read_class_file
    entries = [v.strip() for v in (vocab or '').split(',') if v.strip().strip('|').strip()]
    if vocab_file:
        try:
            entries += read_class_file(vocab_file)
        except FileNotFoundError as err:
            raise MissingFileError(str(err)) from err
    if not entries:
        raise InputError('the vocabulary is empty: give the class names with --vocab "cat|kitten,dog,sky" (commas '
                         'between classes, "|" between synonyms) or --vocab-file FILE (one class per line)')
    if len(entries) < min_classes:
        raise InputError(f'the vocabulary has {len(entries)} class ({entries[0]!r}); give at least {min_classes}, '
                         f'e.g. add "background" or the other things the image shows to --vocab')
    try:
        build_vocabulary(entries)
    except ValueError as err:  # a repeated class, named
        raise InputError(str(err)) from err
    return entries


def latest_checkpoint(path: str) -> str:
    """``path`` if it is not a folder; for a work dir, its checkpoint of the most iterations (``iter_N.pth``, else
    ``epoch_N.pth``), else the one its ``last_checkpoint`` names; a folder with none gives
    ``<folder>/iter_*.pth`` (which does not exist: the loader's message says so)."""
    if not osp.isdir(path):
        return path
    for kind in ('iter', 'epoch'):
        found = [(int(m.group(1)), f) for f in glob.glob(osp.join(path, f'{kind}_*.pth'))
                 if (m := re.fullmatch(rf'{kind}_(\d+)\.pth', osp.basename(f)))]
        if found:
            return max(found)[1]
    last = osp.join(path, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            named = f.read().strip()
        if osp.isfile(named):
            return named
    return osp.join(path, 'iter_*.pth')


#: What the page and the command line say when they run the quickstart's toy models.
TOY_WEIGHTS_NOTE = ('These are the quickstart\'s toy models, trained for minutes on synthetic shapes: their results on '
                    'real photographs mean nothing. For real use, convert published CLIP weights with '
                    '`python tools/model_converters/clip2umgclip.py` and train or run a task config with them.')


def is_toy_config(config) -> bool:
    """Whether ``config`` (a path, or a ``Config`` with its ``filename``) is one of ``configs/quickstart/``."""
    path = config if isinstance(config, str) else (getattr(config, 'filename', None) or '')
    return f'configs{os.sep}quickstart{os.sep}' in osp.abspath(path)
