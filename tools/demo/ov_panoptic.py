#!/usr/bin/env python
"""Open-vocabulary panoptic segmentation of images with any vocabulary: tools/demo/image_demo.py --task panoptic
under the older flag names (--config, --checkpoint, --vocab, --vocab-file, --stuff, --out).

Names listed in --stuff are segmented as amorphous regions (one segment per class), the others as countable things
(one segment per instance). Writes OUT/vis/<image name>.png (the segments over the image and a legend of the classes
with their area) and OUT/preds/<image name>.json (per segment: id, class, thing or stuff, area, bbox as COCO's x y
width height; docs/inference.md has the schema). Works on CPU.

Examples:
    python tools/demo/ov_panoptic.py demo.jpg --config configs/umgclip/panoptic_coco.py \\
        --checkpoint work_dirs/panoptic_coco/iter_368750.pth --vocab "cat|kitten,dog,sofa,sky,floor" \\
        --stuff "sky,floor" --out outputs/
    python tools/demo/ov_panoptic.py photos/ a.jpg --config C --checkpoint K --vocab "cat,sky" --stuff sky \\
        --out outputs/ --dtype bf16
"""
from umgclip_mm.apis.demo_cli import main as demo_main


def main(argv=None):
    demo_main(argv, __doc__, task='panoptic')


if __name__ == '__main__':
    main()
