#!/usr/bin/env bash
# Training under slurm: srun starts GPUS tasks, GPUS_PER_NODE per node, each running tools/train.py.
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options...]
# Nodes = GPUS / GPUS_PER_NODE; SRUN_ARGS adds srun options (e.g. "--quotatype=auto"); PYTHON picks the interpreter.
source "$(dirname "$0")/launcher_usage.sh" && check_usage 4 "$@"
exec bash "$(dirname "$0")/slurm_launch.sh" train.py "$1" "$2" "$3" --work-dir="$4" --launcher=slurm "${@:5}"
