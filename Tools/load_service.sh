#!/usr/bin/env bash
# Loopback load test of `fovea serve` with Debian's wrk: for each pipeline
# route, a warm-up, then DURATION seconds at CONNECTIONS concurrent
# connections — throughput, p50/p99 latency, non-2xx and socket errors — and
# the server's resident memory after the warm-up and after the load. Run
# with micro-batching (--max-batch 8) and without (--max-batch 1).
#   Tools/load_service.sh [DURATION=20] [CONNECTIONS=32]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
connections=${2:-32}
Tools/setup.sh >/dev/null
command -v wrk >/dev/null || { if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi; }
swift build -c release --product fovea >/dev/null
fovea=.build/release/fovea
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

run() {  # run BATCH
  local batch=$1 out pid port
  out=$(mktemp)
  $fovea serve --port 0 --log-level warning --max-batch "$batch" --max-queue 256 ${FOVEA_SERVE_ARGS:-} >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do grep -q "listening on" "$out" && break; sleep 0.1; done
  port=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$out" | grep -o '[0-9]*$')
  [ -n "$port" ] || { echo "server did not start:"; cat "$out"; kill $pid; exit 1; }
  for route in characters smile; do
    if [ $route = characters ]; then body=Datasets/ocr-samples/line-000001.png; path="/v1/characters"
    else body=Datasets/smiles-sample/images/pos_25.jpg; path="/v1/smile?face_crop=true"; fi
    FOVEA_BODY=$body FOVEA_CONTENT_TYPE=image/png wrk -t1 -c"$connections" -d3s -s Tools/service/post.lua "http://127.0.0.1:$port$path" >/dev/null
    local before; before=$(rss $pid)
    local report; report=$(FOVEA_BODY=$body FOVEA_CONTENT_TYPE=image/png \
      wrk -t1 -c"$connections" -d"${duration}s" --latency -s Tools/service/post.lua "http://127.0.0.1:$port$path")
    local after; after=$(rss $pid)
    local requests rps p50 p99 non2xx socket
    requests=$(echo "$report" | awk '/requests in/ {print $1}')
    rps=$(echo "$report" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$report" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$report" | awk '$1 == "99%" {print $2}')
    non2xx=$(echo "$report" | awk '/Non-2xx/ {print $NF}'); non2xx=${non2xx:-0}
    socket=$(echo "$report" | awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}'); socket=${socket:-0}
    local batches; batches=$(curl -s "http://127.0.0.1:$port/metrics" \
      | awk -v r="$path" 'BEGIN{split(r, a, "?"); r=a[1]} index($0, "fovea_inference_batch_size_sum{route=\"" r "\"}") == 1 {s=$2} index($0, "fovea_inference_batch_size_count{route=\"" r "\"}") == 1 {c=$2} END {if (c > 0) printf "%.2f", s / c}')
    printf "%-11s max-batch %-2s  %7s req  %8s req/s  p50 %8s  p99 %8s  non-2xx %s  socket errors %s  mean batch %s  RSS %s -> %s KiB (%+.1f%%)\n" \
      "$route" "$batch" "$requests" "$rps" "$p50" "$p99" "$non2xx" "$socket" "${batches:-?}" "$before" "$after" \
      "$(echo "$before $after" | awk '{print ($2 - $1) * 100 / $1}')"
  done
  kill -TERM $pid; wait $pid || true
  rm -f "$out"
}

echo "fovea serve under wrk: ${duration} s per route at ${connections} connections, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at start"
run 8
run 1
