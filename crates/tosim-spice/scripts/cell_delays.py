"""Per-arc propagation delays of sky130_fd_sc_hd cells (tt, 1.8 V, 27 C) in ngspice.

Each arc's input is driven by inv_1 -> inv_2 (as in `tosim spice export`), the
other inputs are tied to sensitising values, the output drives two inv_1
(fan-out 2). Delay = 50 % input crossing to 50 % output crossing.

    python3 crates/tosim-spice/scripts/cell_delays.py "$(bash circuits/pdk/fetch_sky130.sh)"

Prints a Markdown table (docs/fidelity.md). Works in a temporary folder.
"""
import os, re, subprocess, sys, tempfile
hd = sys.argv[1]
os.chdir(tempfile.mkdtemp(prefix="tosim_delays_"))
pr = os.path.join(os.path.dirname(hd), "sky130_fd_pr", "cells")
arcs = [  # cell, input, output, {other inputs: value}
    ("inv_1", "A", "Y", {}),
    ("and2_1", "A", "X", {"B": 1}),
    ("a21oi_1", "A1", "Y", {"A2": 1, "B1": 0}),
    ("a21oi_1", "B1", "Y", {"A1": 0, "A2": 0}),
    ("xnor2_1", "A", "Y", {"B": 0}),
    ("xor2_1", "A", "X", {"B": 0}),
    ("ha_1", "A", "COUT", {"B": 1}),
    ("ha_1", "A", "SUM", {"B": 0}),
    ("fa_1", "A", "COUT", {"B": 1, "CIN": 0}),
    ("fa_1", "CIN", "COUT", {"A": 1, "B": 0}),
    ("fa_1", "A", "SUM", {"B": 0, "CIN": 0}),
    ("fa_1", "CIN", "SUM", {"A": 0, "B": 0}),
]
def pins(cell):
    t = open(f"{hd}/cells/{cell.rsplit('_',1)[0]}/sky130_fd_sc_hd__{cell}.spice").read()
    m = re.search(r"^\.subckt\s+\S+\s+(.*)$", t, re.M)
    return m.group(1).split(), t[t.index(".subckt"):]
lines = ["* delays", ".option scale=1.0u", ".option method=gear", ".param mc_mm_switch=0 mc_pr_switch=0"]
for f in ["nfet_01v8/sky130_fd_pr__nfet_01v8__tt.pm3.spice", "pfet_01v8_hvt/sky130_fd_pr__pfet_01v8_hvt__tt.pm3.spice",
          "nfet_01v8/sky130_fd_pr__nfet_01v8__mismatch.corner.spice", "pfet_01v8_hvt/sky130_fd_pr__pfet_01v8_hvt__mismatch.corner.spice"]:
    lines.append(f'.include "{pr}/{f}"')
subs = {}
for c in {a[0] for a in arcs} | {"inv_1", "inv_2"}:
    subs[c] = pins(c)
    lines.append(subs[c][1])
lines.append("Vdd vdd 0 1.8")
lines.append("Vin s 0 PWL(0 0 1n 0 1.1n 1.8 4n 1.8 4.1n 0)")
def inst(name, cell, conn):
    p = subs[cell][0]
    return f"X{name} " + " ".join(conn.get(x, {"VPWR": "vdd", "VPB": "vdd", "VGND": "0", "VNB": "0"}.get(x, f"nc_{name}_{x}")) for x in p) + f" sky130_fd_sc_hd__{cell}"
meas = []
for i, (cell, a, y, others) in enumerate(arcs):
    conn = {a: f"in{i}", y: f"out{i}"}
    for k, v in others.items():
        conn[k] = "vdd" if v else "0"
    lines.append(inst(f"d1_{i}", "inv_1", {"A": "s", "Y": f"m{i}"}))
    lines.append(inst(f"d2_{i}", "inv_2", {"A": f"m{i}", "Y": f"in{i}"}))
    lines.append(inst(f"c{i}", cell, conn))
    for j in range(2):
        lines.append(inst(f"l{i}_{j}", "inv_1", {"A": f"out{i}", "Y": f"lo{i}_{j}"}))
    for edge, n in (("RISE", 1), ("FALL", 1)):
        meas.append(f".meas tran d{i}_{edge.lower()} TRIG v(in{i}) VAL=0.9 {edge}=1 TARG v(out{i}) VAL=0.9 CROSS={1 if edge=='RISE' else 2}")
lines += meas
lines += [".tran 1p 8n", ".end"]
open("delays.sp", "w").write("\n".join(lines) + "\n")
open(".spiceinit", "w").write("set ngbehavior=hsa\nset ng_nomodcheck\nset skywaterpdk\n")
out = subprocess.run(["ngspice", "-b", "delays.sp"], capture_output=True, text=True).stdout
vals = dict(re.findall(r"^(d\d+_\w+)\s*=\s*([-\d.e+]+)", out, re.M))
print("| cell | arc | input rise → output (ps) | input fall → output (ps) |")
print("|---|---|---:|---:|")
for i, (cell, a, y, o) in enumerate(arcs):
    r = vals.get(f"d{i}_rise"); f = vals.get(f"d{i}_fall")
    fmt = lambda v: f"{float(v)*1e12:.0f}" if v else "-"
    print(f"| {cell} | {a}→{y} ({', '.join(f'{k}={v}' for k,v in o.items())}) | {fmt(r)} | {fmt(f)} |")
