"""Reading data pickles (RefCOCO's ``refs(unc).p``) without running any code they name."""
import io
import pickle

# The only globals a data pickle of builtin values may name (protocol 2 writes sets by name; Python 2's module is
# __builtin__, which pickle maps to builtins). Everything else a pickle can hold without naming a global: dict,
# list, tuple, str, bytes, int, float, bool, None.
SAFE_GLOBALS = frozenset({('builtins', 'set'), ('builtins', 'frozenset'), ('__builtin__', 'set'),
                          ('__builtin__', 'frozenset')})
_PLAIN = (dict, list, tuple, set, frozenset, str, bytes, int, float, bool, type(None))
# What numpy arrays and scalars add (ADE20K's index_ade20k.pkl holds arrays): the array and dtype reconstructors, in
# numpy 1's and numpy 2's module names. An object array's items are unpickled by the same restricted unpickler.
NUMPY_GLOBALS = frozenset((module, name) for module in ('numpy.core.multiarray', 'numpy._core.multiarray')
                          for name in ('_reconstruct', 'scalar')) | frozenset({('numpy', 'ndarray'),
                                                                               ('numpy', 'dtype')})


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asks for something other than builtin containers, strings and numbers."""


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that refuses every global but ``set`` and ``frozenset``, so a pickle can only build
    builtin containers, strings and numbers: a ``__reduce__`` that names ``os.system``, ``eval``, ``subprocess``
    or any class is refused before anything is called.

    Args:
        file: A binary file object.
        source (str): The file's name, for messages.
        allow_numpy (bool): Also admit numpy arrays and scalars (their reconstructors only). Default False.
        **kwargs: ``pickle.Unpickler``'s (``encoding``, ``errors`` for Python 2 pickles).
    """

    def __init__(self, file, source: str = '<pickle>', allow_numpy: bool = False, **kwargs):
        super().__init__(file, **kwargs)
        self.source = source
        self.allowed = SAFE_GLOBALS | NUMPY_GLOBALS if allow_numpy else SAFE_GLOBALS

    def find_class(self, module: str, name: str):
        if (module, name) in self.allowed:
            return super().find_class(module, name)
        raise UnsafePickleError(f'{self.source}: refused to load {module}.{name}: only builtin containers, strings '
                                'and numbers are read from a data pickle (a pickle that names anything else can run '
                                'code; is this the data set\'s own file?)')

    def persistent_load(self, pid):
        raise UnsafePickleError(f'{self.source}: refused a persistent id ({pid!r}): not a plain data pickle')


def _check_plain(value, source: str, depth: int = 0, allow_numpy: bool = False) -> None:
    if depth > 64:
        raise UnsafePickleError(f'{source}: nested deeper than 64 levels')
    if allow_numpy:
        import numpy as np
        if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.dtype != object):
            return
        if isinstance(value, np.ndarray):
            for v in value.ravel():
                _check_plain(v, source, depth + 1, allow_numpy)
            return
    if not isinstance(value, _PLAIN):
        raise UnsafePickleError(f'{source}: holds a {type(value).__name__}, not builtin data')
    if isinstance(value, dict):
        for k, v in value.items():
            _check_plain(k, source, depth + 1, allow_numpy)
            _check_plain(v, source, depth + 1, allow_numpy)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            _check_plain(v, source, depth + 1, allow_numpy)


def load_data_pickle(path: str, allow_numpy: bool = False):
    """The builtin data (dicts, lists, strings, numbers) of a pickle file, read with :class:`RestrictedUnpickler`
    (Python 2 pickles' byte strings are decoded as UTF-8, undecodable bytes replaced); with ``allow_numpy``, numpy
    arrays and scalars too (ADE20K's ``index_ade20k.pkl``).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafePickleError: the pickle names a global other than ``set``/``frozenset``, or is not plain data.
        pickle.UnpicklingError: the file is not a pickle or is truncated.
    """
    with open(path, 'rb') as f:
        data = f.read()
    try:
        value = RestrictedUnpickler(io.BytesIO(data), source=path, allow_numpy=allow_numpy, encoding='utf-8',
                                    errors='replace').load()
    except UnsafePickleError:
        raise
    except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError, pickle.UnpicklingError) as err:
        raise pickle.UnpicklingError(f'{path}: not a readable pickle ({type(err).__name__}: {err})') from None
    _check_plain(value, path, allow_numpy=allow_numpy)
    return value
