"""umgclip_mm.datasets.fake_layouts: the writers' version covers every module of the package (the full-size smoke
rewrites its data when any writer changes). The layouts themselves are checked by
tests/test_tools/test_smoke_fullsize.py (slow: they go through the converters and every config's data sets)."""
import os.path as osp
import shutil

from umgclip_mm.datasets import fake_layouts


def test_version_changes_with_any_module_of_the_package(tmp_path, monkeypatch):
    folder = osp.dirname(fake_layouts.__file__)
    for name in ('__init__.py', 'coco_lvis.py', 'image_text.py', 'scene.py', 'segmentation.py'):
        shutil.copy(osp.join(folder, name), tmp_path / name)
    original = fake_layouts.version()
    monkeypatch.setattr(fake_layouts, '__file__', str(tmp_path / '__init__.py'))
    assert fake_layouts.version() == original
    with open(tmp_path / 'segmentation.py', 'a') as f:  # a writer other than the package's __init__
        f.write('# changed\n')
    assert fake_layouts.version() != original
