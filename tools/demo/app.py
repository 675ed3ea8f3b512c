#!/usr/bin/env python
"""A web page for open-vocabulary recognition with any vocabulary: pick an example image or upload one, type the
classes (commas between classes, "|" between synonyms), choose the task (panoptic or semantic segmentation,
detection, zero-shot classification) and see the overlay with a legend and a table of the segments, classes, boxes
or scores.

With no argument it serves the quickstart's models (`make quickstart` trains them, about 12 minutes on CPU):
    panoptic        configs/quickstart/panoptic_synthetic.py   work_dirs/quickstart_panoptic/iter_1000.pth
    semantic        configs/quickstart/semseg_synthetic.py     work_dirs/quickstart_semseg/ (its latest checkpoint)
    detection       configs/quickstart/detection_synthetic.py  work_dirs/quickstart_detection/ (its latest)
    classification  configs/quickstart/zeroshot_synthetic.py   work_dirs/quickstart/iter_600.pth (pretraining)
Each task's model is loaded the first time the task runs, then kept. A missing checkpoint is said in the page, and
so is that the quickstart's toy models mean nothing on real photographs (with the command that converts published
CLIP weights). The callbacks are umgclip_mm.apis.web_demo.WebDemo's, over the inferencers the CLI demo
(tools/demo/image_demo.py) runs: the same drawing and JSON fields for the same image and vocabulary.
Runs on CPU. Gradio's analytics are off and no share link is made: nothing leaves the machine.

Examples:
    python tools/demo/app.py                      # http://127.0.0.1:7860
    python tools/demo/app.py --host 0.0.0.0 --port 8080 --device cuda:0 \\
        --panoptic-config configs/umgclip/panoptic_coco.py \\
        --panoptic-checkpoint work_dirs/panoptic_coco/iter_368750.pth
    python tools/demo/app.py --semantic-checkpoint work_dirs/semseg_synthetic   # a work dir: its latest checkpoint
"""
import argparse
import os
import os.path as osp

# umgclip_mm.apis.web_demo.TASKS' names (here too so that --help imports nothing heavy)
TASK_NAMES = ('panoptic', 'semantic', 'detection', 'classification')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for task in TASK_NAMES:
        parser.add_argument(f'--{task}-config', metavar='CONFIG',
                            help=f'config of the {task} model (default: the quickstart\'s)')
        parser.add_argument(f'--{task}-checkpoint', metavar='CHECKPOINT',
                            help='its checkpoint, or a work dir (its latest checkpoint); default: the quickstart\'s')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N] (default cpu)')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to serve on (default 127.0.0.1: this machine only; 0.0.0.0: the network)')
    parser.add_argument('--port', type=int, default=7860, help='port to serve on (default 7860)')
    parser.add_argument('--max-side', type=int, default=1600,
                        help='larger images are downscaled to this longest side, with a note (default 1600)')
    parser.add_argument('--score-thr', type=float, default=0.1,
                        help='the page\'s first detection score threshold (default 0.1: the quickstart\'s toy '
                        'detector scores under 0.3)')
    args = parser.parse_args(argv)
    for task in TASK_NAMES:
        if getattr(args, f'{task}_config') and not getattr(args, f'{task}_checkpoint'):
            parser.error(f'--{task}-config needs --{task}-checkpoint: the quickstart\'s checkpoint fits only the '
                         f'quickstart\'s config')
    if not 0 <= args.score_thr <= 1:
        parser.error(f'--score-thr {args.score_thr}: give a score from 0 to 1')
    if args.max_side < 64:
        parser.error(f'--max-side {args.max_side}: give at least 64 (px)')
    return args


def build_page(demo, examples_dir: str, score_thr: float = 0.1):
    """The page (a ``gradio.Blocks``) around ``demo`` (a :class:`umgclip_mm.apis.web_demo.WebDemo`), its example
    images written as PNG files into ``examples_dir``."""
    import gradio as gr
    import mmcv

    from umgclip_mm.apis.web_demo import TASKS, empty_table
    from umgclip_mm.apis.web_inputs import example_images
    examples = []
    for ex in example_images():
        path = osp.join(examples_dir, ex['name'].replace(' ', '_') + '.png')
        mmcv.imwrite(ex['image'][..., ::-1], path)  # mmcv writes BGR
        examples.append([path, ex['vocab'], ex['stuff'], ex['task']])

    with gr.Blocks(title='UMG-CLIP open-vocabulary demo', analytics_enabled=False) as page:
        gr.Markdown('# UMG-CLIP: open-vocabulary recognition with any vocabulary\n'
                    'Pick an example or upload an image, type the classes to look for (commas between classes, '
                    '`|` between synonyms: `cat|kitten, dog, sky`), choose the task and press **Run**.')
        if demo.banner():
            gr.Markdown(demo.banner(), elem_id='toy-banner')
        with gr.Row():
            with gr.Column(scale=1):
                image = gr.Image(label='Image', type='numpy', image_mode=None, sources=['upload', 'clipboard'],
                                 elem_id='input-image')
                vocab = gr.Textbox(label='Vocabulary', placeholder='cat|kitten, dog, sofa, sky, floor', lines=2,
                                   elem_id='vocab')
                stuff = gr.Textbox(label='Stuff classes', placeholder='sky, floor', elem_id='stuff',
                                   info='panoptic: the classes of the vocabulary that are amorphous regions (one '
                                   'segment per class); the others are things (one segment per object)')
                task = gr.Radio([(label, name) for name, label in TASKS.items()], value='panoptic', label='Task',
                                elem_id='task')
                score = gr.Slider(0, 1, value=score_thr, step=0.05, label='Detection score threshold',
                                  elem_id='score-thr')
                run = gr.Button('Run', variant='primary', elem_id='run')
            with gr.Column(scale=2):
                message = gr.Markdown('The result appears here.', elem_id='message')
                overlay = gr.Image(label='Result', type='numpy', format='png', interactive=False,
                                   elem_id='overlay')
                table = gr.Dataframe(empty_table('panoptic'), label='Segments, classes, boxes or scores',
                                     interactive=False, elem_id='table')
        gr.Examples(examples, inputs=[image, vocab, stuff, task], label='Examples (click one, then Run)',
                    elem_id='examples')
        with gr.Accordion('Models', open=False):
            gr.Markdown('\n'.join(f'- {line}' for line in demo.status()))
        inputs, outputs = [image, vocab, task, stuff, score], [overlay, table, message]

        def predict(image, vocab, task, stuff, score, progress=gr.Progress()):
            """The callback: WebDemo.run, a progress bar while a new vocabulary's text embeddings are computed."""
            return demo.run(image, vocab, task, stuff, score,
                            progress=lambda p: progress(p.done / max(p.total, 1), desc=f'encoding the vocabulary: {p}'))

        run.click(predict, inputs=inputs, outputs=outputs)
        vocab.submit(predict, inputs=inputs, outputs=outputs)
    return page


def check_port(host: str, port: int) -> None:
    """End the program with a message when ``host:port`` cannot be served on (taken, or not an address here)."""
    import socket
    try:
        with socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET) as sock:
            sock.bind((host, port))
    except OSError as err:
        raise SystemExit(f'--host {host} --port {port}: cannot serve there ({err.strerror}); give a free port with '
                         f'--port (or another --host)')


def main(argv=None):
    args = parse_args(argv)
    check_port(args.host, args.port)
    os.environ['GRADIO_ANALYTICS_ENABLED'] = 'False'  # before gradio is imported: no usage reports, no version check
    import tempfile

    import torch
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        raise SystemExit(f'--device {args.device}: this machine has no CUDA device for torch; use --device cpu')

    from umgclip_mm.apis.web_demo import DEFAULT_MODELS, REPO, WebDemo
    models = {}
    for task in TASK_NAMES:
        config, checkpoint = getattr(args, f'{task}_config'), getattr(args, f'{task}_checkpoint')
        if checkpoint:  # a checkpoint alone: another run of the quickstart's config
            models[task] = (config or osp.join(REPO, DEFAULT_MODELS[task][0]), checkpoint)
    demo = WebDemo(models, device=args.device, max_side=args.max_side)
    for line in demo.status():
        print(line)
    with tempfile.TemporaryDirectory(prefix='umgclip_web_demo_examples_') as examples_dir:
        page = build_page(demo, examples_dir, score_thr=args.score_thr)
        page.queue(default_concurrency_limit=1)  # one prediction at a time (the models are shared)
        page.launch(server_name=args.host, server_port=args.port, share=False, ssr_mode=False, mcp_server=False,
                    pwa=False, enable_monitoring=False, allowed_paths=[examples_dir], footer_links=[])


if __name__ == '__main__':
    main()
