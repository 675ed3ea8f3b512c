"""tools/install.sh: --help prints the whole header and installs nothing."""
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
