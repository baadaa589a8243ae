#!/usr/bin/env bash
# Publishes the sidecar as a Native AOT binary: artifacts/weft-proxy/weft-proxy (same command line as `weft proxy`).
#   bench/publish-proxy.sh            # build it
#   WEFT_PROXY_BIN=artifacts/weft-proxy/weft-proxy bench/run.sh --quick   # measure it as the one-hop proxy
# Needs clang (the ILCompiler's linker driver; clang-14 on Debian 12) and zlib; installs them when missing and root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/artifacts/weft-proxy"
CC="${WEFT_AOT_CC:-clang-14}"

missing=()
command -v "$CC" >/dev/null || missing+=("$CC")
[ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "publish-proxy: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  else
    echo "publish-proxy: missing ${missing[*]} (install them, or set WEFT_AOT_CC to your clang)" >&2
    exit 1
  fi
fi

rm -rf "$OUT"
dotnet publish "$ROOT/src/Weft.Proxy/Weft.Proxy.csproj" -c Release -r linux-x64 -nologo \
  -p:WeftAot=true -p:CppCompilerAndLinker="$CC" -o "$OUT" "$@"
# Only the binary is needed at run time; weft-proxy.dbg (its symbols, found by perf through .gnu_debuglink) stays beside it.
ls -l "$OUT/weft-proxy"
