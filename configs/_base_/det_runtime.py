# Runtime of the configs run by mmdet (default_scope = 'mmdet': detection, panoptic, the semantic read-out of
# the panoptic model): the shared runtime plus a visualizer and mmdet's visualization hook. The hook draws nothing
# (draw=False) until tools/test.py --show / --show-dir (ours or mmdet's) turns it on; it then paints every test
# image with its ground truth and prediction.
_base_ = './default_runtime.py'
# OVDetLocalVisualizer: mmdet's DetLocalVisualizer painting each class of the vocabulary in the colour the demos, the
# web page and the quickstart report give it, with "name score" tags; it does not paint the void of a panoptic
# prediction as class 0 (which mmdet's own panoptic metric writes into it in place) and also draws mmseg's maps
visualizer = dict(type='umgclip_mm.OVDetLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')])
default_hooks = dict(visualization=dict(type='mmdet.DetVisualizationHook'))
