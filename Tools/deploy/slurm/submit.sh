#!/usr/bin/env bash
# Submits a sharded `fovea batch` run to Slurm: a job array of N tasks, then
# the merge job, which starts only when every task succeeded.
# usage: submit.sh INPUT_FOLDER RESULTS_FOLDER N characters|smile [fovea batch options...]
# env: FOVEA_BIN (default: fovea on PATH); extra sbatch options in SBATCH_EXTRA.
# Prints the two job ids (array, merge).
set -euo pipefail
[ $# -ge 4 ] || { sed -n 2,6p "$0" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
input=$(realpath "$1"); results=$(realpath -m "$2"); n=$3; task=$4; shift 4
mkdir -p "$results"
export FOVEA_INPUT=$input FOVEA_RESULTS=$results FOVEA_TASK=$task FOVEA_ARGS="$*" FOVEA_BIN=${FOVEA_BIN:-fovea}
# shellcheck disable=SC2086
array=$(sbatch --parsable --export=ALL --array=0-$((n - 1)) --output="$results/slurm-%A_%a.out" \
  ${SBATCH_EXTRA:-} "$here/fovea-batch.sbatch")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable --export=ALL --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
  --output="$results/slurm-merge-%j.out" ${SBATCH_EXTRA:-} "$here/fovea-merge.sbatch")
echo "$array ${merge%%;*}"
