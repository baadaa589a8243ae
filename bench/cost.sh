#!/usr/bin/env bash
# What the sidecar's golden metrics and tracing (issue 16) cost, measured: the Native AOT sidecar of an earlier commit
# (BEFORE, default 0dba9e4: main just before issue 16's metrics and tracing landed) against this tree's, with tracing
# off and with tracing at 1% sampling, each in its own bench/run.sh run of one round. The three alternate (before, off,
# sampled, then off, sampled, before, ...: each round starts one further on) so that a shared machine's drifts fall on
# all of them alike; the report is the median per variant and target, and each figure's ratio to BEFORE's.
#
#   bench/cost.sh [BEFORE]     ROUNDS [5] alternations; BENCH_TARGETS [mesh]; SAMPLING [0.01]; NETNS [0];
#                              DURATION, RATE and the other knobs as bench/run.sh (--help)
#
# BEFORE is checked out as a git worktree under artifacts/bench-before/ and built there (its CLI and its AOT sidecar)
# unless already built; it runs this tree's bench/run.sh, so the harness is the same for every variant. The report goes
# to standard output and to bench/results/DATE-cost-BEFORE-HEAD.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BEFORE="${1:-0dba9e4}"
ROUNDS="${ROUNDS:-5}"
SAMPLING="${SAMPLING:-0.01}"
export BENCH_TARGETS="${BENCH_TARGETS:-mesh}"
export NETNS="${NETNS:-0}"
unset WEFT_PROXY_BIN # each variant's run.sh --aot takes its own tree's binary

log() { printf '[cost %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

BEFORE_SHA="$(git -C "$ROOT" rev-parse --short "$BEFORE^{commit}")" || die "no commit $BEFORE"
HEAD_SHA="$(git -C "$ROOT" rev-parse --short HEAD)"
git -C "$ROOT" diff --quiet HEAD -- src || HEAD_SHA="$HEAD_SHA+dirty"
TREE="$ROOT/artifacts/bench-before/$BEFORE_SHA"

# ---------------------------------------------------------------- builds
if [ ! -d "$TREE" ]; then
  log "checking out $BEFORE_SHA in $TREE"
  git -C "$ROOT" worktree add --detach "$TREE" "$BEFORE_SHA" >/dev/null
fi
# The same harness for every variant: this tree's run.sh, the mesh's manifests and the wrk script.
cp "$ROOT/bench/run.sh" "$ROOT/bench/absolute-form.lua" "$TREE/bench/"
rm -rf "$TREE/bench/mesh" && cp -r "$ROOT/bench/mesh" "$TREE/bench/mesh"
for tree in "$TREE" "$ROOT"; do
  log "building the CLI and the AOT sidecar in $tree"
  "$tree/weft" version >/dev/null || die "the CLI in $tree did not build"
  if [ ! -x "$tree/artifacts/weft-proxy/weft-proxy" ] || [ "$tree" = "$ROOT" ]; then
    "$tree/bench/publish-proxy.sh" >/dev/null || die "the AOT sidecar in $tree did not build"
  fi
done

OUT="$(mktemp -d /tmp/weft-cost.XXXXXX)"
trap 'if [ $? = 0 ]; then rm -rf "$OUT"; else log "kept the raw figures in $OUT"; fi' EXIT

# ---------------------------------------------------------------- runs
run_variant() { # name round: before is BEFORE's tree, off and sampled this one's
  local name="$1" round="$2" tree="$ROOT" sampling=""
  case "$name" in
    before) tree="$TREE" ;;
    sampled) sampling="$SAMPLING" ;;
  esac
  log "round $round/$ROUNDS: $name"
  if ! SKIP_BUILD=1 ROUNDS=1 TRACE_SAMPLING="$sampling" RESULTS_TSV="$OUT/$name-$round.tsv" \
      "$tree/bench/run.sh" --aot >"$OUT/$name-$round.log" 2>&1; then
    tail -20 "$OUT/$name-$round.log" >&2
    die "$name, round $round: bench/run.sh failed"
  fi
}
VARIANTS=(before off sampled)
for round in $(seq 1 "$ROUNDS"); do
  for k in 0 1 2; do run_variant "${VARIANTS[$(( (round - 1 + k) % 3 ))]}" "$round"; done
done

# ---------------------------------------------------------------- report
REPORT="$OUT/report.md"
python3 - "$OUT" "$BEFORE_SHA" "$HEAD_SHA" "$SAMPLING" "$ROUNDS" "${RATE:-1000}" >"$REPORT" <<'EOF'
import glob, os, statistics, sys
out, before, head, sampling, rounds, rate = sys.argv[1:]
rows, raw = {}, []
def run_of(path):  # before-3.tsv -> ("before", 3)
    variant, number = os.path.basename(path)[:-len(".tsv")].rsplit("-", 1)
    return variant, int(number)
for path in sorted(glob.glob(os.path.join(out, "*-[0-9]*.tsv")), key=run_of):
    variant, number = run_of(path)
    with open(path) as f:
        cols = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(cols, line.rstrip("\n").split("\t")))
            row["round"] = str(number)  # each run.sh run is one round: this is cost.sh's
            rows.setdefault((variant, row["target"]), []).append(row)
            raw.append("\t".join([variant] + [row[c] for c in cols]))

def med(variant, target, col):
    vals = [float(r[col]) for r in rows.get((variant, target), []) if r[col] not in ("nan", "")]
    return statistics.median(vals) if vals else float("nan")

variants = [("before", f"before ({before})"), ("off", f"{head}, tracing off"), ("sampled", f"{head}, tracing at {sampling}")]
figures = [("rps", "max req/s", 0), ("cpu_us_max", "CPU µs/req @max", 1), ("cpu_us_rate", f"CPU µs/req @{rate}/s", 1),
           ("p50", f"p50 ms @{rate}/s", 1), ("p99", f"p99 ms @{rate}/s", 1), ("rss_idle_kb", "RSS idle MB", 1),
           ("rss_peak_kb", "RSS peak MB", 1)]
targets = sorted({t for (_, t) in rows})
print(f"| target | variant | " + " | ".join(label for _, label, _ in figures) + " | errors |")
print("|---|---|" + "---:|" * (len(figures) + 1))
for t in targets:
    for v, label in variants:
        cells = []
        for col, _, digits in figures:
            x = med(v, t, col)
            if col.endswith("_kb"):
                x /= 1024
            cell = f"{x:.{digits}f}"
            if v != "before":
                b = med("before", t, col) / (1024 if col.endswith("_kb") else 1)
                cell += f" ({x / b:.3f})" if b == b and b else ""
            cells.append(cell)
        errors = sum(int(r["errors"]) + int(r["non200"]) for r in rows.get((v, t), []))
        print(f"| {t} | {label} | " + " | ".join(cells) + f" | {errors} |")
print()
print(f"Medians of {rounds} rounds of before, off and sampled (each round starting one further on), each a "
      "bench/run.sh --aot run of one round; in brackets the ratio to before in the same table.")
print()
print("<details><summary>raw per-round figures</summary>")
print()
print("```")
print("variant\t" + "\t".join(cols))
print("\n".join(raw))
print("```")
print()
print("</details>")
EOF

mkdir -p "$ROOT/bench/results"
cp "$REPORT" "$ROOT/bench/results/$(date -u +%Y-%m-%d)-cost-$BEFORE_SHA-$HEAD_SHA.md"
cat "$REPORT"
