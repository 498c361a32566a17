"""Transitions seen in the SPICE waveforms: the upper bound of an event model.

Reruns the first K operations of a deck written by `tosim validate spice`
(folder `<work>/<circuit>/chunk0`, whose first period holds all-zero operands
so its operation j is operation j of the circuit's stream) with every
gate-driving node saved, counts per operation and node the full transitions
(crossings of vdd/2 with hysteresis: low below 0.4 vdd, high above 0.6 vdd)
and the rising voltage excursion (sum of positive steps), and correlates them,
weighted several ways, with the energy in `<work>/per_op.csv`:

    python3 crates/tosim-spice/scripts/waveform_transitions.py WORK CIRCUIT K

Weights per node (from the cell netlists in the deck, W and L in um):
  count   1 per node transition (unit nodes, input nets)
  gates   MOSFET gates of the unit on the node (the TO count)
  wl      sum of W*L of those gates
  cap     gate + overlap capacitance of every counted device on the node:
          Cox*W*L + 2*Cov*W per gate, Cov*W per drain/source terminal, with
          Cox = eps0*epsrox/toxe = 8.854e-12*3.9/4.148e-9 F/m^2 = 8.32 fF/um^2 and
          Cov = cgdo = cgso = 2.449e-10 F/m = 0.245 fF/um (sky130 nfet_01v8 tt
          pm3); the cells carry no junction areas, so the junctions add ~0.
          Counted devices: the unit, the input drivers (their supply is
          counted) and the gates of the output-load inverters (charged by the
          unit's supply); not the load inverters' own outputs.
  swing   cap x the rising excursion of the node in vdd (partial swings count
          by the fraction they reach): an estimate of the charge drawn.
Runs in WORK/<circuit>/waves (K operations of CPU time, ~1/8 of the chunk's).
"""
import math, os, re, shutil, subprocess, sys

COX, COV, VDD = 8.32, 0.245, 1.8
work, circuit, K = sys.argv[1], sys.argv[2], int(sys.argv[3])
src = os.path.join(work, circuit, "chunk0")
dst = os.path.join(work, circuit, "waves")
os.makedirs(dst, exist_ok=True)
for f in ("cells.sp", "models.sp", ".spiceinit"):
    shutil.copy(os.path.join(src, f), dst)
deck = open(os.path.join(src, "deck.sp")).read()
period = float(re.search(r"period ([0-9.e+-]+) s\)", deck).group(1))

subs = {}
cur = None
for line in open(os.path.join(src, "cells.sp")):
    t = line.split()
    if not t:
        continue
    if t[0].lower() == ".subckt":
        cur = subs.setdefault(t[1], {"pins": t[2:], "fets": []})
    elif t[0].lower() == ".ends":
        cur = None
    elif cur is not None and t[0][0] in "Xx":
        kv = dict(x.split("=") for x in t[6:] if "=" in x)
        num = lambda s: float(s.rstrip("u")) * 1e-6 if s.endswith("u") else float(s) * 1e6
        cur["fets"].append((t[1], t[2], t[3], num(kv["w"]), num(kv["l"])))

RAILS = {"0", "vpwr", "vpb", "vdrv", "vld"}
weight = {}  # node -> [gates, wl, cap]
counted = set()


def add(node, i, v):
    weight.setdefault(node, [0, 0.0, 0.0])[i] += v


for line in deck.splitlines():
    t = line.split()
    if not t or t[0][0] not in "X" or t[-1] not in subs:
        continue
    inst, conns, sub = t[0], t[1:-1], subs[t[-1]]
    role = "load" if inst.startswith("Xl_") else "driver" if inst.startswith("Xd") else "unit"
    pin = dict(zip(sub["pins"], conns))
    glob = lambda n: pin.get(n, f"{inst.lower()}.{n.lower()}")
    for d, g, s, w, l in sub["fets"]:
        gn = glob(g)
        if gn not in RAILS:
            if role == "unit":
                add(gn, 0, 1)
                add(gn, 1, w * l)
                counted.add(gn)
            add(gn, 2, COX * w * l + 2 * COV * w)
        if role != "load":
            for x in (d, s):
                xn = glob(x)
                if xn not in RAILS:
                    add(xn, 2, COV * w)
# Nodes watched: every gate of the unit, and the input nets / driver midpoints.
nodes = sorted(n for n in weight if n in counted or n.startswith("m_"))
i = deck.index(".control")
ctl = [".control", "save " + " ".join(f"v({n})" for n in nodes),
       f"tran {period / 8:e} {(K + 1) * period:e}", "set filetype=binary", "write nodes.raw", "quit", ".endc", ".end"]
open(os.path.join(dst, "deck.sp"), "w").write(deck[:i] + "\n".join(ctl) + "\n")
if not os.path.exists(os.path.join(dst, "nodes.raw")):
    subprocess.run(["ngspice", "-b", "deck.sp"], cwd=dst, check=True, stdout=open(os.path.join(dst, "log.txt"), "w"),
                   stderr=subprocess.STDOUT)

# Binary raw: ASCII header up to "Binary:\n", then points of float64 (time + vars).
import struct
raw = open(os.path.join(dst, "nodes.raw"), "rb").read()
hdr_end = raw.index(b"Binary:\n") + len(b"Binary:\n")
hdr = raw[:hdr_end].decode()
nv = int(re.search(r"No. Variables: (\d+)", hdr).group(1))
npt = int(re.search(r"No. Points: (\d+)", hdr).group(1))
names = re.findall(r"^\t\d+\t(\S+)\t", hdr, re.M)
data = struct.unpack(f"{nv * npt}d", raw[hdr_end:hdr_end + 8 * nv * npt])
time = data[0::nv]
ops = [[0.0] * 5 for _ in range(K)]  # count, gates, wl, cap, swing
for vi in range(1, nv):
    n = names[vi][2:-1]
    g, wl, cap = weight[n]
    if n not in counted and not n.startswith("m_"):
        continue
    v = data[vi::nv]
    high = v[0] > VDD / 2
    for k in range(1, npt):
        j = int(time[k] / period) - 1
        if j < 0 or j >= K:
            continue
        dv = v[k] - v[k - 1]
        if dv > 0:
            ops[j][4] += cap * dv / VDD
        if (not high and v[k] > 0.6 * VDD) or (high and v[k] < 0.4 * VDD):
            high = not high
            ops[j][0] += 1
            ops[j][1] += g
            ops[j][2] += wl
            ops[j][3] += cap

rows = [l.split(",") for l in open(os.path.join(work, "per_op.csv"))]
head = rows[0]
mine = [r for r in rows[1:] if r[0] == circuit][:K]
energy = [float(r[head.index("energy_fj")]) for r in mine]


def pearson(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")


print(f"{circuit}: {K} operations, {len([n for n in nodes])} nodes watched")
for i, name in enumerate(["count", "gates", "wl", "cap", "swing"]):
    print(f"  waveform {name:<6} r = {pearson([o[i] for o in ops], energy):.3f}")
for p in head[3:]:
    if p.startswith(("glitch", "switching", "net_", "input_")):
        print(f"  tosim {p:<28} r = {pearson([float(r[head.index(p)]) for r in mine], energy):.3f}")
with open(os.path.join(dst, "transitions.csv"), "w") as f:
    f.write("op,energy_fj,count,gates,wl,cap_ff,swing_ff\n")
    for j, o in enumerate(ops):
        f.write(f"{j},{energy[j]}," + ",".join(f"{x:.4f}" for x in o) + "\n")
