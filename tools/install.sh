#!/usr/bin/env bash
# Create (if missing) a virtual environment and install umgclip_mm with everything it needs.
#
# Usage: tools/install.sh [VENV_DIR]        (default: .venv in the repository root)
#
# Installs the pins of requirements/ (runtime.txt says why each), torch first, then mmcv, then the rest, then this
# package in editable mode; then checks that the OpenMMLab stack imports and that configs can inherit mmdet::/mmseg::
# bases, and runs `pip check`.
# Quiet: pip's whole output goes to a log ($UMGCLIP_INSTALL_LOG, default VENV_DIR/install.log); the console gets a
# line per step and, at the end, the versions installed and where the log is. A failing step prints the log's last
# lines (the error) and exits non-zero.
# Idempotent: a stamp inside the venv records a hash of the requirement files, setup.py and this script; when it
# matches, nothing is installed.
# The one slow step is mmcv 2.1.0 (about 12 minutes on 2 cores, once per machine): PyPI has only its source, so it
# is built here with its ops (and CUDA ops where torch sees a GPU) against the installed torch, with
# setuptools<70 and no build isolation, and with C++20 instead of the C++14/17 its setup.py asks for (torch 2.14's
# headers need it). The wheel is cached outside the clone ($UMGCLIP_WHEEL_CACHE, default
# ~/.cache/umgclip_mm/wheels, one entry per torch version and CUDA availability), so later installs and CI reuse it.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,/^[^#]/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
WHEEL_CACHE="${UMGCLIP_WHEEL_CACHE:-$HOME/.cache/umgclip_mm/wheels}"
MMCV_VERSION=2.1.0

stamp_hash() {
    cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "$0" | sha256sum | cut -d' ' -f1
}

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "[install] creating virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
STAMP="$VENV/.umgclip_mm-installed"
HASH="$(stamp_hash)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$HASH" ]]; then
    echo "[install] $VENV is up to date (nothing to install)"
    exit 0
fi
LOG="${UMGCLIP_INSTALL_LOG:-$VENV/install.log}"
mkdir -p "$(dirname "$LOG")"
: > "$LOG"
echo "[install] installing into $VENV; pip's whole output goes to $LOG"

# Run a step with its output in the log; on failure, the log's tail (the error) and exit status 1.
quietly() {
    local what="$1"
    shift
    echo "[install] $what" >> "$LOG"
    if ! "$@" >> "$LOG" 2>&1; then
        echo "[install] FAILED: $what; the last lines of $LOG:" >&2
        tail -n 40 "$LOG" >&2
        exit 1
    fi
}
pip_install() { quietly "pip install $*" "$PY" -m pip install --disable-pip-version-check "$@"; }

# torch first: mmcv is compiled against the installed torch.
echo "[install] torch, torchvision, numpy (the pins of requirements/runtime.txt)"
pip_install -r <(grep -E '^(torch|torchvision|numpy)==' "$ROOT/requirements/runtime.txt")

mmcv_wheel() { ls "$WHEEL_CACHE"/mmcv-${MMCV_VERSION}-*.whl 2>/dev/null | head -n 1; }
TORCH_TAG="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')"
CUDA_OK="$("$PY" -c 'import torch; print(int(torch.cuda.is_available()))')"
# One cache entry per torch version and CUDA availability: a wheel built without CUDA ops must not be
# picked up on a GPU machine.
WHEEL_CACHE="$WHEEL_CACHE/torch-$TORCH_TAG-cuda$CUDA_OK"
if [[ -z "$(mmcv_wheel)" ]]; then
    echo "[install] building mmcv $MMCV_VERSION with ops (about 12 minutes on 2 cores; done once, cached in" \
        "$WHEEL_CACHE; progress: tail -f $LOG)"
    # mmcv 2.1.0's setup.py builds with setuptools<70 (the combination known to work). Only the build needs it: the
    # runtime requirements below pin the setuptools that mmengine and torch need.
    pip_install 'setuptools<70' wheel ninja
    BUILD_DIR="$(mktemp -d)"
    trap 'rm -rf "$BUILD_DIR"' EXIT
    quietly "download mmcv $MMCV_VERSION's source" "$PY" -m pip download --disable-pip-version-check --no-deps \
        --no-binary :all: --no-build-isolation mmcv==$MMCV_VERSION -d "$BUILD_DIR"
    tar xzf "$BUILD_DIR"/mmcv-$MMCV_VERSION.tar.gz -C "$BUILD_DIR"
    # torch 2.14 headers need C++20; mmcv hard-codes C++14/17 (host and nvcc flags alike).
    sed -i 's/-std=c++1[47]/-std=c++20/g' "$BUILD_DIR/mmcv-$MMCV_VERSION/setup.py"
    mkdir -p "$WHEEL_CACHE"
    if [[ "$CUDA_OK" == 1 ]]; then export FORCE_CUDA=1; fi
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" quietly "build mmcv $MMCV_VERSION" "$PY" -m pip wheel \
        --disable-pip-version-check --no-build-isolation --no-deps -w "$WHEEL_CACHE" "$BUILD_DIR/mmcv-$MMCV_VERSION"
fi
echo "[install] mmcv $MMCV_VERSION ($(mmcv_wheel))"
pip_install --no-deps "$(mmcv_wheel)"
# mmcv's own runtime dependencies (installed --no-deps above so pip never tries to rebuild it).
pip_install addict packaging Pillow pyyaml yapf

echo "[install] the rest of requirements/runtime.txt and requirements/tests.txt, then umgclip_mm (editable)"
pip_install -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
pip_install --no-deps --no-build-isolation -e "$ROOT"

"$PY" -c "import mmcv.ops, mmdet.models, mmseg.models, mmpretrain.models, umgclip_mm" \
    || { echo "[install] the OpenMMLab stack does not import; see the error above" >&2; exit 1; }
"$PY" -c "from mmengine.utils import is_installed; assert is_installed('mmdet')" \
    || { echo "[install] configs cannot inherit mmdet::/mmseg:: bases: mmengine needs pkg_resources (setuptools<81)" >&2
         exit 1; }
"$PY" -m pip check --disable-pip-version-check >> "$LOG" 2>&1 \
    || { echo "[install] warning: pip check reports conflicts:" >&2; "$PY" -m pip check >&2 || true; }
echo "$HASH" > "$STAMP"
VERSIONS="$("$PY" -c 'from importlib.metadata import version as v
print(", ".join(f"{p} {v(p)}" for p in ("torch", "numpy", "mmengine", "mmcv", "mmdet", "mmsegmentation",
                                         "mmpretrain", "umgclip_mm")))')"
echo "[install] done: $VENV ($VERSIONS); pip's whole output: $LOG"
