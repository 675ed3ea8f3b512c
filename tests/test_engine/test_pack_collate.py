"""pack_collate: the batch of mmengine's pseudo_collate with the images stacked and each kind of annotation tensor
packed into one storage; the model's data preprocessor gives the same inputs and samples from either, and a
DataLoader worker hands it over in a few shared-memory segments."""
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.structures import BaseDataElement, InstanceData
from torch.utils.data import DataLoader

from umgclip_mm.engine.functions import pack_collate
from umgclip_mm.registry import FUNCTIONS, MODELS


def sample(i, size=(32, 32), regions=3, masks=2):
    g = torch.Generator().manual_seed(i)
    return dict(
        inputs=torch.randint(0, 256, (3, *size), dtype=torch.uint8, generator=g),
        data_samples=BaseDataElement(
            metainfo=dict(sample_idx=i), caption=f'caption {i}', tags=[f'tag {i}'],
            regions=InstanceData(bboxes=torch.rand(regions + i % 2, 4, generator=g), caption=['r'] * (regions + i % 2),
                                 tags=[['t']] * (regions + i % 2)),
            masks=InstanceData(masks=torch.rand(masks * (i % 3), *size, generator=g) > 0.5,
                               caption=['m'] * (masks * (i % 3)), tags=[[]] * (masks * (i % 3)))))


def same_samples(a, b):
    return all(x.caption == y.caption and x.tags == y.tags and x.metainfo == y.metainfo
               and torch.equal(x.regions.bboxes, y.regions.bboxes) and x.regions.caption == y.regions.caption
               and torch.equal(x.masks.masks, y.masks.masks) and x.masks.tags == y.masks.tags for x, y in zip(a, b))


def test_pack_collate_stacks_images_and_shares_one_storage_per_field():
    assert FUNCTIONS.get('pack_collate') is pack_collate  # what collate_fn=dict(type='umgclip_mm.pack_collate') finds
    plain, packed = pseudo_collate([sample(i) for i in range(5)]), pack_collate([sample(i) for i in range(5)])
    assert isinstance(packed['inputs'], torch.Tensor) and packed['inputs'].shape == (5, 3, 32, 32)
    assert torch.equal(packed['inputs'], torch.stack(plain['inputs']))
    assert same_samples(plain['data_samples'], packed['data_samples'])  # values, shapes and lengths unchanged
    for field, name in (('regions', 'bboxes'), ('masks', 'masks')):
        storages = {getattr(s, field).get(name).untyped_storage().data_ptr() for s in packed['data_samples']}
        assert len(storages) == 1, field  # one storage: one shared-memory segment for the batch
    assert len({s.regions.bboxes.untyped_storage().data_ptr() for s in plain['data_samples']}) == 5


def test_images_of_different_sizes_stay_a_list():
    batch = pack_collate([sample(0), sample(1, size=(32, 48))])
    assert isinstance(batch['inputs'], list) and [tuple(t.shape) for t in batch['inputs']] == [(3, 32, 32), (3, 32, 48)]
    assert batch['data_samples'][1].masks.masks.shape[1:] == (32, 48)  # masks of different sizes are not packed


def test_the_data_preprocessor_gives_the_same_batch():
    """UMGCLIP's ImgDataPreprocessor (mean/std, BGR to RGB) takes the stacked tensor or the list alike."""
    from umgclip_mm.models.pretrainers.umgclip import default_data_preprocessor
    preprocessor = MODELS.build(default_data_preprocessor())
    plain = preprocessor(pseudo_collate([sample(i) for i in range(4)]), training=True)
    packed = preprocessor(pack_collate([sample(i) for i in range(4)]), training=True)
    assert torch.equal(plain['inputs'], packed['inputs'])
    assert same_samples(plain['data_samples'], packed['data_samples'])


class Samples(torch.utils.data.Dataset):

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return sample(i)


@pytest.mark.parametrize('collate', [pseudo_collate, pack_collate])
def test_a_worker_hands_the_batch_over(collate):
    """Through a real worker process and its queue (shared memory), each collate delivers the same batch."""
    got = list(DataLoader(Samples(), batch_size=3, num_workers=1, collate_fn=collate))
    for i, batch in enumerate(got):
        want = pseudo_collate([sample(j) for j in range(3 * i, 3 * i + 3)])
        inputs = batch['inputs'] if isinstance(batch['inputs'], torch.Tensor) else torch.stack(batch['inputs'])
        assert torch.equal(inputs, torch.stack(want['inputs']))
        assert same_samples(want['data_samples'], batch['data_samples'])
