"""tools/install.sh: --help prints the whole header and installs nothing; pip's output goes to a log, errors show."""
import os
import subprocess

from conftest import REPO


def test_help_prints_every_paragraph_and_nothing_else():
    out = subprocess.run(['bash', 'tools/install.sh', '--help'], cwd=REPO, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0 and out.stderr == ''
    assert out.stdout.startswith('Create (if missing) a virtual environment')
    for words in ('Usage: tools/install.sh [VENV_DIR]', 'runs `pip check`', 'Idempotent', 'mmcv 2.1.0',
                  'UMGCLIP_WHEEL_CACHE'):
        assert words in out.stdout, words
    assert '#' not in out.stdout and 'set -euo' not in out.stdout


FAKE_PYTHON = r'''#!/bin/sh
# A stand-in for the venv's python: pip prints pages and fails on the package named in $FAIL_ON.
case "$*" in
    *"-m pip install"*)
        echo "WARNING: Ignoring invalid distribution ~orch (/venv/lib/python3.11/site-packages)"
        i=0; while [ $i -lt 200 ]; do echo "Requirement already satisfied: package$i"; i=$((i + 1)); done
        case "$*" in *"$FAIL_ON"*) [ -n "$FAIL_ON" ] && echo "ERROR: No matching distribution found for $FAIL_ON" \
            && exit 1;; esac;;
    *cuda.is_available*) echo 0;;
    *__version__*) echo 2.14.1;;
    *importlib.metadata*) echo "torch 2.14.1, mmcv 2.1.0, umgclip_mm 0.1.0";;
esac
exit 0
'''


def fake_install(tmp_path, fail_on=''):
    """tools/install.sh into a venv whose python is :data:`FAKE_PYTHON`, the mmcv wheel already cached."""
    venv = tmp_path / 'venv'
    (venv / 'bin').mkdir(parents=True, exist_ok=True)
    (venv / 'bin' / 'python').write_text(FAKE_PYTHON)
    (venv / 'bin' / 'python').chmod(0o755)
    cache = tmp_path / 'wheels'
    (cache / 'torch-2.14.1-cuda0').mkdir(parents=True, exist_ok=True)
    (cache / 'torch-2.14.1-cuda0' / 'mmcv-2.1.0-cp311-cp311-linux_x86_64.whl').write_text('')
    env = dict(os.environ, UMGCLIP_WHEEL_CACHE=str(cache), FAIL_ON=fail_on)
    env.pop('UMGCLIP_INSTALL_LOG', None)
    out = subprocess.run(['bash', 'tools/install.sh', str(venv)], cwd=REPO, capture_output=True, text=True,
                         timeout=60, env=env)
    return out, venv


def test_pip_output_goes_to_the_log_and_the_console_gets_a_short_account(tmp_path):
    out, venv = fake_install(tmp_path)
    assert out.returncode == 0, out.stderr
    log = (venv / 'install.log').read_text()
    assert log.count('Requirement already satisfied: package199') == 5  # every pip install, in full
    assert 'Ignoring invalid distribution' in log
    assert 'Requirement already satisfied' not in out.stdout + out.stderr and 'Ignoring' not in out.stdout
    lines = out.stdout.splitlines()
    assert len(lines) <= 8, out.stdout
    assert lines[-1] == (f'[install] done: {venv} (torch 2.14.1, mmcv 2.1.0, umgclip_mm 0.1.0); pip\'s whole output: '
                         f'{venv}/install.log')
    assert (venv / '.umgclip_mm-installed').is_file()
    again, _ = fake_install(tmp_path)  # the stamp matches: nothing installed
    assert again.stdout == f'[install] {venv} is up to date (nothing to install)\n'


def test_a_failing_step_shows_the_error_from_the_log(tmp_path):
    out, venv = fake_install(tmp_path, fail_on='yapf')
    assert out.returncode == 1
    assert f'[install] FAILED: pip install addict packaging Pillow pyyaml yapf; the last lines of {venv}/install.log' \
        in out.stderr
    assert out.stderr.rstrip().endswith('ERROR: No matching distribution found for yapf')
    assert 'Requirement already satisfied' not in out.stdout
    assert not (venv / '.umgclip_mm-installed').exists()
