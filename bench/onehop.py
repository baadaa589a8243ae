#!/usr/bin/env python3
"""One proxy hop only, JIT sidecar vs Native AOT sidecar vs nginx, interleaved (see bench/README.md).

    bench/onehop.py [--rounds 3] [--duration 5] [--starts 5] [--skip-publish]

bench/run.sh measures the whole picture (haproxy, the mesh path); this is the quick loop for proxy-host changes
(GC, Kestrel, AOT settings): the same backend, pinning and wrk/hey invocations as run.sh's `weft1hop`, with the
`dotnet weft.dll proxy` build and the `bench/publish-proxy.sh` binary side by side, so their ratio comes from one run.
Each weft build's sidecar is the one pod of its own `weft up bench/onehop --isolation process` (as run.sh's `weft1hop`:
its identity and inbound policy from that mesh's control plane, `weft.dev/mtls: permissive`), and the backend nginx also
listens on each pod's address. Traffic stays on 127.0.0.0/8; every process is started here and stopped on exit.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOAD_CPU = os.environ.get("LOAD_CPU", "1")
SERVER_CPU = os.environ.get("SERVER_CPU", "0")
TCK = os.sysconf("SC_CLK_TCK")
started = []


def log(msg):
    print(f"[onehop {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd, out):
    p = subprocess.Popen(["taskset", "-c", SERVER_CPU, *cmd], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    started.append(p)
    return p


def stop(p, grace=5):
    """SIGTERM, then after `grace` seconds SIGKILL to the process group it leads (its own session: start())."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def descendants(pid):
    out = []
    for child in children(pid):
        out += [child, *descendants(child)]
    return out


def http_ok(port, path, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            return b" 200" in s.recv(64)
    except OSError:
        return False


def wait_ready(check, t0, timeout=60):
    while time.monotonic() - t0 < timeout:
        if check():
            return (time.monotonic() - t0) * 1000
        time.sleep(0.001)
    raise RuntimeError("not ready")


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def children(pid):
    """Every thread's children (a .NET process starts its children from pool threads, not only its main one)."""
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                rest = f.read().rsplit(") ", 1)[1].split()
            total += int(rest[11]) + int(rest[12])
        except OSError:
            pass
    return total


def rss_kb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        except (OSError, AttributeError):
            pass
    return total


class PeakRss:
    def __init__(self, pids):
        self.pids, self.peak, self._stop = pids, 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pids))
            self._stop.wait(0.2)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def measure(cmd, pids):
    """Runs one load command pinned to LOAD_CPU; returns (stdout, cpu µs of pids, peak RSS kB)."""
    before = ticks(pids)
    with PeakRss(pids) as peak:
        out = subprocess.run(["taskset", "-c", LOAD_CPU, *cmd], capture_output=True, text=True, check=False).stdout
    return out, (ticks(pids) - before) * 1_000_000 / TCK, peak.peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--starts", type=int, default=2, help="extra cold starts of weft up bench/onehop per weft build for start->ready")
    ap.add_argument("--skip-publish", action="store_true")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--variant", action="append", default=[], metavar="NAME:VAR=V,VAR=V",
                    help="an extra AOT target with runtime settings, e.g. gen0-4m:DOTNET_GCgen0size=0x400000")
    ap.add_argument("--no-jit", action="store_true", help="leave out the dotnet weft.dll proxy target")
    a = ap.parse_args()

    weft_dll = os.path.join(ROOT, "artifacts/weft/weft.dll")
    aot_bin = os.environ.get("WEFT_PROXY_BIN", os.path.join(ROOT, "artifacts/weft-proxy/weft-proxy"))
    if not a.skip_publish:
        subprocess.run([os.path.join(ROOT, "bench/publish-proxy.sh")], check=True, stdout=subprocess.DEVNULL)
    for tool in ("nginx", "wrk", "hey", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"onehop: {tool} missing (bench/run.sh installs it)")
    tmp = tempfile.mkdtemp(prefix="weft-onehop.")
    os.makedirs(f"{tmp}/t", exist_ok=True)
    backend, nginx_port = free_port(), free_port()
    common = f"pid {tmp}/%s.pid; error_log {tmp}/%s-error.log; events {{ worker_connections 4096; }}\n"
    temps = " ".join(f"{k}_temp_path {tmp}/t/%s-{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    with open(f"{tmp}/nginx.conf", "w") as f:
        f.write("worker_processes 1; " + common % ("p", "p") + "http { access_log off; " + temps % (("p",) * 5)
                + f" upstream be {{ server 127.0.0.1:{backend}; keepalive 128; }}"
                + f" server {{ listen 127.0.0.1:{nginx_port}; keepalive_requests 1000000; location / {{ proxy_pass http://be;"
                + " proxy_http_version 1.1; proxy_set_header Connection \"\"; } } }\n")

    variants = {"weft-aot": {}}
    for v in a.variant:
        name, _, settings = v.partition(":")
        variants[f"aot-{name}"] = dict(kv.split("=", 1) for kv in settings.split(",") if kv)
    kinds = ([] if a.no_jit else ["weft-jit"]) + list(variants)

    def weft_up(kind, ready_file):
        """`weft up bench/onehop` with kind's sidecar binary and settings (weft up's children inherit its environment)."""
        env = {k: v for k, v in os.environ.items() if k != "WEFT_PROXY_BIN"}
        if kind != "weft-jit":
            env.update(WEFT_PROXY_BIN=aot_bin, **variants[kind])
        cmd = ["dotnet", weft_dll, "up", os.path.join(ROOT, "bench/onehop"), "--isolation", "process",
               "--ready-file", ready_file, "--timeout", "120", *(["--sidecar", "jit"] if kind == "weft-jit" else [])]
        p = subprocess.Popen(["taskset", "-c", SERVER_CPU, *cmd], stdout=open(f"{ready_file}.out", "w"), stderr=subprocess.STDOUT,
                             start_new_session=True, env=env)
        started.append(p)
        return p

    def wait_file(path, t0, timeout=150):
        return wait_ready(lambda: os.path.exists(path) and os.path.getsize(path) > 0, t0, timeout)

    try:
        targets = {}
        ups = {}
        for kind in kinds:
            readies = []
            for i in range(a.starts):  # cold starts: launch until the ready file, then stop
                t0 = time.monotonic()
                p = weft_up(kind, f"{tmp}/{kind}-start{i}.json")
                readies.append(wait_file(f"{tmp}/{kind}-start{i}.json", t0))
                stop(p, grace=30)
            t0 = time.monotonic()
            p = weft_up(kind, f"{tmp}/{kind}.json")
            readies.append(wait_file(f"{tmp}/{kind}.json", t0))
            with open(f"{tmp}/{kind}.json") as f:
                pod = json.load(f)["pods"][0]
            sidecar = next(pid for pid in descendants(p.pid) if f"proxy --pod onehop/{pod['name']}" in cmdline(pid))
            ups[kind] = p
            targets[kind] = dict(host=pod["ip"], port=pod["sidecar"]["inbound"], pids=[sidecar], ready=readies,
                                 hdr=["-H", f"weft-dst-port: {backend}"])
        # The backend also listens on each pod's address: the sidecar forwards to its pod's app port.
        listens = "".join(f" listen {t['host']}:{backend};" for t in targets.values())
        with open(f"{tmp}/backend.conf", "w") as f:
            f.write("worker_processes 1; " + common % ("b", "b") + "http { access_log off; " + temps % (("b",) * 5)
                    + f" server {{ listen 127.0.0.1:{backend};{listens} keepalive_requests 1000000; location / {{ return 200 \"ok\\n\"; }} }} }}\n")
        be = start(["nginx", "-p", tmp, "-g", "daemon off;", "-c", f"{tmp}/backend.conf"], subprocess.DEVNULL)
        wait_ready(lambda: http_ok(backend, "/"), time.monotonic())
        t0 = time.monotonic()
        p = start(["nginx", "-p", tmp, "-g", "daemon off;", "-c", f"{tmp}/nginx.conf"], subprocess.DEVNULL)
        ready = wait_ready(lambda: http_ok(nginx_port, "/"), t0)
        targets = {"nginx": dict(host="127.0.0.1", port=nginx_port, head=p.pid, ready=[ready], hdr=[]), **targets}
        time.sleep(1)
        # Counted as the benchmark's own CPU, not foreign: the backend, and each weft up's control plane and placeholder app.
        backend_pids = [be.pid, *children(be.pid), *(q for u in ups.values() for q in [u.pid, *descendants(u.pid)])]
        for name, t in targets.items():
            if "pids" not in t:
                t["pids"] = [t["head"], *children(t["head"])]  # nginx: master + worker; taskset execs in place
            t["rss_idle"] = rss_kb(t["pids"]) / 1024
            t["runs"] = []
            check = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *t["hdr"], f"http://{t['host']}:{t['port']}/"],
                                   capture_output=True, text=True, check=False).stdout
            if check != "200":
                sys.exit(f"onehop: {name} answered {check!r}, not 200")
        log(f"warm-up; load on CPU {LOAD_CPU}, servers on CPU {SERVER_CPU}; loadavg {os.getloadavg()[0]:.2f}")
        for t in targets.values():
            measure(["wrk", "-t1", "-c", str(a.connections), "-d2s", *t["hdr"], f"http://{t['host']}:{t['port']}/"], t["pids"])
        for r in range(1, a.rounds + 1):
            for name, t in targets.items():
                url = f"http://{t['host']}:{t['port']}/"
                busy0 = cpu_busy()
                own0 = ticks(all_pids(targets) + backend_pids)
                out, cpu_us, peak = measure(["wrk", "-t1", "-c", str(a.connections), f"-d{a.duration}s", *t["hdr"], url], t["pids"])
                foreign = max(0, (cpu_busy() - busy0) - (ticks(all_pids(targets) + backend_pids) - own0)) / (a.duration * TCK) * 100
                reqs = int(re.search(r"(\d+) requests in", out).group(1))
                rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
                errs = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
                hout, rate_us, rate_peak = measure(["hey", "-z", f"{a.duration}s", "-c", "10", "-q", "100", *t["hdr"], url], t["pids"])
                hreqs = sum(int(n) for n in re.findall(r"\[2\d\d\]\s+(\d+) responses", hout)) or 1
                p99 = re.search(r"99% in ([\d.]+) secs", hout)
                run = dict(rps=rps, cpu=cpu_us / max(reqs, 1), peak=peak / 1024, rate_cpu=rate_us / hreqs,
                           rate_rss=rate_peak / 1024, p99=float(p99.group(1)) * 1000 if p99 else float("nan"),
                           foreign=foreign, errs=errs, load=os.getloadavg()[0])
                t["runs"].append(run)
                log(f"round {r} {name:9s} {rps:9.0f} req/s {run['cpu']:6.1f} µs/req  @1000/s {run['rate_cpu']:6.1f} µs/req "
                    f"{run['rate_rss']:5.1f} MB p99 {run['p99']:.1f} ms  errors {errs} foreign {foreign:3.0f}%  load {run['load']:.1f}")
        report(targets)
    finally:
        for p in reversed(started):
            stop(p, grace=30)
        shutil.rmtree(tmp, ignore_errors=True)
    for kind, settings in variants.items():
        if settings:
            print(f"- {kind}: {' '.join(f'{k}={v}' for k, v in settings.items())}")


def all_pids(targets):
    return [p for t in targets.values() for p in t.get("pids", [])]


def cpu_busy():
    with open("/proc/stat") as f:
        for line in f:
            parts = line.split()
            if parts[0] == f"cpu{SERVER_CPU}":
                v = [int(x) for x in parts[1:]]
                return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    return 0


def report(targets):
    med = lambda t, k: statistics.median(r[k] for r in t["runs"])
    n = targets["nginx"]
    print(f"\none hop, medians of {len(n['runs'])} interleaved rounds (wrk -t1 -c50 closed loop; hey 1000 req/s)\n")
    print("| target | max req/s | ÷ nginx | CPU µs/req @max | ÷ nginx | CPU µs/req @1000/s | p99 ms @1000/s "
          "| RSS idle MB | RSS peak @max MB | RSS @1000/s MB | start→ready ms (median; weft: weft up → its ready file) | foreign cpu% |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, t in targets.items():
        print(f"| {name} | {med(t, 'rps'):.0f} | {med(t, 'rps') / med(n, 'rps'):.2f} | {med(t, 'cpu'):.1f} "
              f"| {med(t, 'cpu') / med(n, 'cpu'):.2f} | {med(t, 'rate_cpu'):.1f} | {med(t, 'p99'):.1f} | {t['rss_idle']:.1f} "
              f"| {med(t, 'peak'):.1f} | {med(t, 'rate_rss'):.1f} | {statistics.median(t['ready']):.0f} | {med(t, 'foreign'):.0f} |")


if __name__ == "__main__":
    main()
