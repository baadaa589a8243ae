#!/usr/bin/env bash
# bench/order-file.sh [OUT]: writes src/Weft.Proxy/weft-proxy.order (or OUT), the managed methods a sidecar runs once it
# is ready, which the Native AOT build lays out first (IlcOrderFile, src/Weft.Proxy/Weft.Proxy.csproj).
#
# Why: a ready sidecar lets go of the pages it touched while starting (StartupPages) and maps back only what it runs,
# but the kernel maps the cached neighbours of each page it faults in with it (fault-around, 64 KB). With the methods
# it runs spread over 7 MB of code, that was nearly all of it; laid out together, it is the few MB they fill
# (bench/RESULTS.md, "The methods a ready sidecar runs, laid out first").
#
# How: a uprobe on the entry of every managed method of the sidecar binary as ./weft up builds it now (its
# weft-proxy.dbg names them), then `weft up bench/mesh` in process mode and, as root with network namespaces, in netns mode: what each method
# was called by the time the first sidecar said it was listening (just after its StartupPages), after idling with
# the admin port scraped, and after HTTP/1.1, HTTP/2 and gRPC requests through the mesh. The order: the methods called
# once the sidecars were listening, then those traffic called, then those only start-up called (some run on after the
# drop: thread loops entered once, work between the drop and the log line), each group in the binary's own order.
# A method the runs did not call stays where the compiler puts it; a name the build no longer has is ignored, so an
# older list only does less. Run it again when the sidecar's code has changed much.
#
# The uprobes are the probes of one trace event (each appended to it), so that they are enabled and disabled together:
# as an event each, disabling 41,000 of them one by one took this kernel 20 minutes of one CPU; so, about a minute for
# all of it. uprobe_profile lists the probes in the order they were added, which is how their counts are told apart.
#
# Needs root, tracefs (/sys/kernel/tracing) with uprobe events, jq, curl and wrk. Takes a minute or two to build the
# sidecar, then about a minute. Run nothing to be measured beside it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$root/src/Weft.Proxy/weft-proxy.order}")"
cd "$root"
export LC_ALL=C # nm's order of symbols at one address, as NativeSidecarLayoutTests reads it
T=/sys/kernel/tracing
GROUP=weftorder
EVENT=methods
die() { echo "order-file: $*" >&2; exit 1; }
log() { echo "order-file: $*" >&2; }
[ "$(id -u)" = 0 ] || die "needs root (uprobes)"
[ -w "$T/uprobe_events" ] || die "no uprobe events at $T"
! grep -q "^p:$GROUP/" "$T/uprobe_events" || die "uprobes of an earlier run are still registered; remove them with: echo 0 > $T/events/$GROUP/enable; echo -:$GROUP/$EVENT >> $T/uprobe_events"
for tool in jq curl wrk python3 nm readelf; do command -v "$tool" >/dev/null || die "needs $tool"; done

work="$(mktemp -d /tmp/weft-order.XXXXXX)"
up=""
registered=0
# Stops weft up (one TERM: it tears its pods down; a second signal would cut that short) within 60 s, then the probes go.
stop_up() {
  [ -n "$up" ] || return 0
  kill -TERM "$up" 2>/dev/null || true
  local i
  for i in $(seq 1 600); do kill -0 "$up" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$up" 2>/dev/null && { log "weft up did not stop in 60 s; killing it"; pkill -KILL -P "$up" || true; kill -KILL "$up" || true; }
  wait "$up" 2>/dev/null || true
  up=""
}
cleanup() {
  trap '' INT TERM
  if [ "$registered" = 1 ] && [ -e "$T/events/$GROUP/enable" ]; then
    echo 0 > "$T/events/$GROUP/enable" || true
  fi
  stop_up
  if [ "$registered" = 1 ]; then
    log "removing the uprobes"
    echo "-:$GROUP/$EVENT" >> "$T/uprobe_events" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The sidecar as ./weft up builds it (scripts/aot-sidecar.sh: its compiler, its lock), copied, so that the probes are on
# a file of this run's only: another sidecar started meanwhile counts nothing.
./weft version >/dev/null
. scripts/aot-sidecar.sh
ensure_aot_sidecar || die "the Native AOT sidecar could not be built: $(cat "$AOT_SIDECAR_DIR/.unavailable" 2>/dev/null)"
mkdir "$work/bin"
cp "$AOT_SIDECAR_DIR/weft-proxy" "$AOT_SIDECAR_DIR/weft-proxy.dbg" "$work/bin/"
bin="$work/bin/weft-proxy"

# Every method entry of the managed code section, once: "OFFSET NAME..." (its offset in the file, where a uprobe goes,
# and the names of the symbols there; two probes at one place would be refused).
python3 - "$bin.dbg" "$bin" >"$work/probes" <<'PY'
import subprocess, sys
lo = hi = None
for line in subprocess.run(["readelf", "-SW", sys.argv[1]], capture_output=True, text=True, check=True).stdout.splitlines():
    f = line.replace("[ ", "[").split()
    if len(f) > 5 and f[1] == "__managedcode":
        lo, hi = int(f[3], 16), int(f[3], 16) + int(f[5], 16)
if lo is None:
    sys.exit("order-file: no __managedcode section")
shift = None
# The binary's loadable segment holding the code (the .dbg has its sections, not its bytes): an address becomes an
# offset in the file by the difference of the segment's address and offset.
for line in subprocess.run(["readelf", "-lW", sys.argv[2]], capture_output=True, text=True).stdout.splitlines():  # stderr: no interpreter
    f = line.split()
    if f[:1] == ["LOAD"] and int(f[2], 16) <= lo < int(f[2], 16) + int(f[5], 16):
        shift = int(f[2], 16) - int(f[1], 16)
if shift is None:
    sys.exit("order-file: no loadable segment holds __managedcode")
entries = {}
for line in subprocess.run(["nm", "-n", "--defined-only", sys.argv[1]], capture_output=True, text=True, check=True).stdout.splitlines():
    f = line.split(" ", 2)
    if len(f) == 3 and f[1] in ("t", "T") and lo <= int(f[0], 16) < hi and not f[2].startswith("__") and " " not in f[2]:
        entries.setdefault(int(f[0], 16), []).append(f[2])
for address, names in entries.items():
    print(f"{address - shift:x} {' '.join(names)}")
PY
log "registering $(wc -l <"$work/probes") uprobes, one per method entry"
registered=1
python3 - "$T/uprobe_events" "$GROUP/$EVENT" "$bin" "$work/probes" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
for line in open(sys.argv[4]):
    os.write(fd, f"p:{sys.argv[2]} {sys.argv[3]}:0x{line.split(' ', 1)[0]}\n".encode())
PY
# uprobe_profile lists the probes in the order of uprobe_events; check that it is the order they were added in.
awk -v event="$GROUP/$EVENT" '$1 == "p:" event { sub(/.*:0x0*/, "", $2); print $2 }' "$T/uprobe_events" >"$work/registered"
cut -d' ' -f1 "$work/probes" | cmp -s - "$work/registered" \
  || die "the kernel lists the probes in another order than they were added ($T/uprobe_events)"
echo 1 > "$T/events/$GROUP/enable"

# Our probes' hit counts, one per line in the order they were added (the order of $work/probes).
snapshot() { awk -v bin="$bin" -v event="$EVENT" '$1 == bin && $2 == event { print $3 }' "$T/uprobe_profile" >"$1"; }
# Runs a command in the client pod's network namespace $ns, or here when it is empty (process mode).
in_client_pod() { if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi; }
# One weft up of bench/mesh in isolation $1, its snapshots in $work/$1.
run() {
  local isolation="$1" dir="$work/$1" logs="" i
  mkdir -p "$dir"
  snapshot "$dir/base"
  WEFT_PROXY_BIN="$bin" dotnet artifacts/weft/weft.dll up bench/mesh --isolation "$isolation" \
    --ready-file "$dir/mesh.json" --timeout 300 >"$dir/up.log" 2>&1 &
  up=$!
  # The counts just before the first sidecar logs that it listens: what a sidecar calls after that is counted as
  # "once listening" (conservative: a call between the last snapshot and the line counts there too).
  local listening=0
  for i in $(seq 1 6000); do
    [ -z "$logs" ] && logs="$(sed -n 's|.*, state \(.*\)/state.json$|\1/logs|p' "$dir/up.log")"
    [ -n "$logs" ] && grep -qs 'Weft.Proxy\[1\] .* listening: ' "$logs"/*_weft-proxy.log && { listening=1; break; }
    kill -0 "$up" 2>/dev/null || die "weft up --isolation $isolation ended: $(tail -5 "$dir/up.log")"
    snapshot "$dir/start"; sleep 0.02
  done
  [ "$listening" = 1 ] || die "$isolation: no sidecar logged 'listening' (Weft.Proxy[1]) in 2 minutes: $(tail -5 "$dir/up.log")"
  for i in $(seq 1 1500); do
    [ -s "$dir/mesh.json" ] && break
    kill -0 "$up" 2>/dev/null || die "weft up --isolation $isolation ended: $(tail -5 "$dir/up.log")"
    sleep 0.2
  done
  [ -s "$dir/mesh.json" ] || die "weft up --isolation $isolation did not get ready: $(tail -5 "$dir/up.log")"
  local client port svc a path
  ns="" # in_client_pod's
  [ "$isolation" = netns ] && ns="$(jq -r '.pods[] | select(.deployment=="client") | .netns' "$dir/mesh.json")"
  client="$(jq -r '.pods[] | select(.deployment=="client") | .ip' "$dir/mesh.json")"
  port="$(jq -r '.pods[] | select(.deployment=="client") | .sidecar.outbound' "$dir/mesh.json")"
  svc="$(jq -r '.services[] | select(.name=="server") | .clusterIP' "$dir/mesh.json")"
  # Idle, with its admin port read from the host, as a kubelet and a metrics scraper would.
  for i in 1 2 3; do
    for a in $(jq -r '.pods[] | "\(.ip):\(.sidecar.admin)"' "$dir/mesh.json"); do
      for path in ready metrics stats; do curl -s -m 10 -o /dev/null "http://$a/$path" || true; done
    done
    sleep 3
  done
  snapshot "$dir/idle"
  printf '\x00\x00\x00\x00\x0c\x0a\x0aweft-bench' >"$dir/grpc.bin"
  local proxy=() tunnel=()
  [ -z "$ns" ] && proxy=(-x "http://$client:$port") && tunnel=(-p)
  for i in 1 2 3; do
    in_client_pod curl -sf -m 10 "${proxy[@]}" "http://$svc/" >/dev/null || die "$isolation: HTTP/1.1 through the mesh failed"
    in_client_pod curl -sf -m 10 "${proxy[@]}" "${tunnel[@]}" --http2-prior-knowledge "http://$svc/" >/dev/null || die "$isolation: HTTP/2 through the mesh failed"
    in_client_pod curl -sf -m 10 "${proxy[@]}" "${tunnel[@]}" --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' \
      --data-binary @"$dir/grpc.bin" "http://$svc:7070/proto.EchoTestService/Echo" >/dev/null || die "$isolation: gRPC through the mesh failed"
  done
  if [ -n "$ns" ]; then
    in_client_pod wrk -t1 -c20 -d2s "http://$svc/" >"$dir/wrk.txt" 2>&1 || true
  else
    WEFT_BENCH_TARGET="http://$svc/" wrk -t1 -c20 -d2s -s bench/absolute-form.lua "http://$client:$port/" >"$dir/wrk.txt" 2>&1 || true
  fi
  snapshot "$dir/traffic"
  kill -0 "$up" 2>/dev/null || die "weft up --isolation $isolation ended early: $(tail -5 "$dir/up.log")"
  stop_up
}
log "weft up bench/mesh, process mode"
run process
if ip netns list >/dev/null 2>&1 && command -v iptables >/dev/null; then
  log "weft up bench/mesh, netns mode"
  run netns
fi

python3 - "$work/probes" "$work" "$(git rev-parse --short HEAD) ($(dotnet --version), Linux $(uname -r))" >"$work/order" <<'PY'
import os, sys
names = [l.split()[1:] for l in open(sys.argv[1])]
def counts(path):
    c = [int(l) for l in open(path)]
    if len(c) != len(names):
        sys.exit(f"order-file: {path} has {len(c)} counts for {len(names)} probes")
    return c
after, traffic, start = set(), set(), set()
for isolation in ("process", "netns"):
    d = os.path.join(sys.argv[2], isolation)
    if not os.path.isdir(d):
        continue
    base, s, idle, t = (counts(f"{d}/{k}") for k in ("base", "start", "idle", "traffic"))
    run = [{m for m in range(len(names)) if a[m] > b[m]} for a, b in ((s, base), (idle, s), (t, idle))]
    sys.stderr.write(f"order-file: {isolation}: methods called while starting {len(run[0])}, once listening and idle {len(run[1])}, by traffic {len(run[2])}\n")
    start |= run[0]; after |= run[1]; traffic |= run[2]
groups = [sorted(after), sorted(traffic - after), sorted(start - after - traffic)]
print("# The managed methods a ready sidecar runs, in the order the Native AOT build lays them out (IlcOrderFile).")
print("# Made by bench/order-file.sh; run it again when the sidecar's code has changed much. Not edited by hand.")
print(f"# From {sys.argv[3]}: {len(groups[0])} called once listening, {len(groups[1])} more by traffic, {len(groups[2])} only while starting.")
for m in (m for g in groups for m in g):
    print("\n".join(names[m]))
sys.stderr.write(f"order-file: {sum(map(len, groups))} methods: {len(groups[0])} called once listening, {len(groups[1])} more by traffic, {len(groups[2])} only while starting\n")
PY
cp "$work/order" "$out"
log "wrote $out"
