# Sourced by bench/scale.sh and bench/kube-scale.sh: `weft_bench JIT` builds bench/Weft.Bench as the control plane they
# measure is to run (unless SKIP_BUILD=1) and sets WEFT_BENCH_DLL to it and WEFT_BENCH_BUILD to a line saying how.
# JIT=0: published ReadyToRun, as the Dockerfile publishes the image's weft, so the control plane starts with
# precompiled code as the one users run does; JIT=1: the plain build, everything compiled by the JIT as it first runs.
weft_bench() {
  local build=(build bench/Weft.Bench -c Release)
  if [ "$1" = 1 ]; then
    WEFT_BENCH_DLL=bench/Weft.Bench/bin/Release/net10.0/Weft.Bench.dll
    WEFT_BENCH_BUILD="the build (\`dotnet build -c Release\`), JIT-compiled as it runs"
  else
    build=(publish bench/Weft.Bench -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o bench/Weft.Bench/bin/r2r)
    WEFT_BENCH_DLL=bench/Weft.Bench/bin/r2r/Weft.Bench.dll
    WEFT_BENCH_BUILD="published ReadyToRun (\`dotnet publish -r linux-x64 --self-contained false -p:PublishReadyToRun=true\`), as the image's weft is"
  fi
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    MSBUILDDISABLENODEREUSE=1 dotnet "${build[@]}" -nologo -v quiet -clp:ErrorsOnly -p:UseSharedCompilation=false >&2
  fi
}
