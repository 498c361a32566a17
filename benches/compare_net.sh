#!/usr/bin/env bash
# `tosim net` before and after a change, side by side in one run: the shipped
# digits MLP (64-32-10, 450 test samples) and an MNIST-sized 784-256-10 ReLU
# MLP (fixed-seed random weights and 8 random images, through `tosim sweep`),
# in int8, int16 and fp32, zero delay.
#
#   benches/compare_net.sh [BEFORE_REV] [RUNS]     (defaults: 0cbdfe1 5)
#
# BEFORE_REV is built once in $TOSIM_CACHE/before-<rev> (default cache
# ~/.cache/tosim), the current tree in target/release. Every configuration
# runs RUNS times, the two binaries alternating, and the script prints the
# median wall and CPU (user + system) time of each, and the gate evaluations
# per second of the current tree's network path (work = every simulated
# operation × its unit's instructions; `tosim net` and `tosim sweep` print
# it on standard error). With RAYON_NUM_THREADS=1 the rate is per core,
# comparable with the engine's single-core rate (`cargo bench --bench sim`).
set -euo pipefail
BEFORE=${1:-0cbdfe1}
RUNS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${TOSIM_CACHE:-$HOME/.cache/tosim}
OLD="$CACHE/before-$BEFORE"
cd "$ROOT"
if [ ! -x "$OLD/target/release/tosim" ]; then
  rm -rf "$OLD"
  git worktree add --detach "$OLD" "$BEFORE" >/dev/null
  (cd "$OLD" && cargo build --release --quiet)
fi
cargo build --release --quiet
NEW="$ROOT/target/release/tosim"
OLDBIN="$OLD/target/release/tosim"

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# run BIN ARGS... -> "wall cpu" seconds; the stderr of the last run in $WORK/err
WORK=$(mktemp -d)
run() {
  local bin=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$WORK/t" "$bin" "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err"; exit 1; }
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$WORK/t"
}

printf '%-10s %-6s %12s %12s %12s %12s %9s %14s %14s\n' model format "before wall" "before cpu" "after wall" "after cpu" "speed-up" "gate-ev/s wall" "gate-ev/s run"
for model in digits mlp784; do
  for f in int8 int16 fp32; do
    if [ "$model" = digits ]; then
      args=(net --format "$f")
    else
      args=(sweep --depth 1 --width 256 --activation relu --batch-norm off --data random --inputs 784
            --outputs 10 --samples 8 --format "$f")
    fi
    : > "$WORK/old"; : > "$WORK/new"
    for _ in $(seq "$RUNS"); do
      run "$OLDBIN" "${args[@]}" >> "$WORK/old"
      run "$NEW" "${args[@]}" >> "$WORK/new"
    done
    evals=$(grep -o '[0-9]* gate evaluations\|gate evaluations: [0-9]*' "$WORK/err" | grep -o '[0-9]*' | head -1 || true)
    # `tosim net` also prints the rate of the run alone (model loading and unit building excluded).
    rate=$(grep -o '= [0-9.e+]*/s' "$WORK/err" | grep -o '[0-9.e+]*' | head -1 || true)
    ow=$(cut -d' ' -f1 "$WORK/old" | median); oc=$(cut -d' ' -f2 "$WORK/old" | median)
    nw=$(cut -d' ' -f1 "$WORK/new" | median); nc=$(cut -d' ' -f2 "$WORK/new" | median)
    awk -v m="$model" -v f="$f" -v ow="$ow" -v oc="$oc" -v nw="$nw" -v nc="$nc" -v e="${evals:-0}" -v r="${rate:--}" \
      'BEGIN {printf "%-10s %-6s %12.3f %12.3f %12.3f %12.3f %8.2fx %14.3e %14s\n", m, f, ow, oc, nw, nc, ow / nw, e / nw, r}'
  done
done
rm -rf "$WORK"
