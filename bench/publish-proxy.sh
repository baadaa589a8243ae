#!/usr/bin/env bash
# Publishes the sidecar as a Native AOT binary now: artifacts/weft-proxy/weft-proxy (same command line as `weft proxy`),
# the one `weft up` runs, which ./weft builds itself when it is missing or stale (scripts/aot-sidecar.sh).
#   bench/publish-proxy.sh [DOTNET-PUBLISH-ARG]...   # build it (e.g. -p:OptimizationPreference=Speed for a variant)
#   WEFT_PROXY_BIN=artifacts/weft-proxy/weft-proxy bench/run.sh --quick   # measure it as the one-hop proxy
# Needs clang (clang-14 on Debian 12, or WEFT_AOT_CC) and zlib; installs them when missing and root.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/aot-sidecar.sh"
if ! publish_aot_sidecar "$@"; then
  [ -f "$AOT_SIDECAR_DIR/build.log" ] && tail -n 30 "$AOT_SIDECAR_DIR/build.log" >&2
  echo "publish-proxy: $(cat "$AOT_SIDECAR_DIR/.unavailable" 2>/dev/null)" >&2
  exit 1
fi
# Only the binary is needed at run time; weft-proxy.dbg (its symbols, found by perf through .gnu_debuglink) stays beside it.
ls -l "$AOT_SIDECAR_DIR/weft-proxy"
