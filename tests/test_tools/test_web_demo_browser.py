"""The web demo end to end in a real browser: tools/demo/app.py serves a tiny random-weight panoptic model on a free
port, headless Chromium (Debian's, driven by playwright) picks an example, types a vocabulary, runs it and sees the
overlay and the table; an empty vocabulary and an RGBA upload show their messages; on the search tab a text query
over a tiny index shows its hits as thumbnails; the page loads nothing from outside the machine. Screenshots are
saved in the test's tmp dir (web_demo_search.png: the search tab with its hits)."""
import contextlib
import os
import os.path as osp
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from conftest import REPO
from test_tools.test_ov_demos import PANOPTIC
from test_tools.test_web_demo import panoptic_checkpoint
from test_tools.test_web_demo_search import build_toy_index

VOCAB = 'person|astronaut, flag, sky, wall'
SEARCH_TEXT = 'a red thing'
STUFF = 'sky, wall'


def chromium_path():
    """Debian's chromium; the test fails (not skips) without it: CI installs it."""
    for name in ('chromium', 'chromium-browser'):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail('no chromium browser on this machine: install Debian\'s with `apt-get install -y chromium` (the '
                'browser test drives it with playwright; `playwright install` is not used)', pytrace=False)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def app_server(tmp_path):
    """The app on a free port with a tiny panoptic checkpoint, stopped on leaving; with the expected result of the
    astronaut example, computed in this process while the app starts."""
    ckpt = panoptic_checkpoint(tmp_path / 'panoptic.pth')
    toy = build_toy_index(tmp_path)  # the search tab's index and its tiny UMG-CLIP
    port = free_port()
    log = open(tmp_path / 'app.log', 'w')
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.Popen([sys.executable, 'tools/demo/app.py', '--port', str(port), '--panoptic-config', PANOPTIC,
                             '--panoptic-checkpoint', ckpt, '--search-index', toy['index']], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        from skimage import data

        from umgclip_mm.apis.web_demo import WebDemo
        from umgclip_mm.apis.web_search import WebSearch
        demo = WebDemo(dict(panoptic=(osp.join(REPO, PANOPTIC), ckpt)))
        expected = demo.run(data.astronaut(), VOCAB, 'panoptic', STUFF)
        search = WebSearch(toy['index']).search_text(SEARCH_TEXT, 'all', 6)
        url = f'http://127.0.0.1:{port}/'
        deadline = time.time() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f'the app exited {proc.returncode}:\n{open(tmp_path / "app.log").read()[-4000:]}')
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if time.time() > deadline:
                    pytest.fail(f'the app did not answer in 120 s:\n{open(tmp_path / "app.log").read()[-4000:]}')
                time.sleep(0.5)
        yield dict(url=url, expected=expected, search=search, log=tmp_path / 'app.log')
    finally:
        proc.send_signal(signal.SIGINT)  # as Ctrl-C: gradio closes, the app removes its example files
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_message(page, text, timeout=90000):
    page.wait_for_function('t => document.querySelector("#message").innerText.includes(t)', arg=text,
                           timeout=timeout)
    return page.locator('#message').inner_text()


@pytest.mark.slow
def test_page_runs_an_example_and_shows_messages(tmp_path):
    chromium = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail('playwright is missing: pip install -r requirements/tests.txt', pytrace=False)
    with app_server(tmp_path) as server:
        check_page(server, chromium, tmp_path)


def check_page(server, chromium, tmp_path):
    from playwright.sync_api import sync_playwright
    overlay, table, _ = server['expected']
    names = {row[1] for row in table['data']}
    assert overlay is not None and names  # the tiny model finds segments in the astronaut photograph
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=['--no-sandbox'])
        try:
            page = browser.new_page(viewport={'width': 1400, 'height': 1000})
            hosts = set()
            page.on('request', lambda request: hosts.add(request.url.split('/')[2]))
            page.goto(server['url'], wait_until='networkidle')

            # pick the astronaut example: its image and vocabulary fill the inputs
            page.locator('#examples tbody tr').nth(1).click()
            page.wait_for_function('() => document.querySelector("#vocab textarea").value.includes("astronaut")')
            page.wait_for_selector('#input-image img')
            # type a vocabulary, run the panoptic task
            page.fill('#vocab textarea', VOCAB)
            page.fill('#stuff textarea, #stuff input', STUFF)
            page.get_by_label('panoptic segmentation').check()
            page.locator('#run').click()
            message = wait_message(page, 'Panoptic segmentation of a 512 x 512 image')
            page.wait_for_function('() => { const i = document.querySelector("#overlay img");'
                                   ' return i && i.complete && i.naturalWidth > 0; }')
            size = page.evaluate('() => { const i = document.querySelector("#overlay img");'
                                 ' return [i.naturalHeight, i.naturalWidth]; }')
            assert tuple(size) == overlay.shape[:2], (size, overlay.shape)  # the overlay and its legend, unscaled
            shown = page.locator('#table').inner_text()
            for name in names:
                assert name in shown, (name, shown)
            assert f'{len(table["data"])} segment' in message
            # the page shows the callback's drawing pixel for pixel (the callback's is the CLI demo's:
            # tests/test_apis/test_one_path.py)
            src = page.evaluate('() => document.querySelector("#overlay img").src')
            import cv2
            shown_png = urllib.request.urlopen(src, timeout=10).read()
            shown_img = cv2.imdecode(np.frombuffer(shown_png, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
            assert shown_img.shape == overlay.shape and (shown_img == overlay).all()
            # the other tasks run the quickstart's toy models: the banner says what they are worth
            banner = page.locator('#toy-banner').inner_text()
            assert 'results on real photographs mean nothing' in banner and 'clip2umgclip.py' in banner
            page.screenshot(path=str(tmp_path / 'web_demo_result.png'), full_page=True)

            # an empty vocabulary: the message, no overlay
            page.fill('#vocab textarea', '')
            page.locator('#run').click()
            message = wait_message(page, 'The vocabulary is empty')
            assert page.locator('#overlay img').count() == 0
            page.screenshot(path=str(tmp_path / 'web_demo_error.png'), full_page=True)

            # an RGBA upload: converted, with a note
            rgba = np.zeros((120, 160, 4), np.uint8)
            rgba[..., :3] = 90
            rgba[30:90, 40:120, 3] = 255
            cv2.imwrite(str(tmp_path / 'rgba.png'), rgba)
            page.set_input_files('#input-image input[type=file]', str(tmp_path / 'rgba.png'))
            page.fill('#vocab textarea', VOCAB)
            page.locator('#run').click()
            message = wait_message(page, 'Panoptic segmentation of a 160 x 120 image')
            assert 'an RGBA image: laid over white' in message

            check_search_tab(page, server['search'], tmp_path)
            assert hosts == {server['url'].split('/')[2]}, hosts  # nothing from outside the machine
        finally:
            browser.close()
    assert 'Traceback' not in open(server['log']).read()


def check_search_tab(page, expected, tmp_path):
    """One text query at all levels on the search tab: the callback's hits as thumbnails and table rows."""
    gallery, table, message = expected
    assert len(gallery) == 6, message
    page.get_by_role('tab', name='Search').click()
    page.fill('#search-text textarea, #search-text input', SEARCH_TEXT)
    page.get_by_label('all', exact=True).check()
    page.fill('#search-topk input', '6')
    page.locator('#search-run').click()
    page.wait_for_function('() => document.querySelector("#search-message").innerText.includes("6 hits")',
                           timeout=90000)
    page.wait_for_function('() => [...document.querySelectorAll("#search-gallery img")].filter('
                           'i => i.complete && i.naturalWidth > 0).length >= 6', timeout=30000)
    sizes = page.evaluate('() => [...document.querySelectorAll("#search-gallery img")].map('
                          'i => [i.naturalHeight, i.naturalWidth])')
    assert sizes[:6] == [list(thumb.shape[:2]) for thumb, _ in gallery], sizes  # the thumbnails, unscaled
    shown = page.locator('#search-table').inner_text()
    for row in table['data']:
        assert row[3] in shown and f'{row[1]:.4f}'.rstrip('0') in shown, (row, shown)
    page.screenshot(path=str(tmp_path / 'web_demo_search.png'), full_page=True)
