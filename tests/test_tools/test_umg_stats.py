"""tools/analysis/umg_stats.py on two hand-written sources with known counts and known defects."""
import importlib.util
import json
import os.path as osp

from conftest import REPO, run_tool

POLY = [[2, 2, 20, 2, 20, 20, 2, 20]]


def record(image, captions=(), tags=(), regions=(), masks=()):
    return dict(image=image, height=32, width=32, captions=list(captions), tags=list(tags), regions=list(regions),
                masks=list(masks))


def write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join((line if isinstance(line, str) else json.dumps(line)) + '\n' for line in lines))


def test_counts_lengths_tags_and_bad_records(tmp_path):
    vg = [
        record('vg/1.jpg', ['a man riding a horse'], ['man', 'horse'],
               regions=[dict(bbox=[0, 0, 10, 10], captions=['a man'], tags=['man']),
                        dict(bbox=[5, 5, 30, 30], captions=['a brown horse'], tags=['horse', 'brown']),
                        dict(bbox=[50, 50, 60, 60], captions=['outside'])],  # outside the image: dropped
               masks=[dict(segmentation=POLY, captions=['the man'], tags=['man'])]),
        record('vg/2.jpg', ['grass', ''], ['grass'],  # an empty caption: dropped
               masks=[dict(segmentation={'size': [32, 32], 'counts': 'zzz'}, tags=['grass'])]),  # corrupt RLE
        'not json at all',
        {'image': 'vg/3.jpg', 'height': 0, 'width': 32},
    ]
    cc = [record(f'cc/{i}.jpg', ['a photo of a dog on a sofa'], ['dog']) for i in range(3)] + [['a list']]
    write(tmp_path / 'data' / 'vg' / 'train-00000.jsonl', vg)
    write(tmp_path / 'data' / 'cc' / 'train-00000.jsonl', cc[:2])
    write(tmp_path / 'data' / 'cc' / 'train-00001.jsonl', cc[2:])
    out = tmp_path / 'stats'
    proc = run_tool('tools/analysis/umg_stats.py', str(tmp_path / 'data' / 'vg' / '*.jsonl'),
                    str(tmp_path / 'data' / 'cc' / 'train-*.jsonl'), '--out-dir', str(out), '--top-tags', '3')
    stats = json.loads((out / 'umg_stats.json').read_text())
    assert sorted(stats) == ['cc/train', 'vg/train']  # shards of a source together
    v, c = stats['vg/train'], stats['cc/train']
    assert (v['records'], v['images'], c['records'], c['images']) == (4, 2, 4, 3)
    assert v['bad_records'] == {'not JSON': 1, 'field "height" must be a positive integer': 1}
    assert c['bad_records'] == {'a record must be a JSON object': 1}
    assert v['dropped_items'] == {'bad region': 1, 'bad mask': 1, 'empty text': 1}
    image, region, mask = (v['levels'][lv] for lv in ('image', 'region', 'mask'))
    assert (image['captions'], image['tags'], image['caption_words_mean']) == (2, 3, 3.0)  # 5 words and 1
    assert (region['items'], region['captions'], region['tags']) == (2, 2, 3)
    assert region['caption_words_mean'] == 2.5 and region['top_tags'] == [['man', 1], ['horse', 1], ['brown', 1]]
    assert (mask['items'], mask['captions'], mask['tags']) == (1, 1, 1)
    assert c['levels']['image']['top_tags'] == [['dog', 3]] and c['levels']['image']['caption_words_mean'] == 8
    assert 'vg/train: bad records: ' in proc.stdout and (out / 'umg_stats.png').stat().st_size > 10000
    # sources by the images' first folder (in process); records that do not parse stay with their shard's name
    spec = importlib.util.spec_from_file_location('umg_stats', osp.join(REPO, 'tools/analysis/umg_stats.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([str(tmp_path / 'data' / '*' / '*.jsonl'), '--out-dir', str(tmp_path / 'dirs'), '--group-by',
                      'image-dir']) == 0
    stats = json.loads((tmp_path / 'dirs' / 'umg_stats.json').read_text())
    assert (stats['cc']['images'], stats['vg']['images'], stats['vg/train']['bad_records']['not JSON']) == \
        (3, 2, 1)
    assert tool.main([str(tmp_path / 'nothing-*.jsonl')]) == 2
