#!/usr/bin/env bash
# Kubernetes mode at scale (issue 18): bench/kube-scale.sh [--services N] [--flips K] [--adds A] [--settle MS] [--jit]
# The controller lists and watches a cluster of N Services (each with a pod, an EndpointSlice, and every tenth an
# HTTPRoute) from the API server stand-in over HTTPS, then K pods turn not ready as the kubelet and the EndpointSlice
# controller write it, --settle ms apart; for each, the time until the store holds the slice and until the model is out
# (bench/Weft.Bench/Scale/KubeScaleBenchmark.cs); then A pods are created and timed the same way, then A Services. Defaults: 20,000
# Services, 20 flips, 10 pods, 200 ms. The controller runs published ReadyToRun as the image's weft does, or with --jit
# the plain build (bench/weft-bench.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jit=0
args=()
for arg in "$@"; do
  if [ "$arg" = --jit ]; then jit=1; else args+=("$arg"); fi
done
. bench/weft-bench.sh
weft_bench "$jit"
crds="$root/../shared/conformance/upstream/crds/experimental"
echo "# Kubernetes mode at scale: $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $WEFT_BENCH_BUILD"
exec dotnet "$WEFT_BENCH_DLL" kube-scale --crds "$crds" "${args[@]}"
