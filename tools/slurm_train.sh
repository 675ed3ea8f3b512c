#!/usr/bin/env bash
# Training under slurm: srun starts GPUS tasks, GPUS_PER_NODE per node, each running tools/train.py.
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options...]
# Nodes = GPUS / GPUS_PER_NODE; SRUN_ARGS adds srun options (e.g. "--quotatype=auto"); PYTHON picks the interpreter.
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" || $# -lt 4 ]]; then
    sed -n '2,4p' "$0" | sed 's/^# //'
    [[ $# -lt 4 && "${1:-}" != "-h" && "${1:-}" != "--help" ]] && exit 2
    exit 0
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
PYTHON=${PYTHON:-python}
read -r -a EXTRA_SRUN <<< "${SRUN_ARGS:-}"
TOOLS=$(dirname "$0")

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$PARTITION" --job-name="$JOB_NAME" --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 "${EXTRA_SRUN[@]}" \
    "$PYTHON" -u "$TOOLS/train.py" "$CONFIG" --work-dir="$WORK_DIR" --launcher=slurm "${@:5}"
