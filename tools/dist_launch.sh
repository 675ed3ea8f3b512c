#!/usr/bin/env bash
# Any tool on one node through torch.distributed.run: NUM_PROCS processes (one per GPU, or per CPU slot with the gloo
# backend), each running tools/SCRIPT (dist_train.sh and dist_test.sh call it).
# Usage: bash tools/dist_launch.sh SCRIPT NUM_PROCS [SCRIPT arguments...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node; PYTHON picks the interpreter.
source "$(dirname "$0")/launcher_usage.sh" && check_usage 2 "$@"
require_tool "$1"

"${PYTHON:-python}" -m torch.distributed.run --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --nproc_per_node="$2" --master_port="${PORT:-29500}" \
    "$(dirname "$0")/$1" "${@:3}"
