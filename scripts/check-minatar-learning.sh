#!/usr/bin/env bash
# Learning check of the embedded default (not a test: ~2-4 minutes on one core): the trainer's minatar-dqn preset with
# the dense baseline on MinAtar Breakout, fixed seed, 50,000 agent steps, 1 thread, probes off; passes when the mean
# return of the last 100 training episodes is at least 2 (a random policy scores ~0.5 on Breakout). Run it after a
# change to the kernels, the agent or the runner: a faster update that no longer learns fails here.
#
#   scripts/check-minatar-learning.sh [--steps N] [--seed S] [--min-return R] [--keep DIR]
#
# Prints the mean return, the episode count and the wall-clock agent steps per second; exit 0 pass, 1 fail, 2 usage.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps=50000 seed=0 min_return=2 keep=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --min-return) min_return="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "check-minatar-learning: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
out="${keep:-$(mktemp -d "${TMPDIR:-/tmp}/minatar-learning.XXXXXX")}"
mkdir -p "$out"

dotnet build "$repo/samples/Train" -c Release -v q -nologo >&2
start=$(date +%s)
dotnet run -c Release --no-build --project "$repo/samples/Train" -- \
  --preset minatar-dqn --env minatar:breakout --network baseline --total-steps "$steps" --seed "$seed" \
  --threads 1 --probe-every 0 --progress plain --experiment learning-check --out "$out" >&2
elapsed=$(( $(date +%s) - start ))

metrics="$(find "$out" -name metrics.csv | head -1)"
[[ -n "$metrics" ]] || { echo "check-minatar-learning: no metrics.csv under $out" >&2; exit 1; }
python3 - "$metrics" "$min_return" "$steps" "$elapsed" <<'PY'
import csv, sys
path, need, steps, elapsed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [r for r in csv.DictReader(open(path)) if r["phase"] == "train"]
last = [float(r["return"]) for r in rows[-100:]]
mean = sum(last) / len(last) if last else float("nan")
ok = len(last) == 100 and mean >= need
print(f"minatar-dqn baseline on breakout, {steps} steps: mean return of the last {len(last)} of {len(rows)} training "
      f"episodes = {mean:.2f} (need >= {need:g}); {steps / max(elapsed, 1):.0f} agent steps/s wall including start-up: "
      f"{'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
