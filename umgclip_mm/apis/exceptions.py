"""The errors of :mod:`umgclip_mm.apis`: each says what is wrong and how to fix it, in one readable message (no
quoted ``repr``: none is a ``KeyError``). Each also derives from the built-in error callers caught before
(``ValueError`` or ``FileNotFoundError``), so ``except ValueError`` keeps working. Library code raises them; only a
tool's ``main`` turns them into an exit status (``raise SystemExit(str(err))``)."""


class UMGCLIPError(Exception):
    """Base of the errors meant for the user: ``str(err)`` is the whole message."""


class MissingFileError(UMGCLIPError, FileNotFoundError):
    """A config, checkpoint, image or vocabulary file that does not exist."""


class CheckpointError(UMGCLIPError, ValueError):
    """A checkpoint that cannot be read (no PyTorch file, empty, truncated)."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint whose keys or shapes do not fit the model of the config (the message lists them)."""


class TaskError(UMGCLIPError, ValueError):
    """A model that cannot do the task asked of it (the message names the models that can)."""


class InputError(UMGCLIPError, ValueError):
    """Bad input: an image that does not decode, an empty folder, an empty or repeated vocabulary, an option out of
    range."""
