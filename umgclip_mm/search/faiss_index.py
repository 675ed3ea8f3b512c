"""FAISS indexes of L2-normalised embeddings by inner product: exact (flat) for small collections, IVF-PQ beyond."""
import math
from typing import Optional, Tuple

import numpy as np

#: Up to this many vectors ``kind='auto'`` keeps an exact flat index: at 100k 512-d vectors a flat query costs 9 ms
#: of one CPU core and needs no training; at 1M it costs 93 ms, where IVF-PQ with re-ranking answers in 1.7 ms at
#: recall@10 0.98 against flat (tools/analysis/benchmark_search.py --what faiss; docs/search.md).
FLAT_MAX_VECTORS = 100_000


def _faiss():
    try:
        import faiss
    except ImportError as err:  # a clear message instead of a bare ModuleNotFoundError
        raise ImportError('the search index needs faiss-cpu: pip install -r requirements/runtime.txt') from err
    return faiss


def ivfpq_params(num_vectors: int, dims: int) -> Tuple[int, int]:
    """``(nlist, m)`` for IVF-PQ: about ``sqrt(N)`` inverted lists and ``dims / 8`` sub-quantisers of 8 bits (a
    512-d vector in 64 bytes; the largest divisor of ``dims`` not above ``dims / 8``)."""
    nlist = int(min(max(round(math.sqrt(num_vectors)), 16), 65536))
    m = max(d for d in range(1, max(dims // 8, 1) + 1) if dims % d == 0)
    return nlist, m


def build_faiss_index(vectors: np.ndarray, kind: str = 'auto', nprobe: Optional[int] = None,
                      train_size: Optional[int] = None, seed: int = 0, num_vectors: Optional[int] = None,
                      add: bool = True, refine: bool = True, k_factor: int = 50):
    """An inner-product FAISS index holding ``vectors`` (ids = row numbers).

    Args:
        vectors (np.ndarray): ``[N, D]`` embeddings (any float dtype; stored as float32 or PQ codes).
        kind (str): ``'flat'`` (exact ``IndexFlatIP``), ``'ivfpq'`` (``IVF{nlist},PQ{m}np``, see
            :func:`ivfpq_params`)
            or ``'auto'`` (flat up to :data:`FLAT_MAX_VECTORS`, else IVF-PQ).
        nprobe (int, optional): Lists an IVF-PQ query visits (default ``max(8, nlist // 32)``).
        train_size (int, optional): Vectors IVF-PQ is trained on (default ``min(N, 64 * nlist)``, a random
            sample).
        seed (int): Seed of the training sample and of FAISS's k-means.
        num_vectors (int, optional): The size the index is meant for, when ``vectors`` is only a training sample
            of it (``kind='auto'`` and the IVF-PQ parameters follow it; default ``len(vectors)``).
        add (bool): Add ``vectors`` to the index (False: train only, the caller adds in parts).
        refine (bool): IVF-PQ re-ranks its ``k_factor * k`` best candidates by their float16 vectors
            (``Refine(SQfp16)``: 1 KB more a 512-d vector in memory). Neighbours in an embedding space are often
            within 0.01 of each other in cosine, closer than PQ's error: on the benchmark's clustered vectors
            recall@10 against flat is 0.22 without and 0.98 with it (``k_factor`` 50), at 1.1 and 1.7 ms of CPU a
            query (1M vectors).
        k_factor (int): Candidates re-ranked per result wanted.

    Returns:
        faiss.Index: The index; its kind is :func:`index_kind`.
    """
    faiss = _faiss()
    vectors = np.ascontiguousarray(vectors, np.float32)
    d = vectors.shape[1]
    n = len(vectors) if num_vectors is None else num_vectors
    if kind == 'auto':
        kind = 'flat' if n <= FLAT_MAX_VECTORS else 'ivfpq'
    if kind == 'flat':
        index = faiss.IndexFlatIP(d)
    elif kind == 'ivfpq':
        nlist, m = ivfpq_params(n, d)
        if len(vectors) < 39 * nlist:
            raise ValueError(f'IVF-PQ with {nlist} lists needs at least {39 * nlist} vectors to train, got '
                             f"{len(vectors)}: use kind='flat' (or 'auto')")
        # 'np': no polysemous training (a code reordering for Hamming pre-filtering, which is not used here; it
        # made a 4000-vector training take 30 s instead of 1.5 s)
        index = faiss.index_factory(d, f'IVF{nlist},PQ{m}np' + (',Refine(SQfp16)' if refine else ''),
                                    faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        size = min(len(vectors), train_size or 64 * nlist)
        sample = vectors[np.sort(rng.choice(len(vectors), size, replace=False))] if size < len(vectors) else vectors
        ivf = faiss.extract_index_ivf(index)
        ivf.cp.seed, ivf.cp.niter = seed, 10  # 10 k-means rounds (FAISS: 25) make the 1M-vector build affordable
        index.train(sample)
        ivf.nprobe = nprobe or max(8, nlist // 32)
        if refine:
            index.k_factor = k_factor
    else:
        raise ValueError(f"kind must be 'auto', 'flat' or 'ivfpq', got {kind!r}")
    if add and len(vectors):
        index.add(vectors)
    return index


def index_kind(index) -> str:
    """``'flat'``, ``'ivfpq'`` or ``'ivfpq+refine'``."""
    name = type(index).__name__
    return 'flat' if name.startswith('IndexFlat') else 'ivfpq+refine' if name.startswith('IndexRefine') else 'ivfpq'


def search_index(index, queries: np.ndarray, topk: int) -> Tuple[np.ndarray, np.ndarray]:
    """``(scores, ids)`` ``[Q, k]`` of the ``topk`` nearest by inner product (ids ``-1`` past the index's size)."""
    return index.search(np.ascontiguousarray(queries, np.float32), topk)


def write_faiss_index(index, path: str) -> None:
    """Write an index to ``path`` (FAISS's own format, portable across machines)."""
    _faiss().write_index(index, path)


def read_faiss_index(path: str, nprobe: Optional[int] = None):
    """Read an index written by :func:`write_faiss_index`; ``nprobe`` overrides an IVF index's stored one."""
    faiss = _faiss()
    index = faiss.read_index(path)
    if nprobe is not None and index_kind(index) != 'flat':
        faiss.extract_index_ivf(index).nprobe = nprobe
    return index
