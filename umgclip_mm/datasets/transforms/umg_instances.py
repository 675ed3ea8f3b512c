"""The regions and masks of a sample as the UMG transforms pass them on: the ``InstanceData`` that
``LoadUMGAnnotations`` makes and ``UMGRandomResizedCrop``, ``SampleCaptions`` and ``PackUMGInputs`` read."""
from typing import Optional

from mmengine.structures import InstanceData


def loaded_instances(results: dict, key: str, who: str) -> Optional[InstanceData]:
    """``results[key]`` (``'regions'`` / ``'masks'``) as ``LoadUMGAnnotations`` left it, or None if absent.

    Raises:
        TypeError: naming ``who`` (the transform asking), if it is still the record's raw list.
    """
    value = results.get(key)
    if value is not None and not isinstance(value, InstanceData):
        raise TypeError(f'{who}: results["{key}"] is a {type(value).__name__}, not the InstanceData that '
                        'LoadUMGAnnotations makes; put LoadUMGAnnotations before it in the pipeline')
    return value
