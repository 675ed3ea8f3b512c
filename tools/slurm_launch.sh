#!/usr/bin/env bash
# Any tool under slurm: srun starts GPUS tasks, GPUS_PER_NODE per node, each running tools/SCRIPT (slurm_train.sh and
# slurm_test.sh call it).
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] bash tools/slurm_launch.sh SCRIPT PARTITION JOB_NAME [SCRIPT arguments...]
# Nodes = GPUS / GPUS_PER_NODE; SRUN_ARGS adds srun options (e.g. "--quotatype=auto"); PYTHON picks the interpreter.
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" || $# -lt 3 ]]; then
    sed -n '2,5p' "$0" | sed 's/^# //'
    [[ $# -lt 3 && "${1:-}" != "-h" && "${1:-}" != "--help" ]] && exit 2
    exit 0
fi
SCRIPT=$1
PARTITION=$2
JOB_NAME=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
PYTHON=${PYTHON:-python}
read -r -a EXTRA_SRUN <<< "${SRUN_ARGS:-}"
TOOLS=$(dirname "$0")
if [[ ! -f "$TOOLS/$SCRIPT" ]]; then
    echo "slurm_launch.sh: there is no $TOOLS/$SCRIPT (SCRIPT is a path under tools/, e.g. train.py)" >&2
    exit 2
fi

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$PARTITION" --job-name="$JOB_NAME" --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 "${EXTRA_SRUN[@]}" \
    "$PYTHON" -u "$TOOLS/$SCRIPT" "${@:4}"
