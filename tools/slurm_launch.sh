#!/usr/bin/env bash
# Any tool under slurm: srun starts GPUS tasks, GPUS_PER_NODE per node, each running tools/SCRIPT (slurm_train.sh and
# slurm_test.sh call it).
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] bash tools/slurm_launch.sh SCRIPT PARTITION JOB_NAME [SCRIPT arguments...]
# Nodes = GPUS / GPUS_PER_NODE; SRUN_ARGS adds srun options (e.g. "--quotatype=auto"); PYTHON picks the interpreter.
source "$(dirname "$0")/launcher_usage.sh" && check_usage 3 "$@"
require_tool "$1"
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
read -r -a EXTRA_SRUN <<< "${SRUN_ARGS:-}"
TOOLS=$(dirname "$0")

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$2" --job-name="$3" --gres=gpu:"$GPUS_PER_NODE" --ntasks="${GPUS:-8}" \
    --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="${CPUS_PER_TASK:-5}" --kill-on-bad-exit=1 "${EXTRA_SRUN[@]}" \
    "${PYTHON:-python}" -u "$TOOLS/$1" "${@:4}"
