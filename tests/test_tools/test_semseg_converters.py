"""tools/dataset_converters/prepare_ade20k_847.py and prepare_pascal_context_459.py on tiny files written in the
source formats (ADE20K full release; VOC2010 + PASCAL Context .mat)."""
import json
import os
import os.path as osp
import pickle

import numpy as np
import pytest
from PIL import Image

from conftest import load_tool, run_tool
from umgclip_mm.datasets.fake_layouts import ade20k_full_seg_png as ade_rgb


ade = load_tool('tools/dataset_converters/prepare_ade20k_847.py')
pctx = load_tool('tools/dataset_converters/prepare_pascal_context_459.py')


def make_ade(root, images):
    """``images``: {filename: object id map}; writes images/ADE/<split>/x/ and index_ade20k.pkl."""
    folders = []
    for name, ids in images.items():
        split = 'validation' if '_val_' in name else 'training'
        folder = f'ADE20K_2021_17_01/images/ADE/{split}/home/bedroom'
        os.makedirs(osp.join(osp.dirname(root), folder), exist_ok=True)
        h, w = np.asarray(ids).shape
        Image.fromarray(np.full((h, w, 3), 90, np.uint8)).save(osp.join(osp.dirname(root), folder, name))
        Image.fromarray(ade_rgb(ids)).save(osp.join(osp.dirname(root), folder, name[:-4] + '_seg.png'))
        folders.append(folder)
    # the release's index also holds numpy arrays (objectPresence: objects x images), which must load too
    presence = np.zeros((3, len(images)), np.int64)
    with open(osp.join(root, 'index_ade20k.pkl'), 'wb') as f:
        pickle.dump(dict(folder=folders, filename=list(images), objectPresence=presence,
                         objectnames=['wall', 'tube', 'x']), f)


def test_ade20k_full_ids_file_is_checked(tmp_path):
    """The id table beside the tool: 847 distinct ids; a file with a repeated id is refused by name."""
    assert len(ade.ADE20K_FULL_IDS) == 847 and ade.ADE20K_FULL_IDS[:2] == (2978, 312)
    bad = tmp_path / 'ids.txt'
    bad.write_text('# a comment\n' + ' '.join(map(str, ade.ADE20K_FULL_IDS[:846] + (312,))) + '\n')
    with pytest.raises(ValueError, match=r'ids\.txt: expected 847 distinct object ids, found 847 \(846 distinct\)'):
        ade.read_full_ids(str(bad))


def test_ade20k_847_maps_full_ids_to_847_classes_and_resizes(tmp_path):
    root = str(tmp_path / 'ADE20K_2021_17_01')
    os.makedirs(root)
    wall, tube, unknown = 2978, 1885, 3
    assert ade.ADE20K_FULL_IDS.index(wall) == 0 and ade.ADE20K_FULL_IDS.index(tube) == 412
    val = np.array([[wall, tube], [0, unknown]])
    make_ade(root, {'ADE_val_00000001.jpg': val, 'ADE_train_00000001.jpg': np.full((6, 8), tube)})
    run_tool('tools/dataset_converters/prepare_ade20k_847.py', root)
    label = np.array(Image.open(osp.join(root, 'annotations_detectron2/validation/ADE_val_00000001.tif')))
    assert label.dtype == np.uint16 and label.tolist() == [[0, 412], [65535, 65535]]
    assert osp.isfile(osp.join(root, 'images_detectron2/validation/ADE_val_00000001.jpg'))
    assert not osp.exists(osp.join(root, 'annotations_detectron2/training/ADE_train_00000001.tif'))
    counts = ade.main([root, '--splits', 'training', '--max-size', '4', '--out', str(tmp_path / 'out')])
    assert counts == {'training': 1}
    small = np.array(Image.open(str(tmp_path / 'out/annotations_detectron2/training/ADE_train_00000001.tif')))
    assert small.shape == (4, 5) and (small == 412).all()  # 6x8 -> shorter side 4, longer round(8 / 6 * 4)
    assert Image.open(str(tmp_path / 'out/images_detectron2/training/ADE_train_00000001.jpg')).size == (5, 4)


def test_ade20k_847_missing_release_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match='index_ade20k.pkl not found.*ade20k.csail.mit.edu'):
        ade.main([str(tmp_path)])
    with open(tmp_path / 'index_ade20k.pkl', 'wb') as f:
        pickle.dump(dict(folder=['ADE20K_2021_17_01/images/ADE/validation/x'], filename=['ADE_val_00000009.jpg']), f)
    with pytest.raises(SystemExit, match='ADE_val_00000009.jpg: image listed in index_ade20k.pkl'):
        ade.main([str(tmp_path)])


class _RunsCode:
    def __reduce__(self):
        return (os.system, ('touch ran_code',))


def test_ade20k_847_index_that_names_code_is_refused_and_nothing_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / 'index_ade20k.pkl', 'wb') as f:
        pickle.dump(dict(folder=['x'], filename=['ADE_val_00000001.jpg'], payload=_RunsCode()), f)
    with pytest.raises(SystemExit, match='refused to load posix.system'):
        ade.main([str(tmp_path)])
    assert not (tmp_path / 'ran_code').exists()


def make_voc(root, labels):
    from scipy.io import savemat
    os.makedirs(osp.join(root, 'JPEGImages'))
    os.makedirs(osp.join(root, 'trainval'))
    os.makedirs(osp.join(root, 'ImageSets', 'SegmentationContext'))
    for image_id, lab in labels.items():
        Image.fromarray(np.full(lab.shape + (3, ), 50, np.uint8)).save(osp.join(root, 'JPEGImages', image_id + '.jpg'))
        savemat(osp.join(root, 'trainval', image_id + '.mat'), dict(LabelMap=lab.astype(np.uint16)))


def test_pascal_context_459_shifts_labels_and_copies_images(tmp_path):
    voc = str(tmp_path / 'VOC2010')
    make_voc(voc, {'2008_000002': np.array([[0, 1], [301, 459]]), '2008_000003': np.array([[2, 2], [2, 2]])})
    with open(osp.join(voc, 'ImageSets', 'SegmentationContext', 'val.txt'), 'w') as f:
        f.write('2008_000002\n')
    out = str(tmp_path / 'pascal_ctx_d2')
    run_tool('tools/dataset_converters/prepare_pascal_context_459.py', voc, '--out', out)
    label = np.array(Image.open(osp.join(out, 'annotations_ctx459/validation/2008_000002.tif')))
    assert label.dtype == np.uint16 and label.tolist() == [[65535, 0], [300, 458]]
    src = open(osp.join(voc, 'JPEGImages', '2008_000002.jpg'), 'rb').read()
    assert open(osp.join(out, 'images/validation/2008_000002.jpg'), 'rb').read() == src
    assert not osp.exists(osp.join(out, 'annotations_ctx459/validation/2008_000003.tif'))
    # the split from the Detail API's json instead
    json_path = str(tmp_path / 'trainval_merged.json')
    with open(json_path, 'w') as f:
        json.dump(dict(images=[dict(file_name='2008_000003.jpg', phase='val'),
                               dict(file_name='2008_000002.jpg', phase='train')]), f)
    assert pctx.main([voc, '--out', out, '--trainval-json', json_path]) == 1
    assert (np.array(Image.open(osp.join(out, 'annotations_ctx459/validation/2008_000003.tif'))) == 1).all()


def test_pascal_context_459_missing_inputs_are_clear_errors(tmp_path):
    voc = str(tmp_path / 'VOC2010')
    with pytest.raises(SystemExit, match='JPEGImages not found.*VOC2010'):
        pctx.main([voc])
    make_voc(voc, {'2008_000002': np.array([[460]])})
    with pytest.raises(SystemExit, match='val.txt: split list not found.*pascal_context.py'):
        pctx.main([voc, '--out', str(tmp_path / 'o')])
    with open(osp.join(voc, 'ImageSets', 'SegmentationContext', 'val.txt'), 'w') as f:
        f.write('2008_000002\n2008_000009\n')
    with pytest.raises(SystemExit, match='2008_000002.mat: LabelMap values 460..460 outside 0..459'):
        pctx.main([voc, '--out', str(tmp_path / 'o')])
    with pytest.raises(SystemExit, match='nowhere not found.*trainval.tar.gz'):
        pctx.main([voc, '--mat-dir', str(tmp_path / 'nowhere')])
    with open(osp.join(voc, 'ImageSets', 'SegmentationContext', 'val.txt'), 'w') as f:
        f.write('2008_000009\n')
    with pytest.raises(SystemExit, match='2008_000009.jpg: VOC2010 image of split image 2008_000009 not found'):
        pctx.main([voc, '--out', str(tmp_path / 'o')])
