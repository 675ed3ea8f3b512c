"""The command line of ``tools/demo/image_demo.py`` (mmdet's ``demo/image_demo.py`` flags) and of its aliases
``tools/demo/ov_detection.py``, ``ov_panoptic.py`` and ``ov_semseg.py`` (their older flag names), over
:class:`OVDetInferencer` and :class:`OVSegInferencer`."""
import argparse
import sys
from typing import List, Optional

TASKS = ('detection', 'panoptic', 'semseg')


def build_parser(description: str, task: Optional[str] = None) -> argparse.ArgumentParser:
    """``image_demo.py``'s parser (``task=None``: ``--task`` chooses) or an alias's for ``task`` (the older names:
    ``--config``, ``--checkpoint``, ``--vocab``, ``--vocab-file``, ``--stuff``, ``--out``, ``--score-thr``; each
    stored under the new one)."""
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add('inputs', nargs='+', metavar='IMAGE', help='image files or folders of them')
    if task is None:
        add('model', help='config file of the model')
        add('--weights', required=True, help='the model\'s checkpoint (loaded weights-only)')
        add('--task', choices=TASKS, default='detection', help='what to predict (default detection)')
        add('--texts', default='', help='comma-separated classes, "|" between synonyms ("cat|kitten,dog")')
        add('--texts-file', help='one class per line (synonyms separated by "|"), added to --texts')
        add('--stuff-texts', default='', help='panoptic: comma-separated stuff classes (after the things)')
        add('--out-dir', default='outputs', help='output folder (vis/, preds/; default outputs)')
        add('--pred-score-thr', type=float, default=0.3, help='lowest detection score kept (default 0.3)')
        add('--save-pred', action='store_true', help='write the JSON predictions (preds/)')
    else:
        parser.set_defaults(task=task, save_pred=True, stuff_texts='', pred_score_thr=0.3)
        add('--config', dest='model', required=True, help='config file of the model')
        add('--checkpoint', dest='weights', required=True, help='the model\'s checkpoint (loaded weights-only)')
        add('--vocab', dest='texts', default='', help='comma-separated class names ("cat|kitten,dog,sky")')
        add('--vocab-file', dest='texts_file', help='one class per line (synonyms separated by "|"), added')
        if task == 'panoptic':
            add('--stuff', dest='stuff_names', default='', help='comma-separated names of --vocab that are stuff')
        add('--out', dest='out_dir', required=True, help='output folder (vis/<name>.png, preds/<name>.json)')
        if task == 'detection':
            add('--score-thr', dest='pred_score_thr', type=float, default=0.3, help='lowest score kept (0.3)')
    add('--opacity', type=float, default=0.5, help='semseg: opacity of the class colours (default 0.5)')
    add('--device', default='cpu', help='cpu or cuda[:N]')
    add('--dtype', choices=('fp32', 'bf16', 'fp16'), default='fp32',
        help='compute dtype: fp32, bf16 (autocast, CPU or CUDA), fp16 (autocast, CUDA)')
    add('--no-ensemble', action='store_true', help='turn the ensemble off')
    add('--no-save-vis', action='store_true', help='do not write the drawings')
    add('--print-result', action='store_true', help='print each JSON prediction')
    add('--cfg-options', nargs='+', action=DictAction, default={}, help='override config entries')
    return parser


def vocabulary_of(args):
    """``(texts, stuff texts)`` from the command line; an alias's ``--stuff`` moves its classes of ``--vocab``.

    Raises:
        InputError, MissingFileError: An empty vocabulary, a class twice, a stuff name not in the vocabulary.
    """
    from .exceptions import InputError
    from .inputs import vocabulary_entries
    texts = vocabulary_entries(args.texts, args.texts_file, min_classes=2 if args.task == 'semseg' else 1)
    stuff = vocabulary_entries(args.stuff_texts) if args.stuff_texts.strip(' ,|') else []
    names = {s.strip() for s in getattr(args, 'stuff_names', '').split(',') if s.strip()}
    unknown = names - {e.split('|')[0] for e in texts}
    if unknown:
        raise InputError(f'--stuff names {sorted(unknown)}, which are not classes of --vocab / --vocab-file')
    return [e for e in texts if e.split('|')[0] not in names], stuff + [e for e in texts if e.split('|')[0] in names]


def build_inferencer(args):
    """The task's inferencer (``--no-ensemble`` as a config override where the model has the branch)."""
    from .inference import load_config, prepare_task_config
    from .inferencers import OVDetInferencer, OVSegInferencer
    if args.task != 'semseg' and not 0 <= args.pred_score_thr <= 1:
        from .exceptions import InputError
        raise InputError(f'--pred-score-thr {args.pred_score_thr}: give a score from 0 to 1')
    cfg = load_config(args.model, args.cfg_options)
    from .inputs import check_model_files
    check_model_files(args.model, args.weights)
    for note in prepare_task_config(cfg, args.task, ensemble=not args.no_ensemble):
        print(note)
    if args.task == 'semseg':
        return OVSegInferencer(cfg, args.weights, device=args.device, dtype=args.dtype, opacity=args.opacity)
    return OVDetInferencer(cfg, args.weights, task=args.task, device=args.device, dtype=args.dtype)


def run(args) -> List[str]:
    """Predict every image of ``args.inputs``; returns the messages of those that failed (each printed as skipped).

    Raises:
        UMGCLIPError: Bad options, files or vocabulary, a model that cannot do the task (nothing done).
    """
    from .exceptions import InputError, UMGCLIPError
    from .inputs import TOY_WEIGHTS_NOTE, collect_images, is_toy_config, read_image
    images = collect_images(args.inputs)
    texts, stuff = vocabulary_of(args)
    failed = []

    def readable(path) -> bool:
        try:
            read_image(path)
            return True
        except UMGCLIPError as err:
            failed.append(str(err))
            print(f'skipped: {err}', file=sys.stderr)
            return False

    # the model is built at the first image that reads (an unreadable image is said before a model is loaded)
    first = next((i for i, path in enumerate(images) if readable(path)), None)
    if first is None:
        raise InputError(failed[0] if len(failed) == 1 else f'none of the {len(images)} images could be read: ' +
                         '; '.join(failed))
    inferencer = build_inferencer(args)
    if is_toy_config(args.model):
        print(f'Note: {TOY_WEIGHTS_NOTE}')
    inferencer.set_vocabulary(texts, stuff)
    kwargs = dict(out_dir=args.out_dir, no_save_vis=args.no_save_vis, no_save_pred=not args.save_pred,
                  print_result=args.print_result)
    if args.task != 'semseg':
        kwargs['pred_score_thr'] = args.pred_score_thr
    for image in images[first:]:
        try:
            inferencer(image, **kwargs)
        except UMGCLIPError as err:
            failed.append(str(err))
            print(f'skipped: {err}', file=sys.stderr)
    print(f'{len(images) - len(failed)} of {len(images)} images done: {args.out_dir}/vis, {args.out_dir}/preds')
    return failed


def main(argv: Optional[List[str]] = None, description: str = '', task: Optional[str] = None) -> None:
    """Parse, run, and turn a refusal (a typed error of :mod:`umgclip_mm.apis.exceptions`) or failed images into
    the exit status with the message."""
    from .exceptions import UMGCLIPError
    args = build_parser(description, task).parse_args(argv)
    try:
        failed = run(args)
    except UMGCLIPError as err:
        raise SystemExit(str(err))
    if len(failed) == 1 and len(args.inputs) == 1:
        raise SystemExit(failed[0])
    if failed:
        raise SystemExit(f'{len(failed)} images failed (the others were done): ' + '; '.join(failed))
