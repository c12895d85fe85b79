#!/usr/bin/env bash
# Times the three DQN training steps (dqn-train-b32, softmoe-train-b32, impala-train-b32) on an NVIDIA GPU with
# MoeScratch's ILGPU backend and, when PyTorch with CUDA is importable there, with PyTorch on the same GPU
# (benchmarks/pytorch_anchor.py, the TorchSharp anchors' definitions); then prints ours / PyTorch ratios.
#
# NOT YET RUN ON A GPU IN THIS REPOSITORY. It has only been dry-run without a GPU (--backend cpu-accelerator --smoke
# --torch-device cpu); no GPU numbers from it are recorded anywhere. Record the first real run's output with the
# GPU, driver and commit it printed.
#
# The GPU machine has no .NET SDK, so MoeScratch goes there as a bundle (app + .NET runtime):
#   1. where the SDK is, from the repository root:
#        ../shared/tools/gpu-bundle benchmarks/MoeScratch.Benchmarks/MoeScratch.Benchmarks.csproj
#      (writes .gpu-bundle/, git-ignored; carry it to the GPU machine with the tree)
#   2. on the GPU machine, from the repository root:
#        benchmarks/gpu-compare.sh [options]
#   Without .gpu-bundle/ but with an SDK, it uses `dotnet run -c Release --project benchmarks/MoeScratch.Benchmarks`.
#
# What it runs, in order (each command is echoed):
#   nvidia-smi (GPU name and driver, when present)
#   <app> gpu-selftest --backend cuda:N          every kernel family against the CPU backend; stops on a FAIL
#   <app> quick --backend cuda:N --only <train steps>
#   python3 benchmarks/pytorch_anchor.py --device cuda:N --only <train steps>   (if `import torch` works)
#
#   benchmarks/gpu-compare.sh [--device N] [--only a,b] [--tf32] [--smoke] [--keep DIR]
#                             [--backend B] [--torch-device D] [--skip-selftest]
#
#   --device N        CUDA device index for both sides (default 0)
#   --only a,b        workloads (default the three train steps; sgemm-*, dqn-act-b1, dqn-forward-b* run on our side only)
#   --tf32            let PyTorch use TF32 tensor cores (its cuDNN default); off by default, as our kernels are FP32
#   --smoke           tiny sizes / few iterations on our side, few iterations on PyTorch's: a plumbing check, times
#                     MEANINGLESS
#   --keep DIR        keep the raw outputs in DIR (default: a temp dir, printed at the end)
#   --backend B       our backend instead of cuda:N (e.g. cpu-accelerator for a dry run without a GPU)
#   --torch-device D  PyTorch's device instead of cuda:N (e.g. cpu for a dry run)
#   --skip-selftest   do not run gpu-selftest first
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
device=0 only="dqn-train-b32,softmoe-train-b32,impala-train-b32" tf32=0 smoke=0 keep="" backend="" torch_device=""
selftest=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --tf32) tf32=1; shift ;;
    --smoke) smoke=1; shift ;;
    --keep) keep="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --torch-device) torch_device="$2"; shift 2 ;;
    --skip-selftest) selftest=0; shift ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    *) echo "gpu-compare: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
backend="${backend:-cuda:$device}" torch_device="${torch_device:-cuda:$device}"
out="${keep:-$(mktemp -d "${TMPDIR:-/tmp}/gpu-compare.XXXXXX")}"
mkdir -p "$out"

if [[ -x .gpu-bundle/run ]]; then
  app=(.gpu-bundle/run MoeScratch.Benchmarks)
elif command -v dotnet >/dev/null && dotnet --list-sdks | grep -q .; then
  app=(dotnet run -c Release --project benchmarks/MoeScratch.Benchmarks --)
else
  echo "gpu-compare: no .gpu-bundle/run and no .NET SDK; build the bundle where the SDK is (see the header)." >&2
  exit 2
fi

echo "== gpu-compare $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')" >&2
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt" >&2
else
  echo "nvidia-smi not found" | tee "$out/gpu.txt" >&2
fi

flags=(); [[ $smoke -eq 1 ]] && flags+=(--smoke)
if [[ $selftest -eq 1 ]]; then
  echo "+ ${app[*]} gpu-selftest --backend $backend" >&2
  "${app[@]}" gpu-selftest --backend "$backend" | tee "$out/selftest.txt" >&2 || {
    echo "gpu-compare: gpu-selftest failed (above): the kernels disagree with the CPU backend or the device did not" \
         "open; timing them would compare wrong results." >&2
    exit 1
  }
fi

echo "+ ${app[*]} quick --backend $backend --only $only ${flags[*]}" >&2
# A failed workload (exit 1) still leaves the others' lines to compare; the exit status is passed on at the end.
rc=0
"${app[@]}" quick --backend "$backend" --only "$only" "${flags[@]}" | tee "$out/ours.txt" >&2 || rc=$?
grep -q '^workload=' "$out/ours.txt" || { echo "gpu-compare: our quick run produced no result line (above)." >&2; exit 1; }

torch_names=$(tr ',' '\n' <<<"$only" | grep -E '^(dqn|softmoe|impala)-train-b32$' | paste -sd, - || true)
if [[ -z "$torch_names" ]]; then
  torch_note="not run (no train-step workload selected)"
elif python3 -c "import torch" 2>/dev/null; then
  pt=(python3 benchmarks/pytorch_anchor.py --device "$torch_device" --only "$torch_names")
  [[ $tf32 -eq 1 ]] && pt+=(--tf32)
  pt+=("${flags[@]}")
  echo "+ ${pt[*]}" >&2
  if "${pt[@]}" > "$out/torch.txt"; then torch_note="measured in this run ($torch_device)"
  else torch_note="FAILED (see above)"; rc=1; fi
  cat "$out/torch.txt" >&2
else
  torch_note="not run: python3 -c 'import torch' fails here"
fi
touch "$out/torch.txt"

# Ratio table: fields are key=value pairs split on spaces, as compare-torchsharp.sh reads them.
awk -v note="$torch_note" -v smoke="$smoke" '
  function field(line, key,   n, i, kv, w) {
    n = split(line, w, / +/)
    for (i = 1; i <= n; i++) { split(w[i], kv, "="); if (kv[1] == key) return substr(w[i], length(key) + 2) }
    return ""
  }
  FNR == 1 { side = (FILENAME ~ /ours\.txt$/) ? "ours" : "torch" }
  /^workload=/ && / median_ms=/ {
    name = field($0, "workload")
    if (side == "ours" && !(name in om)) order[++n] = name
    if (side == "ours") { om[name] = field($0, "median_ms"); on[name] = field($0, "min_ms"); ob = field($0, "backend") }
    else { tm[name] = field($0, "median_ms"); tn[name] = field($0, "min_ms"); tb = field($0, "backend") }
  }
  END {
    printf "\nours (%s) vs PyTorch (%s): PyTorch %s\n", ob, (tb == "" ? "-" : tb), note
    if (smoke) print "SMOKE RUN: sizes and iterations are tiny; every number below is MEANINGLESS"
    printf "%-20s %10s %10s %10s %10s %10s %10s\n", "workload", "ours med", "ours min", "torch med", "torch min", "ratio med", "ratio min"
    for (i = 1; i <= n; i++) {
      w = order[i]
      if (w in tm) printf "%-20s %10s %10s %10s %10s %10.2f %10.2f\n", w, om[w], on[w], tm[w], tn[w], om[w] / tm[w], on[w] / tn[w]
      else printf "%-20s %10s %10s %10s %10s %10s %10s\n", w, om[w], on[w], "-", "-", "-", "-"
    }
    print "ratio = ours / PyTorch time (below 1: ours is faster); times in ms per run: one training step (batch 32) for *-train-b32"
  }' "$out/ours.txt" "$out/torch.txt" | tee "$out/table.txt"
echo "raw outputs: $out" >&2
exit "$rc"
