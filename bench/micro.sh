#!/usr/bin/env bash
# Runs the BenchmarkDotNet micro-benchmarks (bench/Weft.Bench) with the short job.
# Extra arguments go to BenchmarkDotNet, e.g. bench/micro.sh --filter '*RouteTable*'
# (the default filter is '*'). Results land in BenchmarkDotNet.Artifacts/ (gitignored).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
filter=(--filter '*')
for a in "$@"; do [ "$a" = --filter ] && filter=(); done
exec dotnet run -c Release --project bench/Weft.Bench -- "${filter[@]}" --job short "$@"
