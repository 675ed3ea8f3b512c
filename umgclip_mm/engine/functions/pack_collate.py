"""pack_collate: mmengine's ``pseudo_collate`` with each batch's tensors packed into a few, so that a data loader
worker hands a batch over in a few shared-memory segments instead of one per tensor."""
from collections import defaultdict
from typing import Any, Dict, Iterator, List, Sequence, Tuple

import torch
from mmengine.dataset import pseudo_collate
from mmengine.structures import BaseDataElement

from umgclip_mm.registry import FUNCTIONS


def _joined(tensors: Sequence[torch.Tensor], stack: bool) -> torch.Tensor:
    """``torch.stack`` or ``torch.cat`` of ``tensors``; in a data loader worker written straight into shared memory
    (as torch's ``default_collate`` does), so that handing it over does not copy it again."""
    out = None
    if torch.utils.data.get_worker_info() is not None:
        first = tensors[0]
        shape = (len(tensors), *first.shape) if stack else (sum(len(t) for t in tensors), *first.shape[1:])
        storage = first._typed_storage()._new_shared(sum(t.numel() for t in tensors), device=first.device)
        out = first.new(storage).resize_(shape)
    return torch.stack(tensors, out=out) if stack else torch.cat(tensors, out=out)


def _tensor_fields(element: BaseDataElement, path: str = '') -> Iterator[Tuple[str, BaseDataElement, str]]:
    """``(path, owner, name)`` of every tensor data field of ``element`` and of the data elements nested in it."""
    for name, value in element.items():
        if isinstance(value, torch.Tensor):
            yield f'{path}{name}', element, name
        elif isinstance(value, BaseDataElement):
            yield from _tensor_fields(value, f'{path}{name}.')


def pack_data_samples(samples: Sequence[BaseDataElement]) -> int:
    """Put the tensors that sit at the same place in every sample (``regions.bboxes``, ``masks.masks``) into one
    tensor each, concatenated along the first dimension, and give every sample its slice of it (a view; values,
    shapes and dtypes unchanged). Places whose tensors differ in dtype or trailing shape, or that some sample
    lacks, are left as they are.

    Args:
        samples (Sequence[BaseDataElement]): One batch's data samples, changed in place.

    Returns:
        int: How many places were packed.
    """
    places: Dict[str, List[Tuple[BaseDataElement, str]]] = defaultdict(list)
    for sample in samples:
        for path, owner, name in _tensor_fields(sample):
            places[path].append((owner, name))
    packed = 0
    for fields in places.values():
        tensors = [getattr(owner, name) for owner, name in fields]
        if (len(fields) != len(samples) or len(samples) < 2 or any(t.dim() == 0 for t in tensors)
                or len({(t.dtype, t.device, t.shape[1:]) for t in tensors}) != 1):
            continue
        whole = _joined(tensors, stack=False)
        for (owner, name), part in zip(fields, whole.split([len(t) for t in tensors])):
            setattr(owner, name, part)
        packed += 1
    return packed


@FUNCTIONS.register_module()
def pack_collate(data_batch: Sequence[Any]) -> Any:
    """Collate a batch as mmengine's ``pseudo_collate`` does (``dict(inputs=[...], data_samples=[...])``), with
    the images stacked into one ``[B, C, H, W]`` tensor when they share shape and dtype (mmengine's
    ``ImgDataPreprocessor`` takes either and gives the same result) and the samples' tensors packed by
    :func:`pack_data_samples`. Name it in a config as ``collate_fn=dict(type='umgclip_mm.pack_collate')``.

    Why: a data loader worker sends a batch to the main process by moving every tensor's storage into its own
    shared-memory segment (a file created, sized, mapped, filled and its descriptor passed on), three tensors an
    image; here the worker writes each packed tensor straight into one segment (as torch's ``default_collate``
    does), a few per batch (``tools/analysis/benchmark_datapath.py`` measures both).

    Args:
        data_batch (Sequence): The samples of one batch, each ``dict(inputs=Tensor, data_samples=...)`` as the
            packing transforms return them (anything else is collated as ``pseudo_collate`` does).

    Returns:
        The collated batch.
    """
    batch = pseudo_collate(data_batch)
    if not isinstance(batch, dict):
        return batch
    inputs = batch.get('inputs')
    if (isinstance(inputs, list) and inputs and all(isinstance(t, torch.Tensor) for t in inputs)
            and len({(t.shape, t.dtype) for t in inputs}) == 1):
        batch['inputs'] = _joined(inputs, stack=True)
    samples = batch.get('data_samples')
    if isinstance(samples, list) and samples and all(isinstance(s, BaseDataElement) for s in samples):
        pack_data_samples(samples)
    return batch
