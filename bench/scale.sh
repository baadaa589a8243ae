#!/usr/bin/env bash
# The control plane at scale (issue 18): bench/scale.sh [--size 10k|50k] [--runs N] [--jit] [more Weft.Bench control-plane-scale args]
# Each run starts a control-plane process holding the synthetic cluster and connects its proxies to it over TLS on
# 127.0.0.1 (bench/Weft.Bench/Scale); the report (every run, then the medians) goes to standard output and
# bench/results/<date>-<commit>-scale-<size>.md. Both sizes when --size is not given. Published ReadyToRun as the image's
# weft is, or with --jit the plain build (bench/weft-bench.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

sizes=()
runs="${RUNS:-3}"
extra=()
jit=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size) sizes+=("$2"); shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --jit) jit=1; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(10k 50k)

. bench/weft-bench.sh
weft_bench "$jit"
dll="$WEFT_BENCH_DLL"

commit="$(git rev-parse --short HEAD)"
git diff --quiet HEAD -- src bench/Weft.Bench || commit="$commit+dirty"
mkdir -p bench/results
for size in "${sizes[@]}"; do
  report="bench/results/$(date -u +%Y-%m-%d)-$commit-scale-$size.md"
  {
    echo "# Control plane at scale: $size"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit: \`$commit\`, $runs runs"
    echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, Linux $(uname -r), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- .NET $(dotnet --version); the benchmark and its control plane: $WEFT_BENCH_BUILD"
    echo
  } > "$report"
  for run in $(seq 1 "$runs"); do
    echo "== $size, run $run of $runs" >&2
    dotnet "$dll" control-plane-scale --size "$size" --label "run $run" --report "$report" "${extra[@]}" >&2
  done
  # The medians over the runs, from each run's summary line.
  python3 - "$report" "$size" >> "$report" <<'PY'
import statistics, sys
runs = [dict(kv.split("=") for kv in line.split()[2:]) for line in open(sys.argv[1]) if line.startswith("Summary line:")]
m = lambda k: statistics.median(float(r[k]) for r in runs)
print(f"\n## Medians over {len(runs)} runs ({sys.argv[2]})\n")
print("| size | first model (compile) s | push p50 ms | push p99 ms | control-plane RSS peak MB | live heap after a full GC MB | proxies subscribed s |")
print("|---|---:|---:|---:|---:|---:|---:|")
print(f"| {sys.argv[2]} | {m('compile_ms') / 1000:.2f} | {m('push_p50_ms'):.1f} | {m('push_p99_ms'):.1f} | {m('rss_mb'):.0f} | {m('live_heap_mb'):.0f} | {m('subscribe_ms') / 1000:.1f} |")
PY
  cat "$report"
done
