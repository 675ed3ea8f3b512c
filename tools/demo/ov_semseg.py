#!/usr/bin/env python
"""Open-vocabulary semantic segmentation of images with any vocabulary: tools/demo/image_demo.py --task semseg under
the older flag names (--config, --checkpoint, --vocab, --vocab-file, --out).

Every pixel gets the best-matching class of --vocab (at least two classes; synonyms separated by "|"). Writes
OUT/vis/<image name>.png (the class map over the image and a legend of the classes present with their pixel share)
and OUT/preds/<image name>.json (docs/inference.md has the schema). Models: the trained umgclip_mm.OVEncoderDecoder,
the training-free umgclip_mm.ZeroShotSegmentor and umgclip_mm.OVMask2Former (its semantic output). Works on CPU.

Examples:
    python tools/demo/ov_semseg.py demo.jpg --config configs/quickstart/semseg_synthetic.py \\
        --checkpoint work_dirs/quickstart_semseg/iter_1000.pth --vocab "circle|disc,square,sky,grass" --out outputs/
    python tools/demo/ov_semseg.py demo.jpg --config configs/quickstart/semseg_zeroshot_synthetic.py \\
        --checkpoint work_dirs/quickstart/iter_600.pth --vocab-file my_classes.txt --out outputs/ --opacity 0.6
"""
from umgclip_mm.apis.demo_cli import main as demo_main


def main(argv=None):
    demo_main(argv, __doc__, task='semseg')


if __name__ == '__main__':
    main()
