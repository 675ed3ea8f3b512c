# Runtime of the configs run by mmseg (default_scope = 'mmseg': semantic segmentation): the shared runtime plus
# OVSegLocalVisualizer (mmseg's SegLocalVisualizer painting each class of the vocabulary in the colour the demos, the
# web page and the quickstart report give it) and mmseg's visualization hook. The hook draws nothing (draw=False;
# mmseg warns so once) until tools/test.py --show / --show-dir (ours or mmseg's) turns it on; interval=1 then paints
# every test image (mmseg's default, 50, paints one batch in 50), as mmdet's hook does in testing.
_base_ = './default_runtime.py'
visualizer = dict(type='umgclip_mm.OVSegLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')])
default_hooks = dict(visualization=dict(type='mmseg.SegVisualizationHook', interval=1))
