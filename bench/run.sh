#!/usr/bin/env bash
# Weft data-plane load benchmark: one weft sidecar's inbound path vs nginx vs haproxy on the same backend, and the
# full mesh path (client sidecar -> server sidecar -> echo) vs direct-to-echo and vs an nginx mTLS pair, over HTTP/1.1,
# HTTP/2 and gRPC, with pods as processes (proxy settings) and, as root, with pods in network namespaces (plain
# requests captured by iptables).
# See bench/README.md.
#
#   bench/run.sh                   full run (3 interleaved rounds, 10 s per measurement)
#   bench/run.sh --quick           smoke test (1 round, 3 s per measurement)
#   bench/run.sh --update-results  also write bench/RESULTS.md
#   bench/run.sh --aot             one-hop and mesh-path sidecars run the Native AOT weft-proxy (bench/publish-proxy.sh)
#
# Environment knobs (defaults in brackets): ROUNDS [3], DURATION [10] seconds of closed-loop wrk,
# LAT_DURATION [=DURATION] seconds of fixed-rate hey, CONNECTIONS [50], THREADS [1] (wrk),
# RATE [1000] req/s and RATE_CONNS [10] for the fixed-rate run, H2_CONNECTIONS [50] and H2_STREAMS [10] (h2load's
# connections and streams in flight per connection, HTTP/2 and gRPC targets), WARMUP [5] seconds per target (its first load, the per-process peaks' too),
# LOAD_CPU [1] and SERVER_CPU [0] (taskset CPU lists), WEFT_PROXY_BIN [unset: dotnet weft.dll proxy]
# a weft-proxy binary for every sidecar (--aot sets it to artifacts/weft-proxy/weft-proxy),
# NETNS [auto: 1 as root] also runs the mesh path with pods in network namespaces, BENCH_TARGETS [all] the targets
# measured (a subset of: direct nginx haproxy weft1hop echo mesh pair h2mesh h2pair grpcmesh grpcpair echons meshns
# h2meshns grpcmeshns pairns h2pairns grpcpairns), IDLE_SETTLE [65; --quick 0] seconds the targets idle after their checks before the idle RSS
# is read (a sidecar gives memory back 30-60 s after its last request, IdleTrim), TRACE_SAMPLING [unset: tracing off]
# makes the one-hop proxy and the process-mode mesh's sidecars export spans (OTLP/HTTP) to the backend nginx at that
# sampling rate (not with NETNS=1),
# PAIRNS_NAT [0] 1 turns connection tracking on in the netns pair's namespaces (a nat rule matching nothing), as the
# pods' capture rules do,
# RESULTS_TSV [unset] a file the raw per-round figures are copied to (with BENCH_TARGETS, the only output: no report).
# All traffic goes to 127.0.0.0/8, or to addresses inside the network namespaces `weft up` and this script make.
# Every load run is bounded in time.
set -euo pipefail
# Under pipefail a pipeline into `grep -q` can fail though it matched: grep stops reading at the match, the writer dies
# of SIGPIPE, and the pipeline takes its status. So these greps read all (`>/dev/null`), never -q.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
QUICK=0
UPDATE=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --update-results) UPDATE=1 ;;
    --aot) WEFT_PROXY_BIN="${WEFT_PROXY_BIN:-$ROOT/artifacts/weft-proxy/weft-proxy}"; AOT=1 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

# BENCH_TARGETS: a list separated by any blanks, read once.
read -r -a ONLY <<<"$(echo ${BENCH_TARGETS:-})"
if [ "${#ONLY[@]}" -gt 0 ] && [ "$UPDATE" = 1 ]; then
  echo "run.sh: --update-results writes the full report, which BENCH_TARGETS leaves out" >&2; exit 2
fi
wants() { [ "${#ONLY[@]}" = 0 ] || [[ " ${ONLY[*]} " == *" $1 "* ]]; }

if [ "$QUICK" = 1 ]; then
  ROUNDS="${ROUNDS:-1}"; DURATION="${DURATION:-3}"; WARMUP="${WARMUP:-1}"; IDLE_SETTLE="${IDLE_SETTLE:-0}"
fi
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10}"
LAT_DURATION="${LAT_DURATION:-$DURATION}"
CONNECTIONS="${CONNECTIONS:-50}"
THREADS="${THREADS:-1}"
RATE="${RATE:-1000}"
RATE_CONNS="${RATE_CONNS:-10}"
H2_CONNECTIONS="${H2_CONNECTIONS:-50}"
H2_STREAMS="${H2_STREAMS:-10}"
WARMUP="${WARMUP:-5}"
IDLE_SETTLE="${IDLE_SETTLE:-65}"
LOAD_CPU="${LOAD_CPU:-1}"
SERVER_CPU="${SERVER_CPU:-0}"
CLK_TCK="$(getconf CLK_TCK)"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- 1. tools and build
need_install=()
for tool in nginx:nginx haproxy:haproxy wrk:wrk curl:curl jq:jq taskset:util-linux h2load:nghttp2-client nghttp:nghttp2-client socat:socat; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || [[ " ${need_install[*]} " == *" ${tool#*:} "* ]] || need_install+=("${tool#*:}")
done
# Whether apt has hey, after reading the package lists when they do not know it yet (a fresh machine's). Without hey
# every fixed-rate latency of the run is lost.
apt_has() { apt-cache policy "$1" 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null; }
if ! command -v hey >/dev/null 2>&1; then
  apt_has hey || apt-get update -qq >/dev/null 2>&1 || true
  if apt_has hey; then need_install+=(hey); fi
fi
if [ "${#need_install[@]}" -gt 0 ]; then
  log "installing: ${need_install[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${need_install[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${need_install[@]}" >/dev/null; } \
    || die "apt-get install ${need_install[*]} failed"
fi
HAVE_HEY=0; command -v hey >/dev/null 2>&1 && HAVE_HEY=1
[ "$HAVE_HEY" = 1 ] || log "warning: hey is not installed and apt has no package for it: HTTP/1.1 latency and CPU at 1000 req/s will not be measured"

if [ "${SKIP_BUILD:-0}" = 1 ]; then
  log "SKIP_BUILD=1: using the existing artifacts/weft build as it is"
else
  log "building the CLI (./weft version)"
  "$ROOT/weft" version >/dev/null || die "weft build failed (src/ broken? retry later, or SKIP_BUILD=1 to use the last build)"
fi
WEFT_DLL="$ROOT/artifacts/weft/weft.dll"
[ -f "$WEFT_DLL" ] || die "$WEFT_DLL missing after build"
WEFT_VERSION="$(dotnet "$WEFT_DLL" version 2>/dev/null | head -1)"
# The sidecars of every `weft up` here (the one-hop pod's, the meshes'): `dotnet weft.dll proxy` (JIT), or a weft-proxy
# binary (Native AOT: bench/publish-proxy.sh).
WEFT_PROXY_NOTE="\`dotnet weft.dll proxy\` (JIT)"
# The mesh path's `weft up` runs the same sidecar as the one hop: JIT asked for by name (weft up's default is the Native
# AOT one when it is built), or the binary WEFT_PROXY_BIN names.
SIDECAR_ARGS=(--sidecar jit)
if [ -n "${WEFT_PROXY_BIN:-}" ]; then
  SIDECAR_ARGS=()
  if [ "${AOT:-0}" = 1 ] && [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "publishing the Native AOT sidecar (bench/publish-proxy.sh)"
    "$BENCH/publish-proxy.sh" >/dev/null || die "bench/publish-proxy.sh failed"
  fi
  [ -x "$WEFT_PROXY_BIN" ] || die "WEFT_PROXY_BIN=$WEFT_PROXY_BIN is not an executable (bench/publish-proxy.sh builds one)"
  export WEFT_PROXY_BIN # `weft up` starts its sidecars from it
  WEFT_PROXY_NOTE="\`$(basename "$WEFT_PROXY_BIN")\` ($(file -b "$WEFT_PROXY_BIN" 2>/dev/null | grep ELF >/dev/null && echo 'native binary' || echo 'binary'), $(( $(stat -c %s "$WEFT_PROXY_BIN") / 1048576 )) MB)"
fi

TMP="$(mktemp -d /tmp/weft-bench.XXXXXX)"
mkdir -p "$TMP/nginx-temp"

# ---------------------------------------------------------------- process bookkeeping and cleanup
STARTED=()   # pids this script started (each the head of its own process tree)

descendants() { # all descendants of $1
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"; descendants "$child"
  done
}

stop_tree() { # TERM a process we started, wait, then KILL it and anything left of its tree
  local pid="$1" tree i
  kill -0 "$pid" 2>/dev/null || return 0
  tree="$(descendants "$pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  for i in $(seq 1 30); do  # let the children finish their own shutdown
    local alive=0; for p in $tree; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.1
  done
  for p in $pid $tree; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true; done
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local i
  for (( i=${#STARTED[@]}-1; i>=0; i-- )); do stop_tree "${STARTED[$i]}"; done
  [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null || true
  # The netns pair's namespaces and bridge (their processes are stopped above); deleting a namespace deletes its veth.
  for i in ${PAIRNS_NAMESPACES:-}; do ip netns delete "$i" 2>/dev/null || true; done
  [ -n "${PAIRNS_BRIDGE:-}" ] && { ip link delete "$PAIRNS_BRIDGE" 2>/dev/null || true; }
  if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || { local p; while :; do p=$((20000 + RANDOM % 30000)); ss -ltn "sport = :$p" | grep LISTEN >/dev/null || { echo "$p"; return; }; done; }
}

now_ns() { date +%s%N; }

tcp_accepts() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

http_ready() { # host port path -> 0 when the answer is 200
  local line
  { exec 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$3" "$1" >&3
  IFS= read -r -t 2 line <&3 || line=""
  exec 3>&- 3<&-
  [[ "$line" == *" 200"* ]]
}

wait_until() { # timeout_s command... ; returns elapsed ms on stdout
  local timeout="$1"; shift
  local t0 deadline
  t0="$(now_ns)"; deadline=$(( t0 + timeout * 1000000000 ))
  until "$@"; do
    [ "$(now_ns)" -lt "$deadline" ] || return 1
    sleep 0.005
  done
  echo $(( ($(now_ns) - T_START) / 1000000 ))
}

# ---------------------------------------------------------------- /proc readings
cpu_ticks() { # sum of utime+stime over pids
  local total=0 pid stat rest
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    rest="${stat##*) }"
    read -r -a f <<<"$rest"
    total=$(( total + f[11] + f[12] ))
  done
  echo "$total"
}

cpu_busy() { # busy jiffies of CPU $1 (all processes, kernel included) from /proc/stat
  awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

status_each_kb() { # FIELD pids... : that /proc/PID/status field (VmRSS, VmHWM) of each pid, "kb/kb/..." in the pids' order
  local field="$1" pid out=(); shift
  for pid in "$@"; do out+=("$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"); done
  local IFS=/; echo "${out[*]}"
}
rss_each_kb() { status_each_kb VmRSS "$@"; }
rss_kb() { # sum of VmRSS over pids
  local total=0 kb
  for kb in $(rss_each_kb "$@" | tr / ' '); do total=$(( total + ${kb:-0} )); done
  echo "$total"
}

# Each process's own peak: the kernel's high-water mark of its RSS (VmHWM), reset to its current RSS just before a
# load (`5` to /proc/PID/clear_refs) and read after it. The sidecars are not dumpable, so their /proc files are root's:
# without root the reset fails, HWM_RESET becomes 0 and the report says the peaks are not known.
HWM_RESET=1
hwm_reset() { local pid; for pid in "$@"; do { echo 5 >"/proc/$pid/clear_refs"; } 2>/dev/null || HWM_RESET=0; done; }
hwm_each_kb() { status_each_kb VmHWM "$@"; }

start_sampler() { # out_file max_seconds pids... : peak RSS while the load runs (bounded)
  local out="$1" max="$2"; shift 2
  ( peak=0; end=$(( $(date +%s) + max ))
    while [ "$(date +%s)" -lt "$end" ]; do
      r="$(rss_kb "$@")"; [ "$r" -gt "$peak" ] && peak="$r"; echo "$peak" >"$out"; sleep 0.2
    done ) &
  SAMPLER=$!
}
stop_sampler() { kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""; }

# ---------------------------------------------------------------- 2. the processes under test
# An nginx of one worker with the run's common settings. `nginx_conf NAME <<EOF` writes $TMP/NAME.conf with the given
# upstreams and servers inside its http block; `start_nginx NAME PORT` starts it on the server CPU and waits until PORT
# accepts (PIDS_HEAD[NAME], READY_MS[NAME]).
nginx_conf() {
  local name="$1"
  { cat <<EOF
worker_processes 1;
pid $TMP/$name.pid;
error_log $TMP/$name-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx-temp/$name-body; proxy_temp_path $TMP/nginx-temp/$name-proxy;
  fastcgi_temp_path $TMP/nginx-temp/$name-fcgi; uwsgi_temp_path $TMP/nginx-temp/$name-uwsgi; scgi_temp_path $TMP/nginx-temp/$name-scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
EOF
    cat
    echo "}"
  } >"$TMP/$name.conf"
}
start_nginx() { # name port
  T_START="$(now_ns)"
  taskset -c "$SERVER_CPU" nginx -p "$TMP" -e "$TMP/$1-error.log" -g 'daemon off;' -c "$TMP/$1.conf" >"$TMP/$1.out" 2>&1 &
  STARTED+=($!); PIDS_HEAD[$1]=$!
  READY_MS[$1]="$(wait_until 20 tcp_accepts 127.0.0.1 "$2")" || die "nginx $1 did not start: $(cat "$TMP/$1-error.log" "$TMP/$1.out")"
}

start_nginx_in() { # netns name host port: start_nginx inside a network namespace, waiting for host:port there
  T_START="$(now_ns)"
  ip netns exec "$1" taskset -c "$SERVER_CPU" nginx -p "$TMP" -e "$TMP/$2-error.log" -g 'daemon off;' -c "$TMP/$2.conf" >"$TMP/$2.out" 2>&1 &
  STARTED+=($!); PIDS_HEAD[$2]=$!
  READY_MS[$2]="$(wait_until 20 ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$3/$4" 2>/dev/null)" || die "nginx $2 did not start: $(cat "$TMP/$2-error.log" "$TMP/$2.out")"
}

BACKEND_PORT="$(free_port)"
# Tracing (TRACE_SAMPLING): flags of every `weft up` here, which hands them to its sidecars.
TRACE_ARGS=()
TRACE_NOTE="off"
if [ -n "${TRACE_SAMPLING:-}" ]; then
  TRACE_ARGS=(--trace-collector "http://127.0.0.1:$BACKEND_PORT" --trace-sampling "$TRACE_SAMPLING")
  TRACE_NOTE="on, sampling $TRACE_SAMPLING, spans posted to the backend nginx (empty 200)"
fi

declare -A READY_MS PIDS_HEAD RSS_IDLE RSS_IDLE_EACH UP_PIDS

# A mesh of bench/mesh's manifests: `start_mesh KEY DIR ISOLATION` starts `weft up DIR --isolation ISOLATION` on the
# server CPU, waits for its ready file ($TMP/KEY.json), and sets UP_PIDS[KEY] and READY_MS[KEY]; `mesh_pids KEY` then
# prints its client sidecar, server sidecar and server echo pids (told apart by their command lines, the echo by its pod IP).
start_mesh() { # key dir isolation
  local key="$1" dir="$2" isolation="$3"
  log "starting weft up $dir --isolation $isolation"
  T_START="$(now_ns)"
  taskset -c "$SERVER_CPU" dotnet "$WEFT_DLL" up "$dir" --isolation "$isolation" --ready-file "$TMP/$key.json" --timeout 120 "${SIDECAR_ARGS[@]}" "${TRACE_ARGS[@]}" >"$TMP/$key.out" 2>&1 &
  UP_PIDS[$key]=$!; STARTED+=($!)
  READY_MS[$key]="$(wait_until 150 test -s "$TMP/$key.json")" || die "weft up --isolation $isolation did not get ready: $(tail -30 "$TMP/$key.out")"
}
mesh_pids() { # key -> "client-sidecar server-sidecar echo"
  local key="$1" server_ip client="" server="" echo="" pid cmd
  server_ip="$(jq -r '.pods[] | select(.deployment=="server") | .ip' "$TMP/$key.json")"
  for pid in $(descendants "${UP_PIDS[$key]}"); do
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
    case "$cmd" in
      *"proxy --pod bench/client-"*) client="$pid" ;;
      *"proxy --pod bench/server-"*) server="$pid" ;;
      *" echo "*) tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -x "WEFT_POD_IP=$server_ip" >/dev/null && echo="$pid" ;;
    esac
  done
  [ -n "$client" ] && [ -n "$server" ] && [ -n "$echo" ] || die "$key: sidecars or echo not found"
  echo "$client $server $echo"
}

# The one-hop target (weft1hop): `weft up bench/onehop`, one pod whose sidecar has its identity and inbound policy from
# that mesh's control plane (a sidecar is ready only once it has its policy, issue 14) and admits plaintext
# (`weft.dev/mtls: permissive`); its app port is served by the backend nginx below, which also listens on the pod's
# address (bench/onehop/onehop.yaml says why).
ONEHOP_LISTEN=""
if wants weft1hop; then
  start_mesh onehop "$BENCH/onehop" process
  ONEHOP_IP="$(jq -r '.pods[] | select(.deployment=="onehop") | .ip' "$TMP/onehop.json")"
  ONEHOP_IN="$(jq -r '.pods[] | select(.deployment=="onehop") | .sidecar.inbound' "$TMP/onehop.json")"
  ONEHOP_SIDECAR=""
  for pid in $(descendants "${UP_PIDS[onehop]}"); do
    [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *"proxy --pod onehop/onehop-"* ]] && ONEHOP_SIDECAR="$pid"
  done
  [ -n "$ONEHOP_IP" ] && [ -n "$ONEHOP_SIDECAR" ] || die "weft up bench/onehop: its pod or sidecar not found"
  ONEHOP_LISTEN="listen $ONEHOP_IP:$BACKEND_PORT;"
  log "one hop: pod $ONEHOP_IP, sidecar pid $ONEHOP_SIDECAR, inbound port $ONEHOP_IN"
fi

nginx_conf backend <<EOF
  server {
    listen 127.0.0.1:$BACKEND_PORT;
    $ONEHOP_LISTEN
    location / { default_type text/plain; return 200 "ok\n"; }
    # The span collector when TRACE_SAMPLING is set: an empty 200 is a valid OTLP/HTTP export response.
    location = /v1/traces { access_log off; return 200; }
  }
EOF

NGINX_PORT="$(free_port)"
nginx_conf nginx <<EOF
  upstream backend {
    server 127.0.0.1:$BACKEND_PORT;
    keepalive 128;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
EOF

HAPROXY_PORT="$(free_port)"
cat >"$TMP/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend fe
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend be
backend be
  http-reuse always
  server backend 127.0.0.1:$BACKEND_PORT
EOF

log "pinning: load generators on CPU $LOAD_CPU, proxies/backends/mesh on CPU $SERVER_CPU (taskset)"

start_nginx backend "$BACKEND_PORT"
start_nginx nginx "$NGINX_PORT"

T_START="$(now_ns)"
taskset -c "$SERVER_CPU" haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.out" 2>&1 &
STARTED+=($!); PIDS_HEAD[haproxy]=$!
READY_MS[haproxy]="$(wait_until 20 tcp_accepts 127.0.0.1 "$HAPROXY_PORT")" || die "haproxy did not start: $(cat "$TMP/haproxy.out")"

start_mesh mesh "$BENCH/mesh" process
CLIENT_IP="$(jq -r '.pods[] | select(.deployment=="client") | .ip' "$TMP/mesh.json")"
SERVER_IP="$(jq -r '.pods[] | select(.deployment=="server") | .ip' "$TMP/mesh.json")"
CLIENT_OUT="$(jq -r '.pods[] | select(.deployment=="client") | .sidecar.outbound' "$TMP/mesh.json")"
SERVICE_IP="$(jq -r '.services[] | select(.name=="server") | .clusterIP' "$TMP/mesh.json")"
SERVICE_PORT="$(jq -r '.services[] | select(.name=="server") | .ports[0].port' "$TMP/mesh.json")"
ECHO_PORT=8080
[ -n "$CLIENT_IP" ] && [ -n "$SERVER_IP" ] && [ -n "$SERVICE_IP" ] || die "cannot read pods/service from $TMP/mesh.json"
read -r CLIENT_SIDECAR SERVER_SIDECAR ECHO_PID < <(mesh_pids mesh)
[ -n "$ECHO_PID" ] || die "mesh: its processes were not found"
UP_PID="${UP_PIDS[mesh]}"
log "mesh: client $CLIENT_IP (sidecar pid $CLIENT_SIDECAR), server $SERVER_IP (sidecar pid $SERVER_SIDECAR, echo pid $ECHO_PID), service $SERVICE_IP:$SERVICE_PORT"

# The peer of the mesh path (issue 18): two nginx processes with mutual TLS 1.3 between them, in front of the same echo
# pod: client -> nginx A (plain) -> mTLS -> nginx B -> echo. ECDSA P-256 certificates made here, upstream keep-alive
# and TLS session reuse on A, ssl_verify_client on B.
PAIR_DIR="$TMP/pair"; mkdir -p "$PAIR_DIR"
pair_cert() { # name cn [signer]: an ECDSA P-256 key and certificate (self-signed CA, or signed by the CA)
  local name="$1" cn="$2"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PAIR_DIR/$name.key" 2>/dev/null
  if [ "$name" = ca ]; then
    openssl req -x509 -new -key "$PAIR_DIR/ca.key" -subj "/CN=$cn" -days 2 -out "$PAIR_DIR/ca.crt" 2>/dev/null
  else
    openssl req -new -key "$PAIR_DIR/$name.key" -subj "/CN=$cn" -out "$PAIR_DIR/$name.csr" 2>/dev/null
    printf 'subjectAltName=DNS:%s\n' "$cn" >"$PAIR_DIR/$name.ext"
    openssl x509 -req -in "$PAIR_DIR/$name.csr" -CA "$PAIR_DIR/ca.crt" -CAkey "$PAIR_DIR/ca.key" -CAcreateserial -days 2 \
      -extfile "$PAIR_DIR/$name.ext" -out "$PAIR_DIR/$name.crt" 2>/dev/null
  fi
}
pair_cert ca weft-bench-pair-ca && pair_cert server pair-b.bench && pair_cert client pair-a.bench || die "openssl could not make the pair's certificates"
PAIR_A_PORT="$(free_port)"; PAIR_B_PORT="$(free_port)"; PAIR_A2_PORT="$(free_port)"; PAIR_B2_PORT="$(free_port)"
GRPC_PORT="$(jq -r '.services[] | select(.name=="server") | .ports[] | select(.name=="grpc") | .port' "$TMP/mesh.json")"
ECHO_GRPC_PORT=7070
[ -n "$GRPC_PORT" ] || die "bench/mesh: Service server has no port named grpc"
# HTTP/2 and gRPC (h2pair, grpcpair): the same two nginx, a second server in each: A takes h2c with prior knowledge and
# passes every request on as HTTP/2 over mutual TLS 1.3 (grpc_pass grpcs://: nginx's only HTTP/2 upstream, used for
# plain HTTP/2 requests too), B passes it on as h2c to the echo (HTTP port for GET /, gRPC port for the gRPC method).
# nginx sends one request at a time on an upstream HTTP/2 connection (no multiplexing upstream), so each hop holds a
# connection per request in flight: its keep-alive cache is sized to h2load's streams in flight (H2_CONNECTIONS ×
# H2_STREAMS), else nginx would close the extra ones after each request and make new TLS handshakes all run long.
PAIR_H2_KEEPALIVE=$(( H2_CONNECTIONS * H2_STREAMS > 128 ? H2_CONNECTIONS * H2_STREAMS : 128 ))
pair_b_conf() { # name listen-address echo-address: nginx B, passing each request on to the echo at echo-address
  nginx_conf "$1" <<EOF
  upstream echo { server $3:$ECHO_PORT; keepalive 128; keepalive_requests 10000000; }
  upstream echo_h2 { server $3:$ECHO_PORT; keepalive $PAIR_H2_KEEPALIVE; keepalive_requests 10000000; }
  upstream echo_grpc { server $3:$ECHO_GRPC_PORT; keepalive $PAIR_H2_KEEPALIVE; keepalive_requests 10000000; }
  server {
    listen $2:$PAIR_B2_PORT ssl http2;
    ssl_protocols TLSv1.3;
    ssl_certificate $PAIR_DIR/server.crt;
    ssl_certificate_key $PAIR_DIR/server.key;
    ssl_client_certificate $PAIR_DIR/ca.crt;
    ssl_verify_client on;
    ssl_session_cache shared:pairb2:1m;
    location / { grpc_pass grpc://echo_h2; }
    location /proto.EchoTestService/ { grpc_pass grpc://echo_grpc; }
  }
  server {
    listen $2:$PAIR_B_PORT ssl;
    ssl_protocols TLSv1.3;
    ssl_certificate $PAIR_DIR/server.crt;
    ssl_certificate_key $PAIR_DIR/server.key;
    ssl_client_certificate $PAIR_DIR/ca.crt;
    ssl_verify_client on;
    ssl_session_cache shared:pairb:1m;
    location / { proxy_pass http://echo; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
EOF
}
pair_b_conf pair-b 127.0.0.1 "$SERVER_IP"
nginx_conf pair-a <<EOF
  upstream pairb { server 127.0.0.1:$PAIR_B_PORT; keepalive 128; keepalive_requests 10000000; }
  upstream pairb_h2 { server 127.0.0.1:$PAIR_B2_PORT; keepalive $PAIR_H2_KEEPALIVE; keepalive_requests 10000000; }
  server {
    listen 127.0.0.1:$PAIR_A2_PORT http2;
    location / {
      grpc_pass grpcs://pairb_h2;
      grpc_ssl_protocols TLSv1.3;
      grpc_ssl_certificate $PAIR_DIR/client.crt;
      grpc_ssl_certificate_key $PAIR_DIR/client.key;
      grpc_ssl_trusted_certificate $PAIR_DIR/ca.crt;
      grpc_ssl_verify on;
      grpc_ssl_name pair-b.bench;
      grpc_ssl_server_name on;
      grpc_ssl_session_reuse on;
    }
  }
  server {
    listen 127.0.0.1:$PAIR_A_PORT;
    location / {
      proxy_pass https://pairb;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_protocols TLSv1.3;
      proxy_ssl_certificate $PAIR_DIR/client.crt;
      proxy_ssl_certificate_key $PAIR_DIR/client.key;
      proxy_ssl_trusted_certificate $PAIR_DIR/ca.crt;
      proxy_ssl_verify on;
      proxy_ssl_name pair-b.bench;
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
    }
  }
EOF
start_nginx pair-b "$PAIR_B_PORT"
start_nginx pair-a "$PAIR_A_PORT"

# HTTP/2 and gRPC on the process-mode mesh (h2mesh, grpcmesh): the client sidecar's outbound listener takes h2c only
# inside a CONNECT tunnel (an HTTP/2 request names no destination: it is not absolute-form, and decision 5 does not take
# :authority for one), which is what an app with HTTPS_PROXY/ALL_PROXY does; h2load has no proxy support, so a socat
# per target listens on 127.0.0.1, opens `CONNECT <ClusterIP>:<port>` through the sidecar for each connection and then
# relays its bytes (TCP_NODELAY both ways, as h2load and the sidecar set it). The shim is load-generator side (pinned with it on LOAD_CPU): an extra relay in the path that the
# pair rows do not have, so these rows' req/s and latency are pessimistic; the sidecars' CPU per request is not affected.
declare -A SHIM_PORT
start_shim() { # target service-port
  SHIM_PORT[$1]="$(free_port)"
  taskset -c "$LOAD_CPU" socat "TCP-LISTEN:${SHIM_PORT[$1]},bind=127.0.0.1,reuseaddr,fork,nodelay" \
    "PROXY:$CLIENT_IP:$SERVICE_IP:$2,proxyport=$CLIENT_OUT,nodelay" >"$TMP/shim-$1.out" 2>&1 &
  STARTED+=($!)
  wait_until 20 tcp_accepts 127.0.0.1 "${SHIM_PORT[$1]}" >/dev/null || die "socat shim for $1 did not start: $(cat "$TMP/shim-$1.out")"
}
wants h2mesh && start_shim h2mesh "$SERVICE_PORT"
wants grpcmesh && start_shim grpcmesh "$GRPC_PORT"
GRPC_BODY="$TMP/grpc-echo.bin"
GRPC_PATH=/proto.EchoTestService/Echo
# One unary call's request: a gRPC message (uncompressed, 12 bytes) holding EchoRequest{message: "weft-bench"}.
printf '\x00\x00\x00\x00\x0c\x0a\x0aweft-bench' >"$GRPC_BODY"

# The same mesh with pods in network namespaces (issue 10): the load generator runs inside the client pod and sends
# plain origin-form requests to the Service's ClusterIP; the pod's iptables rules hand them to its sidecar.
if [ -z "${NETNS:-}" ]; then
  NETNS=0; [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v iptables-restore >/dev/null && command -v setpriv >/dev/null && NETNS=1
fi
if [ "$NETNS" = 1 ] && [ -n "${TRACE_SAMPLING:-}" ]; then
  die "TRACE_SAMPLING with the netns mesh: its pods cannot reach the collector on the host's loopback; set NETNS=0"
fi
if [ "$NETNS" = 1 ]; then
  mkdir -p "$TMP/mesh-netns" && cp "$BENCH/mesh/"*.yaml "$TMP/mesh-netns/"
  start_mesh meshns "$TMP/mesh-netns" netns
  CLIENT_NS="$(jq -r '.pods[] | select(.deployment=="client") | .netns' "$TMP/meshns.json")"
  SERVER_NS="$(jq -r '.pods[] | select(.deployment=="server") | .netns' "$TMP/meshns.json")"
  SERVER_IP_NS="$(jq -r '.pods[] | select(.deployment=="server") | .ip' "$TMP/meshns.json")"
  SERVICE_IP_NS="$(jq -r '.services[] | select(.name=="server") | .clusterIP' "$TMP/meshns.json")"
  read -r CLIENT_SIDECAR_NS SERVER_SIDECAR_NS ECHO_PID_NS < <(mesh_pids meshns)
  [ -n "$ECHO_PID_NS" ] || die "netns mesh: its processes were not found"
  UP_NS_PID="${UP_PIDS[meshns]}"
  log "netns mesh: client pod $CLIENT_NS (sidecar pid $CLIENT_SIDECAR_NS), server $SERVER_IP_NS (sidecar pid $SERVER_SIDECAR_NS, echo pid $ECHO_PID_NS), service $SERVICE_IP_NS:$SERVICE_PORT"
fi

# The pair with its pods in network namespaces (pairns, h2pairns, grpcpairns): the netns mesh's peer. Two namespaces of
# this script's own, wired as `weft up --isolation netns` wires pods (a veth each on a bridge, bridged traffic kept out
# of the host's iptables, IPv6 off): in the client one nginx A and the load generator, which sends to A over the
# namespace's loopback; in the server one nginx B and an echo of its own (`weft echo`, as the server pod runs it), which
# B reaches over loopback. A -> B is mTLS over the bridge, as the sidecars' hop is. What the mesh pays besides is its
# capture: iptables redirects on both sides. The /24 is one of 198.19.128.0/17 (in the benchmarking range `weft up`
# takes its blocks from) that no host route overlaps; `weft up` leaves a block with a route alone.
pairns_wanted() { [ "$NETNS" = 1 ] && { [ "${#ONLY[@]}" = 0 ] || wants pairns || wants h2pairns || wants grpcpairns; }; }
if pairns_wanted; then
  PAIRNS_NET="$(python3 -c '
import ipaddress, subprocess
routes = subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True).stdout.splitlines()
taken = [ipaddress.ip_network(r.split()[0], strict=False) for r in routes if r.split() and r.split()[0][0].isdigit()]
for third in range(254, 127, -1):
    net = ipaddress.ip_network(f"198.19.{third}.0/24")
    if not any(net.overlaps(t) for t in taken if t.prefixlen >= 8):
        print(f"198.19.{third}")
        break
')"
  [ -n "$PAIRNS_NET" ] || die "netns pair: no free /24 in 198.19.128.0/17"
  PAIRNS_BRIDGE="wbpb$$"; PAIRNS_C="wbpc$$"; PAIRNS_S="wbps$$"
  PAIRNS_NAMESPACES="$PAIRNS_C $PAIRNS_S"
  PAIRNS_B_IP="$PAIRNS_NET.3"
  ip link add "$PAIRNS_BRIDGE" type bridge || die "netns pair: cannot make bridge $PAIRNS_BRIDGE"
  { ip addr add "$PAIRNS_NET.1/24" dev "$PAIRNS_BRIDGE" && ip link set "$PAIRNS_BRIDGE" up; } || die "netns pair: cannot set up $PAIRNS_BRIDGE"
  if [ -w "/sys/class/net/$PAIRNS_BRIDGE/bridge/nf_call_iptables" ]; then echo 0 >"/sys/class/net/$PAIRNS_BRIDGE/bridge/nf_call_iptables"; fi
  for side in c s; do
    ns="wbp$side$$"; address="$PAIRNS_NET.2"; [ "$side" = s ] && address="$PAIRNS_B_IP"
    ip netns add "$ns" || die "netns pair: cannot make namespace $ns"
    ip link add "wbpv$side$$" type veth peer name eth0 netns "$ns" || die "netns pair: cannot make the veth of $ns"
    ip link set "wbpv$side$$" master "$PAIRNS_BRIDGE" up
    echo 1 | ip netns exec "$ns" tee /proc/sys/net/ipv6/conf/all/disable_ipv6 >/dev/null
    { ip -n "$ns" addr add "$address/24" dev eth0 && ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up; } || die "netns pair: cannot address $ns"
    # PAIRNS_NAT=1: one nat rule that matches nothing, which turns the kernel's connection tracking on in the namespace
    # as the pods' capture rules do (an experiment: what tracking every packet costs, apart from the redirects).
    if [ "${PAIRNS_NAT:-0}" = 1 ]; then
      ip netns exec "$ns" iptables -t nat -A OUTPUT -p tcp --dport 9 -j RETURN || die "netns pair: PAIRNS_NAT: iptables failed in $ns"
      ip netns exec "$ns" iptables -t nat -A PREROUTING -p tcp --dport 9 -j RETURN || die "netns pair: PAIRNS_NAT: iptables failed in $ns"
    fi
  done
  ip netns exec "$PAIRNS_S" taskset -c "$SERVER_CPU" dotnet "$WEFT_DLL" echo "--port=$ECHO_PORT" "--grpc=$ECHO_GRPC_PORT" >"$TMP/pairns-echo.out" 2>&1 &
  STARTED+=($!); PAIRNS_ECHO_PID=$!
  T_START="$(now_ns)"
  wait_until 60 ip netns exec "$PAIRNS_S" bash -c "exec 3<>/dev/tcp/127.0.0.1/$ECHO_PORT && exec 4<>/dev/tcp/127.0.0.1/$ECHO_GRPC_PORT" >/dev/null 2>&1 \
    || die "netns pair: its echo did not start: $(tail -5 "$TMP/pairns-echo.out")"
  pair_b_conf pair-b-ns "$PAIRNS_B_IP" 127.0.0.1
  # A's configuration is the host pair's, with B at its address in the server namespace and files of its own.
  sed -e "s/127\.0\.0\.1:$PAIR_B_PORT;/$PAIRNS_B_IP:$PAIR_B_PORT;/" -e "s/127\.0\.0\.1:$PAIR_B2_PORT;/$PAIRNS_B_IP:$PAIR_B2_PORT;/" \
    -e "s|/pair-a\.pid;|/pair-a-ns.pid;|" -e "s|/pair-a-error\.log |/pair-a-ns-error.log |" -e "s|/nginx-temp/pair-a-|/nginx-temp/pair-a-ns-|g" \
    "$TMP/pair-a.conf" >"$TMP/pair-a-ns.conf"
  { grep -F "$PAIRNS_B_IP:$PAIR_B_PORT;" "$TMP/pair-a-ns.conf" && grep -F "$PAIRNS_B_IP:$PAIR_B2_PORT;" "$TMP/pair-a-ns.conf"; } >/dev/null \
    || die "netns pair: nginx A's configuration does not name B at $PAIRNS_B_IP"
  start_nginx_in "$PAIRNS_S" pair-b-ns "$PAIRNS_B_IP" "$PAIR_B_PORT"
  start_nginx_in "$PAIRNS_C" pair-a-ns 127.0.0.1 "$PAIR_A_PORT"
  log "netns pair: client namespace $PAIRNS_C (nginx A), server namespace $PAIRNS_S at $PAIRNS_B_IP (nginx B, echo pid $PAIRNS_ECHO_PID), bridge $PAIRNS_BRIDGE ($PAIRNS_NET.0/24)"
fi

tree_pids() { echo "$1" $(descendants "$1"); }
# Which processes each target's CPU and RSS figures are about.
declare -A MEASURED URL LABEL
MEASURED[direct]="$(tree_pids "${PIDS_HEAD[backend]}")"
MEASURED[nginx]="$(tree_pids "${PIDS_HEAD[nginx]}")"
MEASURED[haproxy]="$(tree_pids "${PIDS_HEAD[haproxy]}")"
MEASURED[weft1hop]="${ONEHOP_SIDECAR:-}"
MEASURED[echo]="$ECHO_PID"
MEASURED[mesh]="$CLIENT_SIDECAR $SERVER_SIDECAR"
MEASURED[pair]="$(tree_pids "${PIDS_HEAD[pair-a]}") $(tree_pids "${PIDS_HEAD[pair-b]}")"
MEASURED[h2mesh]="${MEASURED[mesh]}"; MEASURED[grpcmesh]="${MEASURED[mesh]}"
MEASURED[h2pair]="${MEASURED[pair]}"; MEASURED[grpcpair]="${MEASURED[pair]}"
declare -A IN_POD  # targets whose load generator runs inside a pod's network namespace
if [ "$NETNS" = 1 ]; then
  MEASURED[echons]="$ECHO_PID_NS"
  MEASURED[meshns]="$CLIENT_SIDECAR_NS $SERVER_SIDECAR_NS"
  MEASURED[h2meshns]="${MEASURED[meshns]}"; MEASURED[grpcmeshns]="${MEASURED[meshns]}"
  IN_POD[echons]="$SERVER_NS"
  IN_POD[meshns]="$CLIENT_NS"; IN_POD[h2meshns]="$CLIENT_NS"; IN_POD[grpcmeshns]="$CLIENT_NS"
fi
if [ -n "${PAIRNS_C:-}" ]; then
  MEASURED[pairns]="$(tree_pids "${PIDS_HEAD[pair-a-ns]}") $(tree_pids "${PIDS_HEAD[pair-b-ns]}")"
  MEASURED[h2pairns]="${MEASURED[pairns]}"; MEASURED[grpcpairns]="${MEASURED[pairns]}"
  IN_POD[pairns]="$PAIRNS_C"; IN_POD[h2pairns]="$PAIRNS_C"; IN_POD[grpcpairns]="$PAIRNS_C"
fi
# The protocol of targets not driven by wrk/hey (HTTP/1.1): h2 = GET / over h2c with prior knowledge, grpc = unary
# EchoTestService/Echo calls; both driven by h2load.
declare -A PROTO=([h2mesh]=h2 [h2pair]=h2 [h2meshns]=h2 [h2pairns]=h2 [grpcmesh]=grpc [grpcpair]=grpc [grpcmeshns]=grpc [grpcpairns]=grpc)

LABEL[direct]="direct → backend (backend's CPU)"
LABEL[nginx]="nginx → backend"
LABEL[haproxy]="haproxy → backend"
LABEL[weft1hop]="weft inbound (1 hop) → backend"
LABEL[echo]="direct → echo (echo's CPU)"
LABEL[mesh]="weft mesh: client sidecar → server sidecar → echo (both sidecars' CPU)"
LABEL[pair]="nginx mTLS pair: nginx A → mTLS 1.3 → nginx B → echo (both nginx' CPU)"
LABEL[echons]="netns: inside the server pod → echo (echo's CPU)"
LABEL[meshns]="netns mesh: plain request in the client pod, captured → client sidecar → server sidecar → echo (both sidecars' CPU)"
LABEL[h2mesh]="weft mesh, process mode: h2c through a CONNECT tunnel (socat shim) → client sidecar → server sidecar → echo (both sidecars' CPU)"
LABEL[h2meshns]="weft mesh, netns: h2c in the client pod, captured → client sidecar → server sidecar → echo (both sidecars' CPU)"
LABEL[h2pair]="nginx mTLS pair: h2c → nginx A → HTTP/2 over mTLS 1.3 → nginx B → h2c → echo (both nginx' CPU)"
LABEL[grpcmesh]="weft mesh, process mode: gRPC through a CONNECT tunnel (socat shim) → client sidecar → server sidecar → echo (both sidecars' CPU)"
LABEL[grpcmeshns]="weft mesh, netns: gRPC in the client pod, captured → client sidecar → server sidecar → echo (both sidecars' CPU)"
LABEL[grpcpair]="nginx mTLS pair: gRPC → nginx A → grpcs (mTLS 1.3) → nginx B → echo (both nginx' CPU)"
LABEL[pairns]="nginx mTLS pair, netns: in the client namespace → nginx A → mTLS 1.3 over the bridge → nginx B → echo (both nginx' CPU)"
LABEL[h2pairns]="nginx mTLS pair, netns: h2c in the client namespace → nginx A → HTTP/2 over mTLS 1.3 → nginx B → h2c → echo (both nginx' CPU)"
LABEL[grpcpairns]="nginx mTLS pair, netns: gRPC in the client namespace → nginx A → grpcs (mTLS 1.3) → nginx B → echo (both nginx' CPU)"

URL[direct]="http://127.0.0.1:$BACKEND_PORT/"
URL[nginx]="http://127.0.0.1:$NGINX_PORT/"
URL[haproxy]="http://127.0.0.1:$HAPROXY_PORT/"
[ -n "$ONEHOP_LISTEN" ] && URL[weft1hop]="http://$ONEHOP_IP:$ONEHOP_IN/"
URL[echo]="http://$SERVER_IP:$ECHO_PORT/"
# The mesh: connect to the client sidecar, send absolute-form requests for the Service's ClusterIP.
MESH_TARGET="http://$SERVICE_IP:$SERVICE_PORT/"; [ "$SERVICE_PORT" = 80 ] && MESH_TARGET="http://$SERVICE_IP/"
URL[mesh]="http://$CLIENT_IP:$CLIENT_OUT/"
URL[pair]="http://127.0.0.1:$PAIR_A_PORT/"
[ -n "${SHIM_PORT[h2mesh]:-}" ] && URL[h2mesh]="http://127.0.0.1:${SHIM_PORT[h2mesh]}/"
[ -n "${SHIM_PORT[grpcmesh]:-}" ] && URL[grpcmesh]="http://127.0.0.1:${SHIM_PORT[grpcmesh]}$GRPC_PATH"
URL[h2pair]="http://127.0.0.1:$PAIR_A2_PORT/"
URL[grpcpair]="http://127.0.0.1:$PAIR_A2_PORT$GRPC_PATH"
TARGETS=(direct nginx haproxy weft1hop echo mesh pair h2mesh h2pair grpcmesh grpcpair)
if [ "$NETNS" = 1 ]; then
  URL[echons]="http://$SERVER_IP_NS:$ECHO_PORT/"
  URL[meshns]="http://$SERVICE_IP_NS:$SERVICE_PORT/"; [ "$SERVICE_PORT" = 80 ] && URL[meshns]="http://$SERVICE_IP_NS/"
  URL[h2meshns]="${URL[meshns]}"
  URL[grpcmeshns]="http://$SERVICE_IP_NS:$GRPC_PORT$GRPC_PATH"
  TARGETS+=(echons meshns h2meshns grpcmeshns)
fi
if [ -n "${PAIRNS_C:-}" ]; then
  URL[pairns]="http://127.0.0.1:$PAIR_A_PORT/"
  URL[h2pairns]="http://127.0.0.1:$PAIR_A2_PORT/"
  URL[grpcpairns]="http://127.0.0.1:$PAIR_A2_PORT$GRPC_PATH"
  TARGETS+=(pairns h2pairns grpcpairns)
fi
if [ "${#ONLY[@]}" -gt 0 ]; then
  for t in "${ONLY[@]}"; do [ -n "${URL[$t]:-}" ] || die "BENCH_TARGETS: no target $t here (NETNS=$NETNS)"; done
  TARGETS=("${ONLY[@]}")
fi
# The command prefix that runs a load generator where target $1's clients are: inside a pod, or on the host.
in_place() { [ -n "${IN_POD[$1]:-}" ] && echo ip netns exec "${IN_POD[$1]}"; true; }

# h2load's arguments for target $1 (h2 or grpc).
h2_args() {
  H2ARGS=(-t1 -H 'user-agent: weft-bench')
  [ "${PROTO[$1]}" = grpc ] && H2ARGS+=(-d "$GRPC_BODY" -H 'content-type: application/grpc' -H 'te: trailers')
  true
}
# A gRPC call can fail with HTTP 200 (grpc-status in the trailers), which h2load does not read; every successful Echo
# reply of a target has the same length, and a failed one has no message, so the calls that failed are counted from the
# response bytes: requests − ⌊data bytes ÷ one good reply's bytes⌋ (GRPC_OK_BYTES, from check).
declare -A GRPC_OK_BYTES
# Sanity: every target answers 200 before we measure anything.
check() {
  local t="$1" code out
  case "${PROTO[$t]:-}" in
    h2)
      out="$($(in_place "$t") curl -s --http2-prior-knowledge -m 5 -w '\n%{http_code} %{http_version}' "${URL[$t]}")" || true
      [[ "$out" == *"Proto=HTTP/2.0"* && "$(tail -1 <<<"$out")" == "200 2" ]] || die "$t: ${URL[$t]} is not an HTTP/2 echo: $(tail -3 <<<"$out")"
      return ;;
    grpc)
      out="$($(in_place "$t") timeout 10 nghttp -v -H ':method: POST' -H 'content-type: application/grpc' -H 'te: trailers' -d "$GRPC_BODY" "${URL[$t]}" 2>&1 | tr -d '\0')" || true
      [[ "$out" == *"grpc-status: 0"* && "$out" == *"Echo=weft-bench"* ]] || die "$t: ${URL[$t]} did not answer the Echo call: $(grep -a 'status\|error' <<<"$out" | head -5)"
      h2_args "$t"
      out="$($(in_place "$t") timeout 10 h2load "${H2ARGS[@]}" -n 1 -c 1 "${URL[$t]}" 2>&1)" || true
      GRPC_OK_BYTES[$t]="$(awk '/^traffic:/ { for (i = 1; i <= NF; i++) if ($i ~ /^data/) { v = $(i - 1); gsub(/[()]/, "", v); print v } }' <<<"$out")"
      [ "${GRPC_OK_BYTES[$t]:-0}" -gt 0 ] || die "$t: h2load's one call got no reply bytes: $out"
      return ;;
  esac
  case "$t" in
    weft1hop) code="$(curl -s -o /dev/null -w '%{http_code}' -m 5 -H "weft-dst-port: $BACKEND_PORT" "${URL[$t]}")" ;;
    mesh) code="$(curl -s -o /dev/null -w '%{http_code}' -m 5 -x "${URL[$t]%/}" "$MESH_TARGET")" ;;
    *) code="$($(in_place "$t") curl -s -o /dev/null -w '%{http_code}' -m 5 "${URL[$t]}")" ;;
  esac
  [ "$code" = 200 ] || die "$t: ${URL[$t]} answered $code"
}
for t in "${TARGETS[@]}"; do check "$t"; done

ALL_SERVER_PIDS="$(tree_pids "${PIDS_HEAD[backend]}") $(tree_pids "${PIDS_HEAD[nginx]}") ${PIDS_HEAD[haproxy]} $(tree_pids "$UP_PID") ${MEASURED[pair]}"
[ -n "${UP_PIDS[onehop]:-}" ] && ALL_SERVER_PIDS="$ALL_SERVER_PIDS $(tree_pids "${UP_PIDS[onehop]}")"
[ "$NETNS" = 1 ] && ALL_SERVER_PIDS="$ALL_SERVER_PIDS $(tree_pids "$UP_NS_PID")"
[ -n "${PAIRNS_C:-}" ] && ALL_SERVER_PIDS="$ALL_SERVER_PIDS ${MEASURED[pairns]} $PAIRNS_ECHO_PID"

# Idle RSS: before any load, IDLE_SETTLE seconds after the checks' requests, as a pod that serves nothing for a while
# (what a sidecar holds in the seconds after its last request is its busy RSS, not its idle one).
if [ "$IDLE_SETTLE" -gt 0 ]; then log "idling ${IDLE_SETTLE} s before reading the idle RSS (IDLE_SETTLE)"; sleep "$IDLE_SETTLE"; fi
for t in "${TARGETS[@]}"; do RSS_IDLE[$t]="$(rss_kb ${MEASURED[$t]})"; RSS_IDLE_EACH[$t]="$(rss_each_kb ${MEASURED[$t]})"; done

# What each measured process is, for the per-process memory table: "client sidecar", "A worker", ...
proc_name() { # pid [prefix]
  local c w; c="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)"
  case "$c" in
    *"--workload "*) w="${c#*--workload }"; echo "${2:-}${w%% *} sidecar" ;;
    "nginx: master"*) echo "${2:-}master" ;;
    "nginx: worker"*) echo "${2:-}worker" ;;
    *) w="${c%% *}"; echo "${2:-}${w##*/}" ;;
  esac
}
declare -A PROC_NAMES
PAIR_A_PIDS=" $(tree_pids "${PIDS_HEAD[pair-a]}") ${PIDS_HEAD[pair-a-ns]:+$(tree_pids "${PIDS_HEAD[pair-a-ns]}") }"
for t in "${TARGETS[@]}"; do
  names=()
  for p in ${MEASURED[$t]}; do
    case "$t" in
      pair|h2pair|grpcpair|pairns|h2pairns|grpcpairns) if [[ "$PAIR_A_PIDS" == *" $p "* ]]; then names+=("$(proc_name "$p" "A ")"); else names+=("$(proc_name "$p" "B ")"); fi ;;
      *) names+=("$(proc_name "$p")") ;;
    esac
  done
  PROC_NAMES[$t]="$(IFS=/; echo "${names[*]}")"
done

# ---------------------------------------------------------------- load runs
run_wrk() { # target seconds -> prints "requests rps errors"
  local t="$1" secs="$2" out extra=()
  case "$t" in
    weft1hop) extra=(-H "weft-dst-port: $BACKEND_PORT") ;;
    mesh) extra=(-s "$BENCH/absolute-form.lua") ;;
  esac
  out="$(WEFT_BENCH_TARGET="$MESH_TARGET" timeout $(( secs + 30 )) $(in_place "$t") taskset -c "$LOAD_CPU" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" "${extra[@]}" "${URL[$t]}" 2>&1)" || true
  echo "$out" >>"$TMP/wrk-$t.log"
  local reqs rps errs
  reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  errs="$(awk '/Non-2xx or 3xx responses:/ {n+=$NF} /Socket errors:/ {gsub(",","");n+=$4+$6+$8+$10} END {print n+0}' <<<"$out")"
  echo "${reqs:-0} ${rps:-0} ${errs:-0}"
}

run_hey() { # target -> prints "p50ms p90ms p99ms achieved_rps requests non200"
  local t="$1" out extra=() url="${URL[$t]}"
  case "$t" in
    weft1hop) extra=(-H "weft-dst-port: $BACKEND_PORT") ;;
    mesh) extra=(-x "${URL[$t]%/}"); url="$MESH_TARGET" ;;
  esac
  out="$(timeout $(( LAT_DURATION + 30 )) $(in_place "$t") taskset -c "$LOAD_CPU" \
    hey -z "${LAT_DURATION}s" -c "$RATE_CONNS" -q $(( RATE / RATE_CONNS )) "${extra[@]}" "$url" 2>&1)" || true
  echo "$out" >>"$TMP/hey-$t.log"
  local p50 p90 p99 rps ok all
  p50="$(awk '/ 50% in/ {printf "%.2f", $3*1000}' <<<"$out")"
  p90="$(awk '/ 90% in/ {printf "%.2f", $3*1000}' <<<"$out")"
  p99="$(awk '/ 99% in/ {printf "%.2f", $3*1000}' <<<"$out")"
  rps="$(awk '/Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")"
  # Only the status code distribution's lines ("  [200]\t9988 responses"): an error line may name a status too.
  ok="$(awk '/^  \[200\]\t[0-9]+ responses/ {n+=$2} END {print n+0}' <<<"$out")"
  all="$(awk '/^  \[[0-9]+\]\t[0-9]+ responses/ {n+=$2} END {print n+0}' <<<"$out")"
  # What went wrong stays in the log: $TMP goes when the run ends.
  [ "$ok" = "$all" ] || log "$t at ${RATE}/s: $(( all - ok )) of $all not 200: $(awk '/^Status code distribution:/,0' <<<"$out" | head -20 | tr '\n' ' ')"
  echo "${p50:-nan} ${p90:-nan} ${p99:-nan} ${rps:-0} $all $(( all - ok ))"
}

h2load_summary() { # target output -> "requests rps errors" (errors: not 2xx, and failed gRPC calls)
  local t="$1" out="$2" reqs rps ok data errs
  reqs="$(awk '/^requests:/ {print $6}' <<<"$out")" # done
  rps="$(awk '/^finished in/ {gsub(",", "", $4); print $4}' <<<"$out")"
  ok="$(awk '/^status codes:/ {print $3}' <<<"$out")"
  data="$(awk '/^traffic:/ { for (i = 1; i <= NF; i++) if ($i ~ /^data/) { v = $(i - 1); gsub(/[()]/, "", v); print v } }' <<<"$out")"
  errs=$(( ${reqs:-0} - ${ok:-0} ))
  # A response that lands as -D ends can be in h2load's status codes but not its "done": more 2xx than done is no error.
  [ "$errs" -lt 0 ] && errs=0
  if [ "${PROTO[$t]}" = grpc ] && [ -n "${GRPC_OK_BYTES[$t]:-}" ]; then
    local bad=$(( ${ok:-0} - ${data:-0} / GRPC_OK_BYTES[$t] )); [ "$bad" -gt 0 ] && errs=$(( errs + bad ))
  fi
  echo "${reqs:-0} ${rps:-0} $errs"
}

run_h2load() { # target seconds -> prints "requests rps errors": closed loop, H2_CONNECTIONS × H2_STREAMS in flight
  local t="$1" secs="$2" out
  h2_args "$t"
  out="$(timeout $(( secs + 30 )) $(in_place "$t") taskset -c "$LOAD_CPU" \
    h2load "${H2ARGS[@]}" -c "$H2_CONNECTIONS" -m "$H2_STREAMS" -D "$secs" "${URL[$t]}" 2>&1)" || true
  echo "$out" >>"$TMP/h2load-$t.log"
  h2load_summary "$t" "$out"
}

run_h2load_rate() { # target -> prints "p50ms p90ms p99ms achieved_rps requests non200", as run_hey
  local t="$1" out log="$TMP/h2load-$t-rate.tsv"
  h2_args "$t"
  rm -f "$log"
  out="$(timeout $(( LAT_DURATION + 30 )) $(in_place "$t") taskset -c "$LOAD_CPU" \
    h2load "${H2ARGS[@]}" -c "$RATE_CONNS" --rps $(( RATE / RATE_CONNS )) -m "$H2_STREAMS" -D "$LAT_DURATION" --log-file "$log" "${URL[$t]}" 2>&1)" || true
  echo "$out" >>"$TMP/h2load-$t.log"
  local reqs rps errs
  read -r reqs rps errs < <(h2load_summary "$t" "$out")
  # --log-file: one line per request, "start µs since epoch <TAB> status <TAB> µs until the end of its response".
  sort -t $'\t' -n -k3,3 "$log" 2>/dev/null | awk -F'\t' -v rps="$rps" -v errs="$errs" '
    function pct(p,   i) { i = int(n * p); if (i < n * p) i++; if (i < 1) i = 1; return v[i] / 1000 } # nearest rank, ms
    { v[++n] = $3 }
    END { if (n == 0) { print "nan nan nan 0 0 0"; exit }
          printf "%.2f %.2f %.2f %.0f %d %d\n", pct(0.50), pct(0.90), pct(0.99), rps, n, errs }'
}

run_closed() { if [ -n "${PROTO[$1]:-}" ]; then run_h2load "$@"; else run_wrk "$@"; fi; }
run_rate() { if [ -n "${PROTO[$1]:-}" ]; then run_h2load_rate "$@"; else run_hey "$@"; fi; }

us_per_req() { # ticks requests
  awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.1f", t * 1000000 / hz / n; else print "nan" }'
}

RESULTS="$TMP/results.tsv"
printf 'target\tround\trps\trequests\terrors\tcpu_us_max\trss_peak_kb\tp50\tp90\tp99\trate\tcpu_us_rate\tnon200\tforeign_cpu%%\tloadavg\trss_idle_kb\trss_idle_each_kb\trss_start_each_kb\thwm_each_kb\n' >"$RESULTS"

log "warm-up: ${WARMUP}s closed-loop per target (JIT, connection pools), not counted but for each process's peak"
# The warm-up is each target's first load: its processes start from their idle RSS (or from what an earlier target of
# the same processes left, in TARGETS' order: HTTP/1.1, then HTTP/2, then gRPC), so its VmHWM is the peak under load.
declare -A FIRST_HWM
for t in "${TARGETS[@]}"; do
  hwm_reset ${MEASURED[$t]}
  run_closed "$t" "$WARMUP" >/dev/null
  FIRST_HWM[$t]="$(hwm_each_kb ${MEASURED[$t]})"
done

for round in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    pids="${MEASURED[$t]}"
    # Closed loop: max req/s, CPU per request, peak RSS.
    c0="$(cpu_ticks $pids)"; o0="$(cpu_ticks $ALL_SERVER_PIDS)"; b0="$(cpu_busy "$SERVER_CPU")"; t0="$(now_ns)"
    hwm_reset $pids
    rss_start="$(rss_each_kb $pids)"
    start_sampler "$TMP/rss-$t-$round" $(( DURATION + 5 )) $pids
    read -r reqs rps errs < <(run_closed "$t" "$DURATION")
    stop_sampler
    hwm_each="$(hwm_each_kb $pids)"
    c1="$(cpu_ticks $pids)"; o1="$(cpu_ticks $ALL_SERVER_PIDS)"; b1="$(cpu_busy "$SERVER_CPU")"; t1="$(now_ns)"
    cpu_max="$(us_per_req $(( c1 - c0 )) "$reqs")"
    # CPU the server core spent on anything but our processes (other jobs on the machine, unattributed kernel work).
    foreign="$(awk -v b=$(( b1 - b0 - (o1 - o0) )) -v hz="$CLK_TCK" -v ns=$(( t1 - t0 )) 'BEGIN { v = b / hz / (ns / 1e9) * 100; if (v < 0) v = 0; printf "%.0f", v }')"
    rss_peak="$(cat "$TMP/rss-$t-$round" 2>/dev/null || echo 0)"
    # Fixed rate: latency percentiles, CPU per request at $RATE req/s.
    if [ "$HAVE_HEY" = 1 ] || [ -n "${PROTO[$t]:-}" ]; then
      c0="$(cpu_ticks $pids)"
      read -r p50 p90 p99 rate hreqs non200 < <(run_rate "$t")
      c1="$(cpu_ticks $pids)"
      cpu_rate="$(us_per_req $(( c1 - c0 )) "$hreqs")"
    else
      p50=nan; p90=nan; p99=nan; rate=0; cpu_rate=nan; non200=0
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$round" "$rps" "$reqs" "$errs" "$cpu_max" \
      "$rss_peak" "$p50" "$p90" "$p99" "$rate" "$cpu_rate" "$non200" "$foreign" "$(cut -d' ' -f1 /proc/loadavg)" "${RSS_IDLE[$t]}" \
      "${RSS_IDLE_EACH[$t]}" "$rss_start" "$hwm_each" >>"$RESULTS"
    log "round $round/$ROUNDS $t: ${rps} req/s (${errs} errors, CPU$SERVER_CPU ${foreign}% foreign), ${cpu_max} µs CPU/req; @${RATE}/s p50 ${p50} p90 ${p90} p99 ${p99} ms (${rate} req/s, ${non200} non-200)"
  done
done

[ -n "${RESULTS_TSV:-}" ] && cp "$RESULTS" "$RESULTS_TSV"
if [ "${#ONLY[@]}" -gt 0 ]; then
  # The report compares every target with its peers: a subset gets its raw figures only (bench/cost.sh reads them).
  column -t -s $'\t' "$RESULTS"
  exit 0
fi

# ---------------------------------------------------------------- 3. the report
median() { # column target
  awk -F'\t' -v c="$1" -v t="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next }
    $1 == t && $col != "nan" { v[++n] = $col }
    END { if (n == 0) { print "nan"; exit }
          for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { x = v[i]; v[i] = v[j]; v[j] = x }
          if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2 }' "$RESULTS"
}
maxcol() { awk -F'\t' -v c="$1" -v t="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next } $1 == t && $col + 0 > m { m = $col + 0 } END { print m + 0 }' "$RESULTS"; }
sumcol() { awk -F'\t' -v c="$1" -v t="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next } $1 == t { s += $col } END { print s + 0 }' "$RESULTS"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "–"; else printf "%.2f", a / b }'; }
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan") print "–"; else printf "%+.1f", a - b }'; }
fmt0() { awk -v a="$1" 'BEGIN { if (a == "nan") print "–"; else printf "%.0f", a }'; }
fmt2() { awk -v a="$1" 'BEGIN { if (a == "nan") print "–"; else printf "%.2f", a }'; }
fmt1() { awk -v a="$1" 'BEGIN { if (a == "nan") print "–"; else printf "%.1f", a }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

declare -A M
for t in "${TARGETS[@]}"; do
  for c in rps cpu_us_max p50 p90 p99 rate cpu_us_rate; do M[$t.$c]="$(median "$c" "$t")"; done
  M[$t.rss_peak]="$(maxcol rss_peak_kb "$t")"
  M[$t.errors]="$(( $(sumcol errors "$t") + $(sumcol non200 "$t") ))"
done
READY_MS[direct]="${READY_MS[backend]}"; READY_MS[weft1hop]="${READY_MS[onehop]:-–}"; READY_MS[echo]="–"; READY_MS[echons]="–"; READY_MS[pair]="–"

COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || COMMIT="$COMMIT+dirty"
DATE="$(date -u +%Y-%m-%d)"
CPU_MODEL="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
MEM_TOTAL="$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
HEY_NOTE="hey $(dpkg-query -W -f '${Version}' hey 2>/dev/null || echo '?')"
[ "$HAVE_HEY" = 1 ] || HEY_NOTE="hey not available: latency at fixed rate NOT measured"

# A pair section's table: the pair's row, then each weft target measured in this run with its ÷ pair ratios.
pair_table() { # pair weft-targets...
  local pair="$1" t; shift
  local weft=(); for t in "$@"; do [[ " ${TARGETS[*]} " == *" $t "* ]] && weft+=("$t"); done
  echo "| target | max req/s | CPU µs/req @max | CPU µs/req @${RATE}/s | p50 ms @${RATE}/s | p90 ms | p99 ms | achieved req/s @${RATE}/s | RSS idle MB | RSS peak MB | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for t in "${weft[@]}" "$pair"; do
    echo "| ${LABEL[$t]} | $(fmt0 "${M[$t.rps]}") | $(fmt1 "${M[$t.cpu_us_max]}") | $(fmt1 "${M[$t.cpu_us_rate]}") | $(fmt1 "${M[$t.p50]}") | $(fmt1 "${M[$t.p90]}") | $(fmt1 "${M[$t.p99]}") | $(fmt0 "${M[$t.rate]}") | $(mb "${RSS_IDLE[$t]}") | $(mb "${M[$t.rss_peak]}") | ${M[$t.errors]} |"
  done
  for t in "${weft[@]}"; do
    echo "| **$t ÷ $pair** | $(ratio "${M[$t.rps]}" "${M[$pair.rps]}") | $(ratio "${M[$t.cpu_us_max]}" "${M[$pair.cpu_us_max]}") | $(ratio "${M[$t.cpu_us_rate]}" "${M[$pair.cpu_us_rate]}") | $(ratio "${M[$t.p50]}" "${M[$pair.p50]}") | $(ratio "${M[$t.p90]}" "${M[$pair.p90]}") | $(ratio "${M[$t.p99]}" "${M[$pair.p99]}") | | $(ratio "${RSS_IDLE[$t]}" "${RSS_IDLE[$pair]}") | $(ratio "${M[$t.rss_peak]}" "${M[$pair.rss_peak]}") | |"
  done
}

REPORT="$TMP/report.md"
{
  echo "# Weft data-plane benchmark"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit: \`$COMMIT\` (repo HEAD; +dirty = src/ differs from it), binary measured: \`$WEFT_VERSION\`"
  echo "- machine: $(nproc) CPUs ($CPU_MODEL), $MEM_TOTAL RAM, $(uname -sr)"
  echo "- tracing: $TRACE_NOTE; targets measured: ${TARGETS[*]}"
  echo "- tools: $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), $HEY_NOTE, $(h2load --version 2>&1 | head -1), $(socat -V 2>/dev/null | awk '/socat version/ {print "socat", $3; exit}'), $(nginx -v 2>&1 | sed 's/.*: //'), $(haproxy -v 2>&1 | head -1 | awk '{print "haproxy", $3}'), .NET $(dotnet --version)"
  echo "- pinning (taskset): load generator (wrk, hey) on CPU $LOAD_CPU; every proxy, the nginx backend and the whole local mesh (control plane, sidecars, echo) on CPU $SERVER_CPU"
  echo "- method: $ROUNDS interleaved rounds (${TARGETS[*]}), medians shown; per round: closed loop \`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s\`, then fixed rate \`hey -z ${LAT_DURATION}s -c $RATE_CONNS -q $(( RATE / RATE_CONNS ))\` (= $RATE req/s); HTTP/2 and gRPC targets: closed loop \`h2load -t1 -c$H2_CONNECTIONS -m$H2_STREAMS -D $DURATION\`, then fixed rate \`h2load -c $RATE_CONNS --rps $(( RATE / RATE_CONNS )) -m $H2_STREAMS -D $LAT_DURATION --log-file\` (= $RATE req/s; percentiles by nearest rank over every request's time in the log); ${WARMUP}s warm-up per target first"
  echo "- backend: nginx 1 worker, \`return 200 \"ok\\n\"\` on 127.0.0.1; nginx proxy: 1 worker, upstream keepalive 128; haproxy: nbthread 1, http mode, keep-alive, http-reuse always; weft: $WEFT_PROXY_NOTE, the inbound listener of the pod of \`weft up bench/onehop\` ($ONEHOP_IP:$ONEHOP_IN, \`weft.dev/mtls: permissive\`, inbound policy from its control plane), plain HTTP/1.1 with \`weft-dst-port: <backend port>\`, to the backend listening on the pod's address too"
  echo "- mesh: \`weft up bench/mesh\`; wrk/hey connect to the client pod's sidecar ($CLIENT_IP:$CLIENT_OUT) and send absolute-form \`GET $MESH_TARGET\` (Service \`bench/server\` ClusterIP) → server sidecar inbound → echo ($SERVER_IP:$ECHO_PORT); baseline is wrk/hey straight to the echo pod in the same run"
  [ "$NETNS" = 1 ] && echo "- netns mesh: \`weft up --isolation netns\` of the same manifests; wrk/hey run inside the client pod's network namespace (\`ip netns exec $CLIENT_NS\`) and send plain origin-form \`GET ${URL[meshns]}\` (the ClusterIP), which the pod's iptables rules redirect to its sidecar → server sidecar (mTLS over the bridge) → server pod's capture → echo ($SERVER_IP_NS:$ECHO_PORT); its baseline runs inside the server pod, straight to the echo over loopback"
  echo
  echo "## Proxies on the same nginx backend"
  echo
  echo "| target | max req/s | vs nginx | CPU µs/req @max | vs nginx | CPU µs/req @${RATE}/s | p50 ms @${RATE}/s | p90 ms | p99 ms | RSS idle MB | RSS peak MB | start→ready ms | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for t in direct nginx haproxy weft1hop; do
    echo "| ${LABEL[$t]} | $(fmt0 "${M[$t.rps]}") | $(ratio "${M[$t.rps]}" "${M[nginx.rps]}") | $(fmt1 "${M[$t.cpu_us_max]}") | $( [ "$t" = direct ] && echo – || ratio "${M[$t.cpu_us_max]}" "${M[nginx.cpu_us_max]}") | $(fmt1 "${M[$t.cpu_us_rate]}") | $(fmt1 "${M[$t.p50]}") | $(fmt1 "${M[$t.p90]}") | $(fmt1 "${M[$t.p99]}") | $(mb "${RSS_IDLE[$t]}") | $(mb "${M[$t.rss_peak]}") | ${READY_MS[$t]} | ${M[$t.errors]} |"
  done
  echo
  echo "Added latency over direct at ${RATE} req/s (p50 / p99, ms): nginx $(diff_ms "${M[nginx.p50]}" "${M[direct.p50]}") / $(diff_ms "${M[nginx.p99]}" "${M[direct.p99]}"), haproxy $(diff_ms "${M[haproxy.p50]}" "${M[direct.p50]}") / $(diff_ms "${M[haproxy.p99]}" "${M[direct.p99]}"), weft $(diff_ms "${M[weft1hop.p50]}" "${M[direct.p50]}") / $(diff_ms "${M[weft1hop.p99]}" "${M[direct.p99]}")."
  echo
  echo "## Mesh path (two sidecars) vs direct to the echo pod"
  echo
  echo "| target | max req/s | vs direct | CPU µs/req @max | CPU µs/req @${RATE}/s | p50 ms @${RATE}/s | p90 ms | p99 ms | RSS idle MB | RSS peak MB | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for t in echo mesh; do
    echo "| ${LABEL[$t]} | $(fmt0 "${M[$t.rps]}") | $(ratio "${M[$t.rps]}" "${M[echo.rps]}") | $(fmt1 "${M[$t.cpu_us_max]}") | $(fmt1 "${M[$t.cpu_us_rate]}") | $(fmt1 "${M[$t.p50]}") | $(fmt1 "${M[$t.p90]}") | $(fmt1 "${M[$t.p99]}") | $(mb "${RSS_IDLE[$t]}") | $(mb "${M[$t.rss_peak]}") | ${M[$t.errors]} |"
  done
  echo
  echo "Mesh path added latency over direct-to-echo at ${RATE} req/s: p50 $(diff_ms "${M[mesh.p50]}" "${M[echo.p50]}") ms, p99 $(diff_ms "${M[mesh.p99]}" "${M[echo.p99]}") ms; max throughput ratio mesh/direct $(ratio "${M[mesh.rps]}" "${M[echo.rps]}"); two-sidecar CPU per request vs one nginx hop: $(ratio "${M[mesh.cpu_us_max]}" "${M[nginx.cpu_us_max]}")× at max load."
  echo "\`weft up bench/mesh\` start → all pods ready: ${READY_MS[mesh]} ms."
  echo
  echo "## Mesh path vs an nginx mTLS pair (issue 18's yardstick)"
  echo
  pair_table pair mesh meshns
  echo
  echo "The pair: ECDSA P-256 certificates made by the run, TLS 1.3, \`ssl_verify_client on\` at B, upstream keep-alive and TLS session reuse at A; both nginx pinned with the mesh, each 1 worker. mesh = process mode (absolute-form requests to the client sidecar, as with HTTP_PROXY); meshns = pods in network namespaces (plain requests captured by iptables), its own echo pod; the pair uses the process-mode mesh's echo pod."
  echo
  echo "## HTTP/2 mesh path vs pair"
  echo
  pair_table h2pair h2mesh h2meshns
  echo
  echo "\`GET /\` over h2c with prior knowledge, HTTP/2 on every hop: the sidecars speak HTTP/2 to each other (mTLS) and h2c to the echo when the client does; the pair is nginx A (\`listen … http2\`, plain) → \`grpc_pass grpcs://\` (nginx's HTTP/2 upstream, one request per upstream connection, keep-alive $PAIR_H2_KEEPALIVE) → nginx B (\`listen … ssl http2\`, \`ssl_verify_client on\`) → \`grpc_pass grpc://\` → the echo's h2c port. h2mesh reaches the process-mode client sidecar through a socat CONNECT shim on the load CPU (the sidecar takes h2c only inside a CONNECT tunnel): an extra relay the pair does not have, so its req/s and latency are pessimistic; h2meshns is an app in the client pod sending h2c to the ClusterIP, captured, no shim."
  echo
  echo "## gRPC mesh path vs pair"
  echo
  pair_table grpcpair grpcmesh grpcmeshns
  echo
  echo "Unary \`proto.EchoTestService/Echo\` calls (the echo pod's gRPC port; the Service port declares \`appProtocol: grpc\`), the same prepared request each time (\`h2load -d\`, content-type application/grpc, te: trailers); failed calls counted from the reply bytes (h2load does not read grpc-status). Paths and shim as for HTTP/2."
  if [ "$NETNS" = 1 ]; then
    echo
    echo "## Mesh path with pods in network namespaces (traffic captured by iptables)"
    echo
    echo "| target | max req/s | vs direct | vs process-mode mesh | CPU µs/req @max | CPU µs/req @${RATE}/s | p50 ms @${RATE}/s | p90 ms | p99 ms | RSS idle MB | RSS peak MB | errors |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for t in echons meshns; do
      echo "| ${LABEL[$t]} | $(fmt0 "${M[$t.rps]}") | $(ratio "${M[$t.rps]}" "${M[echons.rps]}") | $( [ "$t" = meshns ] && ratio "${M[meshns.rps]}" "${M[mesh.rps]}" || echo –) | $(fmt1 "${M[$t.cpu_us_max]}") | $(fmt1 "${M[$t.cpu_us_rate]}") | $(fmt1 "${M[$t.p50]}") | $(fmt1 "${M[$t.p90]}") | $(fmt1 "${M[$t.p99]}") | $(mb "${RSS_IDLE[$t]}") | $(mb "${M[$t.rss_peak]}") | ${M[$t.errors]} |"
    done
    echo
    echo "Netns mesh added latency over its direct-to-echo at ${RATE} req/s: p50 $(diff_ms "${M[meshns.p50]}" "${M[echons.p50]}") ms, p99 $(diff_ms "${M[meshns.p99]}" "${M[echons.p99]}") ms; max throughput ratio $(ratio "${M[meshns.rps]}" "${M[echons.rps]}"); two-sidecar CPU per request vs the process-mode mesh: $(ratio "${M[meshns.cpu_us_max]}" "${M[mesh.cpu_us_max]}")× at max load. \`weft up --isolation netns\` start → all pods ready: ${READY_MS[meshns]} ms."
    if [ -n "${PAIRNS_C:-}" ]; then
      echo
      echo "### Against the nginx mTLS pair in network namespaces of its own"
      echo
      echo "The pair above runs on the host's loopback; here the same two nginx configurations run in two namespaces wired as the pods are (a veth each on a bridge), the load generator in the client one talking to nginx A over its loopback, nginx B in the server one with an echo of its own over loopback, A → B mTLS over the bridge. What the mesh pays besides is its capture (iptables redirects in both pods)."
      for t in pairns:meshns h2pairns:h2meshns grpcpairns:grpcmeshns; do
        echo
        pair_table "${t%%:*}" "${t#*:}"
      done
    fi
  fi
  echo
  echo "## Memory of each process"
  echo
  echo "Issue 18's memory target is per sidecar (≤ 20 MB idle, ≤ 40 MB at peak, each). Idle: VmRSS when the idle RSS above is read. Peaks are each process's own VmHWM (the kernel's high-water mark of its RSS, not a sample), reset to its current RSS just before the load. First load: the target's ${WARMUP} s warm-up, its first load, from the idle RSS, or for the sidecars' HTTP/2 and gRPC targets from what their HTTP/1.1 (and HTTP/2) warm-up left. Rounds: the largest over the target's closed-loop runs, and in brackets the RSS that run started from: what every target's warm-up and the earlier runs left (a sidecar gives memory back only after 30-60 s without requests), which the peak cannot go below."
  [ "$HWM_RESET" = 1 ] || echo "**The peaks are not known in this run:** resetting VmHWM (/proc/PID/clear_refs) needs root, as the sidecars are not dumpable; the columns show –."
  echo
  echo "| target | process | RSS idle MB | peak MB, first load | peak MB, rounds (from) |"
  echo "|---|---|---:|---:|---:|"
  for t in weft1hop nginx haproxy mesh h2mesh grpcmesh meshns h2meshns grpcmeshns pair h2pair grpcpair pairns h2pairns grpcpairns; do
    [[ " ${TARGETS[*]} " == *" $t "* ]] || continue
    awk -F'\t' -v t="$t" -v names="${PROC_NAMES[$t]}" -v idle="${RSS_IDLE_EACH[$t]}" -v first="${FIRST_HWM[$t]}" -v known="$HWM_RESET" '
      NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "hwm_each_kb") col = i; if ($i == "rss_start_each_kb") scol = i }; next }
      $1 == t { k = split($col, v, "/"); split($scol, st, "/"); for (i = 1; i <= k; i++) if (v[i] + 0 > m[i]) { m[i] = v[i] + 0; from[i] = st[i] + 0 } }
      END { n = split(names, nm, "/"); split(idle, id, "/"); split(first, f, "/")
            for (i = 1; i <= n; i++)
              if (known == 1) printf "| %s | %s | %.1f | %.1f | %.1f (%.1f) |\n", t, nm[i], id[i] / 1024, f[i] / 1024, m[i] / 1024, from[i] / 1024
              else printf "| %s | %s | %.1f | – | – |\n", t, nm[i], id[i] / 1024 }' "$RESULTS"
  done
  echo
  echo "## Notes"
  echo
  echo "- Noise: the machine is shared. \`foreign_cpu%\` in the raw table is the share of CPU $SERVER_CPU used, during each closed-loop run, by anything other than the benchmark's server-side processes (other jobs, unattributed kernel work) — median $(for t in "${TARGETS[@]}"; do printf '%s %s%%, ' "$t" "$(median 'foreign_cpu%' "$t")"; done | sed 's/, $//'). Req/s and latency suffer from it; CPU µs/req (a process's own CPU time) much less, so the CPU ratios are the steadier comparison."
  echo "- Closed-loop figures: wrk keeps $CONNECTIONS connections busy; with everything server-side on one CPU the proxy and the backend compete for it, so max req/s is a CPU-efficiency figure, not a capacity claim."
  echo "- CPU µs/req = Δ(utime+stime) of the measured processes from /proc/PID/stat over the run ÷ requests completed (tick = $(( 1000000 / CLK_TCK )) µs); nginx figures include master+worker; the mesh figure is both sidecars (not the echo apps or the control plane)."
  echo "- Latency: hey with a per-worker rate limit ($RATE_CONNS workers × $(( RATE / RATE_CONNS )) req/s). hey is a paced closed loop, not open-loop like wrk2: a stall longer than the 10 ms pacing interval delays later sends instead of being counted against them (coordinated omission), so p99 is a lower bound when stalls happen. hey reports to 0.1 ms. The achieved rate is in the raw log; every run reached ≈$RATE req/s unless noted. h2load's \`--rps\` sends on a timer, up to $H2_STREAMS streams in flight per connection, so a slow response does not hold back the next send (closer to open loop than hey); its per-request times are in µs. The HTTP/2 and gRPC tables show the rate h2load achieved."
  echo "- RSS: VmRSS from /proc/PID/status; idle = before any load, IDLE_SETTLE s (${IDLE_SETTLE}) after the checks' requests; peak = max of 0.2 s samples of the processes' sum during the target's closed-loop runs (each process's exact peak: the table above). mesh/h2mesh/grpcmesh share the process-mode sidecars (meshns/h2meshns/grpcmeshns the netns ones, pair/h2pair/grpcpair the two nginx), which keep what one target's load made them take, and the warm-up runs every target first: each of those peaks is the high-water mark of the HTTP/1.1, HTTP/2 and gRPC loads together."
  echo "- start→ready: weft1hop = \`weft up bench/onehop\` launch until its ready file (control plane, the sidecar's certificate and inbound policy, the sidecar's \`/ready\`), not the sidecar's own start alone; nginx/haproxy = launch until the listener accepts a TCP connection."
  echo
  echo "<details><summary>raw per-round figures</summary>"
  echo
  echo '```'
  column -t -s $'\t' "$RESULTS"
  echo '```'
  echo
  echo "Mesh check, the sidecars' own counters after the run (\`GET /stats\` on each admin port) — the server sidecar's inbound count shows the traffic crossed both proxies:"
  echo
  echo '```'
  echo "client sidecar: $(curl -s -m 5 "http://$CLIENT_IP:$(jq -r '.pods[] | select(.deployment=="client") | .sidecar.admin' "$TMP/mesh.json")/stats" | jq -c . 2>/dev/null)"
  echo "server sidecar: $(curl -s -m 5 "http://$SERVER_IP:$(jq -r '.pods[] | select(.deployment=="server") | .sidecar.admin' "$TMP/mesh.json")/stats" | jq -c . 2>/dev/null)"
  echo '```'
  echo
  echo "</details>"
} >"$REPORT"

mkdir -p "$BENCH/results"
SUFFIX=""; [ "$QUICK" = 1 ] && SUFFIX="-quick"
OUT="$BENCH/results/$DATE-${COMMIT}${SUFFIX}.md"
cp "$REPORT" "$OUT"
if [ "$UPDATE" = 1 ]; then
  # The full run replaces the top of RESULTS.md, up to its end marker; the focused measurements below it stay.
  MARK='<!-- end of the full run'
  if grep -q "^$MARK" "$BENCH/RESULTS.md" 2>/dev/null; then
    { cat "$REPORT"; echo; sed -n "/^$MARK/,\$p" "$BENCH/RESULTS.md"; } >"$TMP/RESULTS.md" && cp "$TMP/RESULTS.md" "$BENCH/RESULTS.md"
  else
    cp "$REPORT" "$BENCH/RESULTS.md"
  fi
  log "wrote $BENCH/RESULTS.md"
fi
cat "$REPORT"
log "wrote $OUT"
