#!/usr/bin/env bash
# Batch runner figures (release build): files/s at --jobs 1 and --jobs 2 on
# the same 10,000 files (the scaling), and peak resident memory (GNU time's
# "Maximum resident set size") at 1,000 and 10,000 files, which should stay
# flat. The folders are symbolic links to the bundled samples, made once.
# Each run writes a fresh results file. The load average before each run is
# printed: the machine is shared, so read the figures with it.
# usage: Tools/bench_batch.sh [characters|smile] [REPEATS]   (each round: --jobs 1 --threads 1, --jobs 1, --jobs 2)   (env: FOVEA_SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
task=${1:-characters}
repeats=${2:-1}
out=out/bench-batch
[ "${FOVEA_SKIP_BUILD:-0}" = 1 ] || swift build -c release --product fovea >&2
fovea=.build/release/fovea
if [ "$task" = characters ]; then
  samples=("$PWD"/Datasets/ocr-samples/*.png); extra=()
else
  samples=("$PWD"/Datasets/smiles-sample/images/*.jpg); extra=(--face-crop)
fi

# A folder of N links cycling over the samples, 1,000 a subfolder.
make_folder() {
  local n=$1 dir="$out/$task-$1"
  [ -f "$dir/.complete" ] && return
  rm -rf "$dir"; mkdir -p "$dir"
  local k=${#samples[@]}
  for ((i = 0; i < n; i++)); do
    local sub="$dir/part-$((i / 1000))"
    [ -d "$sub" ] || mkdir -p "$sub"
    local src=${samples[$((i % k))]}
    ln -s "$src" "$sub/$(printf '%06d' "$i").${src##*.}"
  done
  touch "$dir/.complete"
}

run() {   # run N JOBS [ENGINE_THREADS]: one measured run, prints a table row
  local n=$1 jobs=$2 threads=${3:-} results="$out/results-$task-$1-$2.jsonl" log="$out/time-$task-$1-$2.txt"
  local more=(); [ -n "$threads" ] && more=(--threads "$threads")
  rm -f "$results"
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v "$fovea" batch "$out/$task-$n" --task "$task" "${extra[@]}" --output "$results" --jobs "$jobs" "${more[@]}" --quiet \
    2> "$log" || { echo "run failed, see $log" >&2; exit 1; }
  local rate rss wall cpu
  rate=$(grep -oE '[0-9.]+ files/s' "$log" | tail -n 1 | cut -d' ' -f1)
  # CPU milliseconds a file (user + system): equal at --jobs 1 and 2 when the
  # workers do not get in each other's way, whatever else runs on the machine.
  cpu=$(awk -F': ' -v n="$n" '/User time|System time/ {s += $2} END {printf "%.2f", s * 1000 / n}' "$log")
  rss=$(grep 'Maximum resident set size' "$log" | grep -oE '[0-9]+$')
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')
  printf '| %s | %d | %d | %s | %s | %s | %s | %d | %s |\n' "$task" "$n" "$jobs" "${threads:-default}" "$rate" "$wall" "$cpu" "$((rss / 1024))" "$load"
}

make_folder 1000
make_folder 10000
echo "| task | files | --jobs | --threads | files/s | wall | CPU ms a file | max RSS MB | load before |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
# --jobs 1 by default gives the engine all cores (and the reader and writer
# threads run beside it); --threads 1 is the one-core baseline. The scaling
# rounds run 10,000 files (1,000 face crops take about a second: too short to
# time against a noisy neighbour); one run of 1,000 files at --jobs 2 then
# gives the memory at a tenth of the files.
for _ in $(seq "$repeats"); do
  run 10000 1 1
  run 10000 1
  run 10000 2
done
run 1000 2
