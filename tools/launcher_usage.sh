# What the launchers (dist_*.sh, slurm_*.sh) share; they source this file, it is not run by itself.
# check_usage MIN_ARGS "$@": print the calling script's leading comment (its usage) and exit: 0 for -h/--help, 2 when
# fewer than MIN_ARGS arguments are given.
# require_tool SCRIPT: exit 2 with a message unless tools/SCRIPT exists.
check_usage() {
    local min=$1
    shift
    if [[ "${1:-}" == "-h" || "${1:-}" == "--help" || $# -lt $min ]]; then
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
        [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]] && exit 0
        exit 2
    fi
}

require_tool() {
    if [[ ! -f "$(dirname "$0")/$1" ]]; then
        echo "$(basename "$0"): there is no $(dirname "$0")/$1 (SCRIPT is a path under tools/, e.g. train.py)" >&2
        exit 2
    fi
}
