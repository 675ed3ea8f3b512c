#!/usr/bin/env bash
# Distributed training on one node: one process per GPU (or per CPU slot with the gloo backend).
# Usage: bash tools/dist_train.sh CONFIG NUM_PROCS [train.py options...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node; PYTHON picks the interpreter.
source "$(dirname "$0")/launcher_usage.sh" && check_usage 2 "$@"
exec bash "$(dirname "$0")/dist_launch.sh" train.py "$2" "$1" --launcher pytorch "${@:3}"
