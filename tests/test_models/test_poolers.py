"""Region and mask poolers against direct computations."""
import torch

from umgclip_mm.models import MaskPooler, RoIAlignRegionPooler


def test_roi_align_pooler_on_cell_aligned_boxes():
    """A box covering whole cells of a map that is constant inside each cell pools to those cells' mean, for bins
    that sample only interior points (sampling_ratio=1 picks bin centres)."""
    torch.manual_seed(0)
    cells = torch.randn(1, 3, 4, 4)
    feats = cells.repeat_interleave(8, 2).repeat_interleave(8, 3)  # stride 1 map, 8x8 pixels per cell
    pooler = RoIAlignRegionPooler(output_size=2, sampling_ratio=1)
    boxes = [torch.tensor([[0., 0., 32., 32.], [8., 16., 24., 32.]])]
    pooled, cover = pooler(feats, boxes, stride=1)
    torch.testing.assert_close(pooled[0], cells[0].mean((1, 2)))
    torch.testing.assert_close(pooled[1], cells[0, :, 2:4, 1:3].mean((1, 2)))
    assert cover.tolist() == [1.0, 1.0]


def test_roi_align_pooler_on_strided_views():
    """The backbone hands the pooler a transposed (non-contiguous) token map; mmcv's kernel reads raw memory, so
    without care it pools garbage. The pooled features of a strided view equal those of its contiguous copy and of
    a box average computed directly."""
    torch.manual_seed(0)
    tokens = torch.randn(2, 36, 5)  # [B, h*w, C], as the transformer returns them
    view = tokens.transpose(1, 2).reshape(2, 5, 6, 6)
    assert not view.is_contiguous()
    boxes = [torch.tensor([[8., 16., 40., 48.]]), torch.tensor([[16., 0., 48., 32.]])]
    pooler = RoIAlignRegionPooler(output_size=4, sampling_ratio=1)
    pooled, _ = pooler(view, boxes, stride=8)
    torch.testing.assert_close(pooled, pooler(view.contiguous(), boxes, stride=8)[0])
    # boxes of 4x4 whole cells, one bin per cell: RoIAlign samples each cell once, at its centre
    torch.testing.assert_close(pooled[0], view[0, :, 2:6, 1:5].mean((1, 2)))
    torch.testing.assert_close(pooled[1], view[1, :, 0:4, 2:6].mean((1, 2)))


def test_roi_align_pooler_respects_validity():
    feats = torch.arange(16.).reshape(1, 1, 4, 4)
    valid = torch.zeros(1, 1, 4, 4)
    valid[..., :, 2:] = 1  # only the right half was seen
    pooled, cover = RoIAlignRegionPooler(output_size=4, sampling_ratio=1)(feats, [torch.tensor([[0., 0., 4., 4.]])],
                                                                          stride=1, valid=valid)
    torch.testing.assert_close(pooled[0, 0], feats[0, 0, :, 2:].mean())
    assert abs(float(cover[0]) - 0.5) < 1e-6
    empty, c = RoIAlignRegionPooler()(feats, [torch.zeros(0, 4)], stride=1)
    assert empty.shape == (0, 1) and c.shape == (0, )


def test_mask_pooler_area_weights():
    torch.manual_seed(0)
    feats = torch.randn(2, 5, 4, 4)
    masks = torch.zeros(1, 16, 16)
    masks[0, :8, :4] = 1  # exactly cells (0, 0) and (1, 0) (4x4 pixels a cell)
    masks2 = torch.zeros(2, 16, 16)
    masks2[0] = 1
    pooled, cover = MaskPooler()(feats, [masks, masks2])
    torch.testing.assert_close(pooled[0], feats[0, :, :2, 0].mean(1))
    torch.testing.assert_close(pooled[1], feats[1].mean((1, 2)))
    assert cover.tolist()[:2] == [2.0, 16.0] and cover[2] == 0  # an empty mask saw nothing
