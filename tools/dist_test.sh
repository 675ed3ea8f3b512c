#!/usr/bin/env bash
# Distributed evaluation on one node: one process per GPU (or per CPU slot with the gloo backend).
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py options...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node; PYTHON picks the interpreter.
source "$(dirname "$0")/launcher_usage.sh" && check_usage 3 "$@"
exec bash "$(dirname "$0")/dist_launch.sh" test.py "$3" "$1" "$2" --launcher pytorch "${@:4}"
