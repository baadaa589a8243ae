#!/usr/bin/env bash
# Builds everything and runs every test: unit tests, integration tests (real processes on loopback)
# and the conformance runner over ../shared/conformance/cases. Prints "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The network-namespace tests (weft init, netns isolation, the conformance suite in both modes) need ip, iptables and
# setpriv, and run curl and python3 inside pods: install what is missing from Debian (as root; CI is root).
. ./scripts/netns-tools.sh
ensure_netns_tools curl python3
# weft dashboard's browser test drives Debian's chromium headless.
. ./scripts/chromium.sh
ensure_chromium
# The Kubernetes API stand-in's tests run every kubectl there is: Debian's (unpacked beside the PATH one) too.
. ./scripts/debian-kubectl.sh
ensure_debian_kubectl >/dev/null || true

# The reliability suite (tests/Weft.Reliability) runs its short form here; WEFT_RELIABILITY=full runs the issue's numbers
# (docs/reliability.md).
export WEFT_RELIABILITY="${WEFT_RELIABILITY:-short}"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if ! dotnet build Weft.slnx -c Release -nologo -v quiet -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# The sidecar `weft up` runs for users is the Native AOT weft-proxy: built here as ./weft up builds it (a minute or two
# on two cores; again only when its sources change), so the tests that run weft up as a user does run it too, and
# CanaryExampleTests checks it end to end. When it cannot be built, they run the JIT sidecar and that test fails.
. ./scripts/aot-sidecar.sh
aot_started=$SECONDS
if ensure_aot_sidecar; then
  echo "Native AOT sidecar: artifacts/weft-proxy/weft-proxy (ready in $((SECONDS - aot_started)) s)"
else
  rc=$?
  [ "$rc" != 130 ] || exit 130 # interrupted (Ctrl-C during the build): stop, as ./weft does
  echo "Native AOT sidecar not built: $(cat artifacts/weft-proxy/.unavailable 2>/dev/null)"
fi

dotnet test Weft.slnx -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Sum the per-project summaries ("Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12").
sum() { grep -Eo "$1: +[0-9]+" "$log" | awk '{ s += $2 } END { print s + 0 }'; }
passed=$(sum Passed)
failed=$(sum Failed)
skipped=$(sum Skipped)
# The failed tests again, just above the summary, so that a log kept only by its tail (as CI's record is) names them:
# each one's first lines of message and stack, then their names.
if grep -qE '^ +Failed [A-Za-z_]' "$log"; then
  echo
  echo "failed tests, first lines of each:"
  grep -E -A14 '^ +Failed [A-Za-z_]' "$log" | cut -c1-240 | head -n 60
  echo
  echo "failed tests:"
  grep -E '^ +Failed [A-Za-z_]' "$log" | cut -c1-240 | head -n 20
fi
echo
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "$status" -ne 0 ] || [ "${failed:-0}" -ne 0 ] || [ "${passed:-0}" -eq 0 ]; then
  exit 1
fi
