#!/usr/bin/env bash
# Zero-delay simulation with per-net toggle counting: tosim against Verilator
# on the same netlist and the same operand stream, one core each.
#
#   benches/compare_verilator.sh [OPS] [WIDTH]      (defaults: 1000000 32)
#
# 1. Yosys synthesises behavioural `a*b` (WIDTH×WIDTH) to simple gates
#    (`synth -flatten; abc -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX`) and
#    writes Yosys JSON (32×32: about 6,200 gates).
# 2. awk writes OPS random operand pairs (srand(1)), one per line, 0x hex.
# 3. tosim imports the JSON and simulates the stream with per-net counts
#    (RAYON_NUM_THREADS=1, --timing reports the simulation time alone).
# 4. tosim exports the imported netlist as Verilog; a wrapper probes every
#    net through hierarchical references and a C++ harness applies the
#    vectors, evaluates, and counts each net's changes (timed loop only).
# Both print gate evaluations per second (operations × cells / time); the
# script checks that both counted the same total number of net toggles.
# Needs yosys, verilator (5.x), a C++ compiler, cargo. Work files go to
# $TOSIM_BENCH_DIR (default: a fresh temporary directory).
set -euo pipefail
OPS=${1:-1000000}
WIDTH=${2:-32}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${TOSIM_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK"
cd "$WORK"
echo "work directory: $WORK"

(cd "$ROOT" && cargo build --release --quiet)
TOSIM="$ROOT/target/release/tosim"

M=$((WIDTH - 1)); P=$((2 * WIDTH - 1))
printf 'module mul(input [%d:0] a, input [%d:0] b, output [%d:0] p);\n  assign p = a * b;\nendmodule\n' $M $M $P > mul.v
if [ ! -s mul.json ]; then
  yosys -q -p "read_verilog mul.v; synth -flatten -top mul; abc -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX; opt_clean; write_json mul.json"
fi

awk -v n="$OPS" -v w="$WIDTH" 'BEGIN {
  srand(1); m = 2 ^ (w > 16 ? w - 16 : 0); lo = 2 ^ (w > 16 ? 16 : w);
  for (i = 0; i < n; i++) {
    a = int(rand() * m) * lo + int(rand() * lo); b = int(rand() * m) * lo + int(rand() * lo);
    printf "0x%x 0x%x\n", a, b
  } }' > ops.txt

echo "== tosim (1 thread)"
RAYON_NUM_THREADS=1 "$TOSIM" sim --netlist mul.json --stream ops.txt --per-net --json tosim.json --timing 2> tosim.err
cat tosim.err
TOSIM_RATE=$(sed -n 's/.*= \([0-9.e+]*\) gate-evaluations.*/\1/p' tosim.err)
TOSIM_TOGGLES=$(sed -n 's/^  "net_toggles": \([0-9]*\),*/\1/p' tosim.json | head -1)
CELLS=$(sed -n 's/.* x \([0-9]*\) cells.*/\1/p' tosim.err)

echo "== tosim (2 threads)"
RAYON_NUM_THREADS=2 "$TOSIM" sim --netlist mul.json --stream ops.txt --per-net --json tosim2.json --timing 2> tosim2.err
cat tosim2.err
TOSIM2_RATE=$(sed -n 's/.*= \([0-9.e+]*\) gate-evaluations.*/\1/p' tosim2.err)
cmp -s tosim.json tosim2.json || { echo "1 and 2 threads differ"; exit 1; }

echo "== tosim glitch mode, unit delay (1 thread)"
RAYON_NUM_THREADS=1 "$TOSIM" sim --netlist mul.json --stream ops.txt --mode glitch --json tosim_glitch.json --timing 2> glitch.err
cat glitch.err
GLITCH_RATE=$(sed -n 's/.*= \([0-9.e+]*\) gate-evaluations.*/\1/p' glitch.err)

echo "== verilator"
"$TOSIM" netlist export mul.json --format verilog-all -o design.v
TOP=$(sed -n 's/^module \([A-Za-z0-9_]*\).*/\1/p' design.v | head -1)
{
  for i in $(seq 0 $M); do echo "a[$i]"; done
  for i in $(seq 0 $M); do echo "b[$i]"; done
  awk -v top="$TOP" '/^module /{inmod = ($2 == top || index($2, top "(") == 1)} inmod && /^  wire /{sub(/^  wire /, ""); sub(/;.*/, ""); print}' design.v
} > nets.txt
NETS=$(wc -l < nets.txt)
{
  echo "module probe(input [$M:0] a, input [$M:0] b, output [$((NETS - 1)):0] pr);"
  echo "  $TOP dut (.a(a), .b(b));"
  awk '{printf "  assign pr[%d] = dut.%s;\n", NR - 1, $0}' nets.txt
  echo "endmodule"
} > probe.v.new
# Keep the old file (and the Verilator build) when nothing changed.
cmp -s probe.v.new probe.v 2>/dev/null && rm probe.v.new || mv probe.v.new probe.v
WORDS=$(( (NETS + 31) / 32 ))
cat > main.cpp.new <<CPP
#include "Vprobe.h"
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <vector>
int main() {
  std::vector<uint64_t> va, vb;
  { std::ifstream f("ops.txt"); uint64_t a, b; while (f >> std::hex >> a >> b) { va.push_back(a); vb.push_back(b); } }
  Vprobe t;
  std::vector<uint64_t> cnt($NETS, 0);
  std::vector<uint32_t> prev($WORDS, 0);
  t.a = 0; t.b = 0; t.eval();
  for (int i = 0; i < $WORDS; i++) prev[i] = t.pr[i];
  auto t0 = std::chrono::steady_clock::now();
  for (size_t op = 0; op < va.size(); op++) {
    t.a = va[op]; t.b = vb[op]; t.eval();
    for (int i = 0; i < $WORDS; i++) {
      uint32_t c = t.pr[i], d = c ^ prev[i]; prev[i] = c;
      while (d) { cnt[i * 32 + __builtin_ctz(d)]++; d &= d - 1; }
    }
  }
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t total = 0; for (auto c : cnt) total += c;
  printf("verilator: %zu operations in %.3f s, net toggles %llu\n", va.size(), dt, (unsigned long long)total);
  printf("seconds %.6f\n", dt);
  return 0;
}
CPP
cmp -s main.cpp.new main.cpp 2>/dev/null && rm main.cpp.new || mv main.cpp.new main.cpp
if [ ! -x obj_dir/Vprobe ] || [ main.cpp -nt obj_dir/Vprobe ] || [ probe.v -nt obj_dir/Vprobe ]; then
  verilator --cc --exe --build -O3 --x-assign fast --x-initial fast --noassert -Wno-fatal -Wno-lint -Wno-UNOPTFLAT \
    --top-module probe -CFLAGS "-O2" -j 2 probe.v design.v main.cpp > verilator.log 2>&1
fi
taskset -c 0 ./obj_dir/Vprobe | tee verilator.out
VL_SECONDS=$(sed -n 's/^seconds //p' verilator.out)
VL_TOGGLES=$(sed -n 's/.*net toggles \([0-9]*\)/\1/p' verilator.out)

echo "== summary"
awk -v ops="$OPS" -v cells="$CELLS" -v vs="$VL_SECONDS" -v tr="$TOSIM_RATE" -v tr2="$TOSIM2_RATE" -v gr="$GLITCH_RATE" 'BEGIN {
  vr = ops * cells / vs;
  printf "cells %d, operations %d\n", cells, ops;
  printf "verilator            %.3e gate-evaluations/s\n", vr;
  printf "tosim, 1 thread      %.3e gate-evaluations/s  (%.1fx verilator)\n", tr, tr / vr;
  printf "tosim, 2 threads     %.3e gate-evaluations/s  (%.2fx one thread)\n", tr2, tr2 / tr;
  printf "tosim glitch, 1 thr  %.3e gate-evaluations/s  (zero-delay / glitch = %.1f)\n", gr, tr / gr }'
if [ "$TOSIM_TOGGLES" != "$VL_TOGGLES" ]; then
  echo "net toggles differ: tosim $TOSIM_TOGGLES, verilator $VL_TOGGLES"; exit 1
fi
echo "net toggles equal: $TOSIM_TOGGLES"
