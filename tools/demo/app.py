#!/usr/bin/env python
"""A web page for open-vocabulary recognition with any vocabulary: pick an example image or upload one, type the
classes (commas between classes, "|" between synonyms), choose the task (panoptic or semantic segmentation,
detection, zero-shot classification) and see the overlay with a legend and a table of the segments, classes, boxes
or scores. A second tab searches inside the images of an index folder (tools/search/build_index.py): by text at the
image, region or mask level, or by an example box on an uploaded image, the hits shown as thumbnails with their box
or mask and score; and grounds a phrase in an uploaded image (its best regions drawn, with their scores).

With no argument it serves the quickstart's models (`make quickstart` trains them, about 12 minutes on CPU):
    panoptic        configs/quickstart/panoptic_synthetic.py   work_dirs/quickstart_panoptic/iter_1000.pth
    semseg          configs/quickstart/semseg_synthetic.py     work_dirs/quickstart_semseg/ (its latest checkpoint)
    detection       configs/quickstart/detection_synthetic.py  work_dirs/quickstart_detection/ (its latest)
    zeroshot        configs/quickstart/zeroshot_synthetic.py   work_dirs/quickstart/iter_600.pth (pretraining)
    search          configs/quickstart/pretrain_synthetic.py   work_dirs/quickstart/iter_600.pth, and the index
                    work_dirs/quickstart_search/index (the page says how to build it when it is not there)
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
    python tools/demo/app.py --semseg-checkpoint work_dirs/semseg_synthetic   # a work dir: its latest checkpoint
    python tools/demo/app.py --search-index work_dirs/search/photos             # the model the index was built with
The former --semantic-* and --classification-* flags still work (with a warning): they are --semseg-* and
--zeroshot-*, the glossary's task names (docs/architecture.md).
"""
import argparse
import os
import os.path as osp
import warnings

# umgclip_mm.apis.web_demo.TASKS' names (here too so that --help imports nothing heavy)
TASK_NAMES = ('panoptic', 'semseg', 'detection', 'zeroshot')
# their former names (umgclip_mm.apis.web_demo.DEPRECATED_TASKS): flags still taken, with a warning
DEPRECATED_TASK_NAMES = {'semantic': 'semseg', 'classification': 'zeroshot'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for task in TASK_NAMES:
        parser.add_argument(f'--{task}-config', metavar='CONFIG',
                            help=f'config of the {task} model (default: the quickstart\'s)')
        parser.add_argument(f'--{task}-checkpoint', metavar='CHECKPOINT',
                            help='its checkpoint, or a work dir (its latest checkpoint); default: the quickstart\'s')
    for old, new in DEPRECATED_TASK_NAMES.items():
        for what in ('config', 'checkpoint'):
            parser.add_argument(f'--{old}-{what}', dest=f'deprecated_{old}_{what}', help=f'deprecated: --{new}-{what}')
    parser.add_argument('--search-index', metavar='DIR', help='the search tab\'s index folder (tools/search/'
                        'build_index.py writes it; default work_dirs/quickstart_search/index)')
    parser.add_argument('--search-config', metavar='CONFIG', help='UMG-CLIP config of the search tab and the '
                        'grounding (default: the index\'s, else configs/quickstart/pretrain_synthetic.py)')
    parser.add_argument('--search-checkpoint', metavar='CHECKPOINT', help='its checkpoint (default: the index\'s, '
                        'else work_dirs/quickstart/iter_600.pth)')
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
    for old, new in DEPRECATED_TASK_NAMES.items():
        for what in ('config', 'checkpoint'):
            value = getattr(args, f'deprecated_{old}_{what}')
            if value is not None:
                warnings.warn(f'--{old}-{what} is deprecated: use --{new}-{what}', FutureWarning, stacklevel=2)
                if getattr(args, f'{new}_{what}') is not None:
                    parser.error(f'--{old}-{what} and --{new}-{what} are the same flag: give --{new}-{what} alone')
                setattr(args, f'{new}_{what}', value)
    if bool(args.search_config) != bool(args.search_checkpoint):
        parser.error('--search-config and --search-checkpoint go together (without both: the index\'s model)')
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

    from umgclip_mm.apis.web_inputs import example_images
    examples = []
    for ex in example_images():
        path = osp.join(examples_dir, ex['name'].replace(' ', '_') + '.png')
        mmcv.imwrite(ex['image'][..., ::-1], path)  # mmcv writes BGR
        examples.append([path, ex['vocab'], ex['stuff'], ex['task']])

    with gr.Blocks(title='UMG-CLIP open-vocabulary demo', analytics_enabled=False) as page:
        gr.Markdown('# UMG-CLIP: open-vocabulary recognition with any vocabulary\n'
                    'Pick an example or upload an image, type the classes to look for (commas between classes, '
                    '`|` between synonyms: `cat|kitten, dog, sky`), choose the task and press **Run**; or search '
                    'inside a collection\'s images and ground a phrase in the **Search** tab.')
        if demo.banner():
            gr.Markdown(demo.banner(), elem_id='toy-banner')
        with gr.Tab('Recognition', elem_id='tab-recognition'):
            recognition_tab(gr, demo, examples, score_thr)
        with gr.Tab('Search', elem_id='tab-search'):
            search_tab(gr, demo.search)
        with gr.Accordion('Models', open=False):
            gr.Markdown('\n'.join(f'- {line}' for line in demo.status()))
    return page


def recognition_tab(gr, demo, examples, score_thr: float) -> None:
    """The recognition tab's components and events (inside a ``gr.Tab``): an image, a vocabulary and a task in,
    :meth:`WebDemo.run`'s overlay, table and message out."""
    from umgclip_mm.apis.web_demo import TASKS, empty_table
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
    inputs, outputs = [image, vocab, task, stuff, score], [overlay, table, message]

    def predict(image, vocab, task, stuff, score, progress=gr.Progress()):
        """The callback: WebDemo.run, a progress bar while a new vocabulary's text embeddings are computed."""
        return demo.run(image, vocab, task, stuff, score,
                        progress=lambda p: progress(p.done / max(p.total, 1), desc=f'encoding the vocabulary: {p}'))

    run.click(predict, inputs=inputs, outputs=outputs)
    vocab.submit(predict, inputs=inputs, outputs=outputs)


def search_tab(gr, search) -> None:
    """The search tab's components and events (inside a ``gr.Tab``): a text or an example box searched in the
    index (:class:`umgclip_mm.apis.web_search.WebSearch`), the hits as a gallery and a table; below, a phrase
    grounded in an uploaded image."""
    from umgclip_mm.apis.web_search import GROUND_HEADERS, HIT_HEADERS, LEVELS
    missing = search.index_missing()
    gr.Markdown(f'**No index yet.** {missing}' if missing else
                f'Searching the index `{search.index_dir}`: every image, its boxes and its masks are embedded in '
                'the same space as text; a query finds the nearest at the level chosen.', elem_id='search-status')
    with gr.Row():
        with gr.Column(scale=1):
            query = gr.Textbox(label='Text query', placeholder='a red star', elem_id='search-text')
            level = gr.Radio(list(LEVELS), value='region', label='Level', elem_id='search-level')
            topk = gr.Number(10, label='Hits', precision=0, minimum=1, maximum=100, elem_id='search-topk')
            by_text = gr.Button('Search by text', variant='primary', elem_id='search-run')
            with gr.Accordion('Query by example region', open=False):
                example = gr.Image(label='Example image', type='numpy', image_mode=None,
                                   sources=['upload', 'clipboard'], elem_id='search-example-image')
                with gr.Row():
                    box = [gr.Number(label=name, precision=1, elem_id=f'search-{name}')
                           for name in ('x1', 'y1', 'x2', 'y2')]
                by_example = gr.Button('Search by example box', elem_id='search-example-run')
        with gr.Column(scale=2):
            message = gr.Markdown('The hits appear here.', elem_id='search-message')
            gallery = gr.Gallery(label='Hits (box outlined, mask tinted; level and score below)', columns=5,
                                 format='png', object_fit='contain', interactive=False, elem_id='search-gallery')
            table = gr.Dataframe(dict(headers=list(HIT_HEADERS), data=[]), label='Hits', interactive=False,
                                 elem_id='search-table')
    outputs = [gallery, table, message]
    by_text.click(search.search_text, inputs=[query, level, topk], outputs=outputs)
    query.submit(search.search_text, inputs=[query, level, topk], outputs=outputs)
    by_example.click(lambda image, x1, y1, x2, y2, level, topk: search.search_example(image, (x1, y1, x2, y2),
                                                                                        level, topk),
                     inputs=[example, *box, level, topk], outputs=outputs)

    gr.Markdown('### Phrase grounding\nUpload an image and type a phrase: its best regions among sliding windows '
                'over the image, from the same embeddings as the index.')
    with gr.Row():
        with gr.Column(scale=1):
            image = gr.Image(label='Image', type='numpy', image_mode=None, sources=['upload', 'clipboard'],
                             elem_id='ground-image')
            phrase = gr.Textbox(label='Phrase', placeholder='a red star', elem_id='ground-phrase')
            regions = gr.Number(5, label='Regions', precision=0, minimum=1, maximum=20, elem_id='ground-topk')
            ground = gr.Button('Ground', variant='primary', elem_id='ground-run')
        with gr.Column(scale=2):
            ground_message = gr.Markdown('The regions appear here.', elem_id='ground-message')
            drawing = gr.Image(label='Best regions', type='numpy', format='png', interactive=False,
                               elem_id='ground-overlay')
            ground_table = gr.Dataframe(dict(headers=list(GROUND_HEADERS), data=[]), label='Scores',
                                        interactive=False, elem_id='ground-table')
    ground.click(search.ground, inputs=[image, phrase, regions], outputs=[drawing, ground_table, ground_message])
    phrase.submit(search.ground, inputs=[image, phrase, regions], outputs=[drawing, ground_table, ground_message])


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
    search_model = (args.search_config, args.search_checkpoint) if args.search_config else None
    demo = WebDemo(models, device=args.device, max_side=args.max_side, search_index=args.search_index,
                   search_model=search_model)
    for line in demo.status():
        print(line)
    with tempfile.TemporaryDirectory(prefix='umgclip_web_demo_examples_') as examples_dir:
        page = build_page(demo, examples_dir, score_thr=args.score_thr)
        page.queue(default_concurrency_limit=1)  # one prediction at a time (the models are shared)
        page.launch(server_name=args.host, server_port=args.port, share=False, ssr_mode=False, mcp_server=False,
                    pwa=False, enable_monitoring=False, allowed_paths=[examples_dir], footer_links=[])


if __name__ == '__main__':
    main()
