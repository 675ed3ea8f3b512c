"""The search index's files: written under a temporary name and renamed into place (a reader, or a build that was
interrupted, sees the old file or the whole new one), and the checkpoint's fingerprint the manifest records."""
import hashlib
import json
import os
import os.path as osp


def file_sha256(path: str, chunk: int = 1 << 22) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: str, write) -> None:
    """Call ``write(tmp_path)`` and rename the file into ``path`` (a reader sees the old file or the whole new one)."""
    tmp = f'{path}.tmp{os.getpid()}'
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def write_json(path: str, obj) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    def write(tmp):
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=1)
    atomic_write(path, write)


def shard_name(k: int) -> str:
    return f'shard-{k:05d}'
