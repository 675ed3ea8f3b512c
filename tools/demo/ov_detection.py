#!/usr/bin/env python
"""Open-vocabulary detection of images with any vocabulary: tools/demo/image_demo.py --task detection under the
older flag names (--config, --checkpoint, --vocab, --vocab-file, --out, --score-thr).

Writes OUT/vis/<image name>.png (each detection's box, and its mask when the model has a mask head, in its class's
colour, tagged "name score", and a legend) and OUT/preds/<image name>.json (docs/inference.md has the schema).
Models: umgclip_mm.OVTwoStageDetector (F-VLM) and umgclip_mm.OVMask2Former (its instance output). Works on CPU.

Examples:
    python tools/demo/ov_detection.py demo.jpg --config configs/quickstart/detection_synthetic.py \\
        --checkpoint work_dirs/quickstart_detection/iter_600.pth --vocab "circle|disc,square,star" --out outputs/
    python tools/demo/ov_detection.py photos/ --config C --checkpoint K --vocab-file my_classes.txt \\
        --score-thr 0.5 --no-ensemble --out outputs/
"""
from umgclip_mm.apis.demo_cli import main as demo_main


def main(argv=None):
    demo_main(argv, __doc__, task='detection')


if __name__ == '__main__':
    main()
