"""LoadUMGImage: decode an image, or drop the sample with a logged reason."""
from typing import Optional

import mmcv
import mmengine.fileio as fileio
from mmcv.transforms import BaseTransform

from umgclip_mm.registry import TRANSFORMS
from ..skip_report import SKIPS


def is_truncated(data: bytes) -> bool:
    """Whether a JPEG lacks its end-of-image marker or a PNG its ``IEND`` chunk near the end of the file (other
    formats: False). Trailing padding after the marker (zeros, whitespace, up to 4 KiB of appended data) is
    allowed."""
    tail = bytes(data[-4096:])
    if data[:3] == b'\xff\xd8\xff':
        return b'\xff\xd9' not in tail
    if data[:8] == b'\x89PNG\r\n\x1a\n':
        return b'IEND' not in tail
    return False


@TRANSFORMS.register_module()
class LoadUMGImage(BaseTransform):
    """Read ``img_path`` (or decode ``img_bytes`` when a streaming reader supplies them) into ``img`` (BGR uint8),
    checking it against the record's ``height``/``width`` (filled in from the image when the record has none).

    Unlike mmcv's ``LoadImageFromFile``, a missing, unreadable, undecodable or truncated file (a JPEG or PNG that
    ends before its end marker: decoders fill the missing rows silently) or one whose size disagrees with the
    record returns ``None`` so that the data set skips the sample, and the reason is logged with the
    record's ``source`` (shard and line).

    Args:
        check_size (bool): Drop images whose decoded size differs from the record's ``height``/``width``
            (their annotations would be misplaced).
        backend_args (dict, optional): mmengine file backend arguments (e.g. for object storage).
    """

    def __init__(self, check_size: bool = True, backend_args: Optional[dict] = None):
        self.check_size = check_size
        self.backend_args = backend_args

    def transform(self, results: dict) -> Optional[dict]:
        path, source = results['img_path'], results.get('source', '?')
        try:
            data = results.pop('img_bytes', None)
            if data is None:
                data = fileio.get(path, backend_args=self.backend_args)
            img = mmcv.imfrombytes(data, flag='color', channel_order='bgr')
        except FileNotFoundError:
            SKIPS('image not found', source, path)
            return None
        except Exception as err:  # any decoder failure: the sample is dropped, the run goes on
            SKIPS('image unreadable', source, f'{path}: {err}')
            return None
        if img is None:
            SKIPS('image undecodable', source, path)
            return None
        if is_truncated(data):  # the decoder fills the missing rows with grey and says nothing we can catch
            SKIPS('image truncated', source, f'{path}: the file ends before the image does (a partial download?)')
            return None
        h, w = img.shape[:2]
        if results.get('height') is None or results.get('width') is None:
            results['height'], results['width'] = h, w
        if self.check_size and (h, w) != (results['height'], results['width']):
            SKIPS('image size mismatch', source,
                  f"{path} is {w}x{h} but the record says {results['width']}x{results['height']}")
            return None
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = (h, w)
        return results
