"""OVDetLocalVisualizer and OVSegLocalVisualizer: one distinct colour per class wherever a class is drawn, the
legend panel, tags inside the picture, the empty-prediction panel, and no global mmengine instance."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from umgclip_mm.visualization import OVDetLocalVisualizer, OVSegLocalVisualizer, distinct_palette

NAMES = ['cat', 'dog', 'sky', 'grass']


def test_palette_colours_are_distinct_and_stable():
    palette = np.array(distinct_palette(30), dtype=float)
    assert len({tuple(c) for c in palette.astype(int)}) == 30
    first = palette[:8]  # the colours of a short vocabulary are far apart (RGB distance)
    dist = np.linalg.norm(first[:, None] - first[None], axis=-1) + np.eye(8) * 1e3
    assert dist.min() > 60
    assert distinct_palette(5) == distinct_palette(30)[:5]  # a class keeps its colour when classes are added


def test_visualizers_are_built_without_global_instances():
    from mmengine.visualization import Visualizer
    before = {cls: set(cls._instance_dict) for cls in (Visualizer, OVDetLocalVisualizer, OVSegLocalVisualizer)}
    vis = OVDetLocalVisualizer(name='direct')
    vis.set_vocabulary(NAMES)
    vis.draw_legend(np.zeros((32, 32, 3), np.uint8), [((255, 0, 0), 'cat', '1')], title='t')
    OVSegLocalVisualizer(name='direct_seg').set_vocabulary(NAMES)
    assert {cls: set(cls._instance_dict) for cls in before} == before


def test_legend_has_a_swatch_per_row_and_grows_below_a_short_image():
    vis = OVDetLocalVisualizer(name='legend')
    image = np.full((20, 40, 3), 90, np.uint8)
    palette = vis.class_palette(len(NAMES))
    rows = [(palette[i], name, f'{i}%') for i, name in enumerate(NAMES)]
    canvas = vis.draw_legend(image, rows, title='class: share')
    assert canvas.shape[0] > 20 and canvas.shape[1] > 40 + 20  # taller than the image: the rows need it
    assert (canvas[:20, :40] == 90).all() and (canvas[:, 40] == 160).all()  # the picture, then the rule
    panel = canvas[:, 41:].reshape(-1, 3)
    for colour in palette:
        assert (panel == colour).all(1).sum() >= 25, colour
    empty = vis.draw_legend(image, [], title='no segment of this vocabulary found')
    assert (empty[:20, :40] == 90).all() and (empty[:, 41:] < 128).any()  # the note's text


def test_instances_drawn_in_their_class_colour_with_tags_inside():
    vis = OVDetLocalVisualizer(name='instances')
    vis.set_vocabulary(NAMES)
    image = np.full((96, 128, 3), 255, np.uint8)
    instances = InstanceData(bboxes=torch.tensor([[0., 0., 60., 40.], [70., 50., 127., 95.]]),
                             labels=torch.tensor([1, 3]), scores=torch.tensor([0.9, 0.5]))
    drawn = vis._draw_instances(image, instances, NAMES, None)
    palette = vis.class_palette(len(NAMES))
    assert drawn.shape == image.shape
    for label in (1, 3):
        assert (drawn.reshape(-1, 3) == palette[label]).all(1).sum() > 50  # outline and tag of the box's class
    for label in (0, 2):
        assert not (drawn.reshape(-1, 3) == palette[label]).all(1).any()
    from mmdet.structures import DetDataSample
    out = vis.draw_prediction(image, DetDataSample(pred_instances=instances), pred_score_thr=0.6)  # the 0.9 box
    picture = out[:96, :128].reshape(-1, 3)
    assert (picture == palette[1]).all(1).any() and not (picture == palette[3]).all(1).any()


def test_empty_panoptic_prediction_is_a_note_beside_the_image():
    from mmdet.structures import DetDataSample
    vis = OVDetLocalVisualizer(name='empty')
    vis.set_vocabulary(['cat', 'sky'], ['cat'], ['sky'])
    image = np.full((48, 64, 3), 128, np.uint8)
    sample = DetDataSample(pred_panoptic_seg=PixelData(sem_seg=torch.full((1, 48, 64), 2)))  # all void
    drawn = vis.draw_prediction(image, sample)
    assert drawn.shape[0] >= 48 and drawn.shape[1] > 64
    assert (drawn[:48, :64] == 128).all() and (drawn[:, 65:] < 100).any()  # the image untouched, a note beside it
    assert (vis.draw_prediction(image, sample, legend=False) == 128).all()


def test_panoptic_segments_take_their_class_colour_and_legend_lists_areas():
    from mmdet.structures import DetDataSample
    vis = OVDetLocalVisualizer(name='pan', alpha=1.0)
    vis.set_vocabulary(['cat', 'sky'], ['cat'], ['sky'])
    image = np.zeros((160, 160, 3), np.uint8)
    pan = torch.full((1, 160, 160), 1)  # sky everywhere
    pan[0, 20:140, 20:140] = 1000  # a cat (label 0, instance 1)
    out = vis.draw_prediction(image, DetDataSample(pred_panoptic_seg=PixelData(sem_seg=pan)))
    palette = vis.class_palette(2)
    assert (out[5, 5] == palette[1]).all() and (out[130, 30] == palette[0]).all()  # away from the class's label
    legend = out[:, 161:].reshape(-1, 3)
    assert (legend == palette[0]).all(1).sum() >= 25 and (legend == palette[1]).all(1).sum() >= 25


def test_semantic_map_and_legend_of_the_classes_present():
    from mmseg.structures import SegDataSample
    vis = OVSegLocalVisualizer(name='seg', alpha=1.0)
    vis.set_vocabulary(NAMES)
    labels = torch.zeros((1, 30, 40), dtype=torch.long)
    labels[0, :, 20:] = 2
    out = vis.draw_prediction(np.zeros((30, 40, 3), np.uint8), SegDataSample(pred_sem_seg=PixelData(data=labels)))
    palette = vis.class_palette(len(NAMES))
    assert (out[5, 5] == palette[0]).all() and (out[5, 30] == palette[2]).all()
    legend = out[:, 41:].reshape(-1, 3)
    for label in range(len(NAMES)):
        assert ((legend == palette[label]).all(1).sum() >= 25) == (label in (0, 2)), label


@pytest.mark.parametrize('opacity', [0.0, 1.0])
def test_semantic_opacity(opacity):
    from mmseg.structures import SegDataSample
    vis = OVSegLocalVisualizer(name='alpha', alpha=opacity)
    vis.set_vocabulary(NAMES)
    image = np.full((8, 8, 3), 77, np.uint8)
    sample = SegDataSample(pred_sem_seg=PixelData(data=torch.ones((1, 8, 8), dtype=torch.long)))
    out = vis._draw_sem_seg(image, sample.pred_sem_seg, NAMES, None)
    expected = image if opacity == 0 else np.broadcast_to(np.array(vis.class_palette(4)[1], np.uint8), image.shape)
    assert (out == expected).all()
