#!/usr/bin/env bash
# Real Slurm test: a single-node cluster on 127.0.0.1 (Debian's slurmctld/slurmd/munge, started
# directly, no systemd), `skypile slurm` on a pipeline, and a check that the result equals a
# local `skypile run` of the same pipeline (same rows in the same shards, same totals). Then a
# relaunch must submit only the `merge` stage (finished ranks are never redone).
#
# Needs root (apt-get, daemons). If apt is unreachable and Slurm is not installed, this FAILS:
# it never passes without having run a real cluster. Daemons it starts are stopped by pid on
# exit. Env: SKYPILE_SLURM_PIPELINE (default pipelines/quickstart.yaml, else a generated JSONL
# pipeline), SKYPILE_SLURM_TASKS (default 3), SKYPILE_PYTHON (python with pyarrow, for the
# row-by-row comparison), SKYPILE_SLURM_KEEP=1 keeps the temp dir, SKYPILE_BIN uses that
# binary instead of building. Then the same pipeline from s3:// to s3:// (moto on 127.0.0.1,
# from SKYPILE_PYTHON's venv) must give the bytes of a local run over the same objects;
# SKYPILE_SLURM_S3=0 skips that part (it runs only with the default quickstart pipeline).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/scripts/ci/slurm

fail() {
  echo "SLURM TEST FAILED: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || fail "needs root (installs Debian packages, starts slurmctld/slurmd/munged)"

# ---- 1. packages (post-install scripts must not start services: policy-rc.d exits 101)
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
  ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  echo "== installing slurmctld slurmd slurm-client munge (Debian)"
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  apt-get update -q >/tmp/skypile-slurm-apt.log 2>&1 ||
    { tail -5 /tmp/skypile-slurm-apt.log >&2; fail "apt is unreachable (apt-get update failed): cannot install Slurm, so the real-cluster test cannot run"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    slurmctld slurmd slurm-client munge >>/tmp/skypile-slurm-apt.log 2>&1 ||
    { tail -5 /tmp/skypile-slurm-apt.log >&2; fail "apt-get install slurmctld slurmd slurm-client munge failed (see /tmp/skypile-slurm-apt.log)"; }
  [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

WORK=$(mktemp -d /tmp/skypile-slurm.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local st=$?
  for pf in "${PIDS[@]}"; do
    [ -s "$pf" ] && kill "$(cat "$pf")" 2>/dev/null || true
  done
  # Let the daemons finish writing their state before the folder goes (bounded, no sleep).
  for pf in "${PIDS[@]}"; do
    [ -s "$pf" ] && timeout 10 tail --pid="$(cat "$pf")" -f /dev/null 2>/dev/null || true
  done
  if [ "$st" != 0 ]; then
    echo "---- slurmctld log (tail)" >&2; tail -20 "$WORK/slurmctld.log" 2>/dev/null >&2 || true
    echo "---- slurmd log (tail)" >&2; tail -20 "$WORK/slurmd.log" 2>/dev/null >&2 || true
    for f in "$WORK"/slurm-out/logs/*/*; do
      [ -f "$f" ] && { echo "---- $f" >&2; tail -15 "$f" >&2; }
    done
  fi
  if [ "${SKYPILE_SLURM_KEEP:-0}" = 1 ] || [ "$st" != 0 ]; then
    echo "(kept $WORK)" >&2
  else
    rm -rf "$WORK" 2>/dev/null || true
  fi
  return "$st"
}
trap cleanup EXIT

# ---- 2. munge: reuse a running munged, else start one as the munge user with a fresh key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 700 /etc/munge /var/lib/munge /var/log/munge
  chmod 755 /run/munge
  chmod 400 /etc/munge/munge.key
  runuser -u munge -- munged --pid-file=/run/munge/munged.pid ||
    fail "munged did not start"
  PIDS+=(/run/munge/munged.pid)
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || fail "munge does not answer"
fi

# ---- 3. slurm.conf: loopback only, random ports (several checkouts may test at once)
NCPU=$(nproc)
MEM=$(slurmd -C | grep -o 'RealMemory=[0-9]*' | cut -d= -f2)
[ -n "$MEM" ] || fail "slurmd -C printed no RealMemory"
CTLD_PORT=$((20000 + RANDOM % 20000))
SLURMD_PORT=$((CTLD_PORT + 1))
mkdir -p "$WORK/state" "$WORK/spool"
export SLURM_CONF=$WORK/slurm.conf
sed -e "s|@WORK@|$WORK|g" -e "s|@NCPU@|$NCPU|g" -e "s|@MEM@|$MEM|g" \
  -e "s|@CTLD_PORT@|$CTLD_PORT|g" -e "s|@SLURMD_PORT@|$SLURMD_PORT|g" \
  "$HERE/slurm.conf.in" >"$SLURM_CONF"

# ---- 4. daemons, started directly; stopped by pid in cleanup
slurmctld -c -f "$SLURM_CONF" || fail "slurmctld did not start"
PIDS+=("$WORK/slurmctld.pid")
slurmd -f "$SLURM_CONF" -N localhost || fail "slurmd did not start"
PIDS+=("$WORK/slurmd.pid")
state=""
for _ in $(seq 120); do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || fail "node not idle after 60 s (state: '${state:-none}')"
echo "== single-node Slurm up ($(sinfo -V), $NCPU CPUs, ${MEM} MB, ctld port $CTLD_PORT)"

# ---- 5. the binary (dev profile, as the tests) and the pipeline
if [ -n "${SKYPILE_BIN:-}" ]; then
  EXE=$SKYPILE_BIN
else
  cargo build -q --bin skypile || fail "cargo build failed"
  EXE=$ROOT/target/debug/skypile
fi
PIPE=${SKYPILE_SLURM_PIPELINE:-$ROOT/pipelines/quickstart.yaml}
if [ ! -f "$PIPE" ]; then
  echo "== $PIPE not found: using a generated JSONL pipeline"
  PIPE=$WORK/pipeline.yaml
  "$HERE/make_jsonl.sh" "$WORK/input" >"$PIPE"
  "$EXE" validate "$PIPE" >/dev/null 2>&1 || sed -i '/exact_dedup/d' "$PIPE"
fi
TASKS=${SKYPILE_SLURM_TASKS:-3}
echo "== pipeline $PIPE, $TASKS tasks"
"$EXE" -q plan "$PIPE" --tasks "$TASKS" || true

# The pipeline's own memory/partition requests may not fit this one node: environment
# variables override #SBATCH lines (and only for this test).
export SBATCH_MEM_PER_NODE=$((MEM / 4))M SBATCH_PARTITION=test SBATCH_TIMELIMIT=20

echo "== local run"
t0=$(date +%s)
"$EXE" -q run "$PIPE" --tasks "$TASKS" --output "$WORK/local-out"
echo "   $(($(date +%s) - t0)) s"

echo "== skypile slurm"
t0=$(date +%s)
"$EXE" slurm "$PIPE" --tasks "$TASKS" --output "$WORK/slurm-out" | tee "$WORK/submit1.txt"
jobs=$(grep -o 'job [0-9]*' "$WORK/submit1.txt" | awk '{print $2}' | paste -sd,)
[ -n "$jobs" ] || fail "skypile slurm submitted no job"
wait_jobs() {
  for _ in $(seq 1200); do
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  squeue >&2
  fail "jobs $1 still queued/running after 10 min"
}
wait_jobs "$jobs"
echo "   all jobs left the queue after $(($(date +%s) - t0)) s"
[ -f "$WORK/slurm-out/manifest.json" ] || fail "no manifest.json: a stage failed on Slurm"
ls "$WORK"/slurm-out/logs/*/00000.log >/dev/null || fail "no per-rank logs under logs/"

# ---- 6. same output as the local run
"$HERE/compare.sh" "$EXE" "$WORK/local-out" "$WORK/slurm-out" ||
  fail "Slurm output differs from the local run"

# ---- 7. relaunch: every rank is complete, only `merge` is submitted
"$EXE" slurm "$PIPE" --tasks "$TASKS" --output "$WORK/slurm-out" | tee "$WORK/submit2.txt"
stages=$(grep -c '^stage ' "$WORK/submit2.txt" || true)
grep -q '^stage merge ' "$WORK/submit2.txt" && [ "$stages" = 1 ] ||
  fail "relaunch resubmitted finished stages"
wait_jobs "$(grep -o 'job [0-9]*' "$WORK/submit2.txt" | awk '{print $2}' | paste -sd,)"
"$HERE/compare.sh" "$EXE" "$WORK/local-out" "$WORK/slurm-out" ||
  fail "output changed after the relaunch"
echo "SLURM TEST PASSED: $(grep -c '^stage ' "$WORK/submit1.txt") stage arrays on a real single-node cluster == local run"

# ---- 8. S3 in and out (issue #18): the quickstart inputs on moto, `skypile slurm --input s3://
# --output s3://` with a shared SKYPILE_SCRATCH; the output must equal a local run (no Slurm)
# over the same objects byte for byte, and carry the totals of the local-path run above.
if [ "${SKYPILE_SLURM_S3:-1}" = 1 ] && [ "$PIPE" = "$ROOT/pipelines/quickstart.yaml" ]; then
  PY=${SKYPILE_PYTHON:-$ROOT/.venv/bin/python}
  "$PY" -c "import moto.server, boto3" 2>/dev/null ||
    fail "no moto[server] in $PY (scripts/ci/test.sh installs it; SKYPILE_SLURM_S3=0 skips the S3 part)"
  S3_PORT=$("$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
  "$(dirname "$PY")/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$WORK/moto.log" 2>&1 &
  echo $! >"$WORK/moto.pid"
  PIDS+=("$WORK/moto.pid")
  export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  for _ in $(seq 100); do "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$S3_PORT))" 2>/dev/null && break; sleep 0.1; done
  t0=$(date +%s)
  "$PY" "$HERE/s3.py" up crawl in "$ROOT/sample_data/web" "$ROOT/sample_data/text"
  "$PY" "$HERE/s3.py" up corpus unused
  IN=(--input 's3://crawl/in/web/*.warc.gz' --input s3://crawl/in/text)
  export SKYPILE_SCRATCH=$WORK/scratch
  echo "== s3 -> s3: local run, then skypile slurm"
  "$EXE" -q run "$PIPE" --tasks "$TASKS" "${IN[@]}" --output "$WORK/s3-local"
  "$EXE" slurm "$PIPE" --tasks "$TASKS" "${IN[@]}" --output s3://corpus/run1 | tee "$WORK/submit3.txt"
  jobs=$(grep -o 'job [0-9]*' "$WORK/submit3.txt" | awk '{print $2}' | paste -sd,)
  [ -n "$jobs" ] || fail "skypile slurm (s3) submitted no job"
  wait_jobs "$jobs"
  "$PY" "$HERE/s3.py" down corpus run1 "$WORK/s3-slurm"
  [ -f "$WORK/s3-slurm/manifest.json" ] || fail "no s3://corpus/run1/manifest.json: a stage failed on Slurm"
  "$HERE/compare.sh" "$EXE" "$WORK/s3-local" "$WORK/s3-slurm" ||
    fail "Slurm s3 output differs from the local run over the same objects"
  totals() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["total_docs"], m["total_tokens"])' "$1/manifest.json"; }
  [ "$(totals "$WORK/local-out")" = "$(totals "$WORK/s3-slurm")" ] ||
    fail "s3 totals $(totals "$WORK/s3-slurm") != local-path totals $(totals "$WORK/local-out")"
  echo "SLURM S3 TEST PASSED: s3 -> s3 on Slurm == local run ($(totals "$WORK/s3-slurm") docs tokens), $(($(date +%s) - t0)) s"
fi
