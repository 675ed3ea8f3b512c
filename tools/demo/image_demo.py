#!/usr/bin/env python
"""Open-vocabulary detection, panoptic or semantic segmentation of images with any vocabulary (mmdet's
demo/image_demo.py, over umgclip_mm's OVDetInferencer and OVSegInferencer).

Takes image files and folders (their images; the model is loaded once). Writes OUT_DIR/vis/<image name>.png (the
prediction over the image with a legend of the classes found) and, with --save-pred, OUT_DIR/preds/<image name>.json
(docs/inference.md has the schema of each task). An image that cannot be read is reported and skipped, the others
done, and the exit status is then 1. With the quickstart's toy models it says that their results on real
photographs mean nothing.

Examples:
    python tools/demo/image_demo.py demo.jpg configs/quickstart/detection_synthetic.py \\
        --weights work_dirs/quickstart_detection/iter_600.pth --texts "circle|disc,square,star" --save-pred
    python tools/demo/image_demo.py photos/ configs/quickstart/panoptic_synthetic.py --task panoptic \\
        --weights work_dirs/quickstart_panoptic/iter_1000.pth --texts "circle,star" --stuff-texts "sky,grass"
    python tools/demo/image_demo.py demo.jpg configs/quickstart/semseg_synthetic.py --task semseg \\
        --weights work_dirs/quickstart_semseg/iter_1000.pth --texts "circle,square,sky,grass" --dtype bf16
"""
from umgclip_mm.apis.demo_cli import main as demo_main


def main(argv=None):
    demo_main(argv, __doc__)


if __name__ == '__main__':
    main()
