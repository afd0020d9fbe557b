#!/usr/bin/env bash
# End-to-end check of the deploy recipes in Tools/deploy:
#  1. installs Debian's slurm-wlm and munge if missing, starts munged and a
#     one-node Slurm cluster on localhost (slurmctld + slurmd, a minimal
#     slurm.conf written to a temporary folder, ports 16817/16818);
#  2. submits Tools/deploy/slurm/submit.sh over a sample folder (the bundled
#     face crops and text lines, with two bad files) with N = 3, waits for the
#     array and the dependent merge job, and checks every file of the folder is
#     in all.jsonl exactly once and each shard got its own files;
#  3. validates the Kubernetes manifests with kubernetes-validate (in a venv);
#  4. stops the cluster and munged it started.
# usage: Tools/test_slurm.sh   (env: FOVEA_BIN=path to fovea, else a debug build is made)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq slurm-wlm munge >/dev/null
fi
if [ -z "${FOVEA_BIN:-}" ]; then
  Tools/setup.sh
  swift build --product fovea >&2
  FOVEA_BIN=$root/.build/debug/fovea
fi
export FOVEA_BIN

tmp=$(mktemp -d /tmp/fovea-slurm.XXXXXX)
pids=()
cleanup() {
  set +e
  scancel --quiet --user "$(id -un)" 2>/dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  [ -f "$tmp/munged.pid" ] && kill "$(cat "$tmp/munged.pid")" 2>/dev/null
  echo "cluster stopped; logs were in $tmp (removed)"
  rm -rf "$tmp"
}
trap cleanup EXIT

# munge: a key of our own and a socket in the temporary folder.
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$tmp/munge"; chmod 400 "$tmp/munge/munge.key"
munged --force --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.socket" \
  --pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" --seed-file="$tmp/munge/seed"

host=$(hostname -s)
cpus=$(nproc)
cat > "$tmp/slurm.conf" <<EOF
ClusterName=fovea-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$(id -un)
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -f "$SLURM_CONF" > "$tmp/slurmctld.out" 2>&1 & pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$tmp/slurmd.out" 2>&1 & pids+=($!)
for _ in $(seq 60); do
  sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed)' && break
  sleep 1
done
if ! sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed)'; then
  echo "the Slurm node did not come up:" >&2; tail -n 20 "$tmp"/slurm*.log "$tmp"/*.out >&2; exit 1
fi
echo "== cluster up: $(sinfo -h -o '%P %D node(s) %T, %c CPUs')"

# The sample folder: 60 face crops, 12 text lines in a subfolder, two bad files.
input=$tmp/input
mkdir -p "$input/lines"
cp Datasets/smiles-sample/images/*.jpg "$input/"
cp Datasets/ocr-samples/*.png "$input/lines/"
printf 'not an image\n' > "$input/broken.jpg"
: > "$input/lines/empty.png"
results=$tmp/results
read -r array merge < <(SBATCH_EXTRA="--cpus-per-task=1" \
  Tools/deploy/slurm/submit.sh "$input" "$results" 3 smile --face-crop)
echo "== submitted array $array (3 tasks) and merge $merge (afterok:$array)"
for _ in $(seq 300); do
  [ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] || { echo "jobs still queued after 300 s:" >&2; squeue >&2; exit 1; }
echo "== jobs done; scontrol says:"
for j in "${array}_0" "${array}_1" "${array}_2" "$merge"; do
  scontrol show job "$j" 2>/dev/null | grep -oE '\b(JobId|ArrayTaskId|JobState|ExitCode)=[^ ]+' | tr '\n' ' '; echo
done
echo "== merge job output:"
cat "$results"/slurm-merge-*.out

# Every file exactly once, and the shards disjoint.
python3 - "$input" "$results" <<'EOF'
import json, os, sys
inp, res = sys.argv[1], sys.argv[2]
expected = set()
for d, _, names in os.walk(inp):
    expected |= {os.path.join(d, n) for n in names}
rows = [json.loads(l) for l in open(os.path.join(res, "all.jsonl"))]
files = [r["file"] for r in rows]
shards = [set(json.loads(l)["file"] for l in open(os.path.join(res, f"shard-{i}.jsonl"))) for i in range(3)]
assert len(files) == len(set(files)), "duplicates in all.jsonl"
assert set(files) == expected, f"missing {sorted(expected - set(files))[:5]}, extra {sorted(set(files) - expected)[:5]}"
assert all(not (shards[i] & shards[j]) for i in range(3) for j in range(i + 1, 3)), "shards overlap"
assert set().union(*shards) == expected
errors = sorted(os.path.basename(r["file"]) for r in rows if r["status"] == "error")
assert errors == ["broken.jpg", "empty.png"], errors
print(f"== every file exactly once: {len(files)} files ({len(files) - len(errors)} ok, errors: {', '.join(errors)}); "
      f"shard sizes {[len(s) for s in shards]}")
EOF

echo "== kubernetes-validate on Tools/deploy/kubernetes"
venv=$root/.venv-deploy
[ -x "$venv/bin/kubernetes-validate" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q "kubernetes-validate==1.37.0"; }
"$venv/bin/kubernetes-validate" --strict Tools/deploy/kubernetes/fovea-batch-job.yaml Tools/deploy/kubernetes/fovea-merge-job.yaml
echo "== test_slurm: passed"
