//! `tosim study activity` (docs/activity.md): a tiny run, its derived facts,
//! and agreement with `tosim unit sim --per-op` and `tosim net`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support;

const OPS: usize = 64;
const SAMPLES: usize = 3;

fn tosim(args: &[&str]) -> String {
    let out =
        Command::new(env!("CARGO_BIN_EXE_tosim")).args(args).current_dir(support::repo()).output().expect("run tosim");
    assert!(out.status.success(), "tosim {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Rows of a CSV file (header dropped), fields split at commas.
fn rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().expect("header").split(',').map(String::from).collect();
    (header, lines.map(|l| l.split(',').map(String::from).collect()).collect())
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn activity_study_facts_and_agreement() {
    let dir = support::scratch("study_activity");
    let data = dir.join("data");
    let json = dir.join("study.json");
    let ops = OPS.to_string();
    let samples = SAMPLES.to_string();
    let (d, o, j) = (data.to_str().unwrap(), dir.to_str().unwrap(), json.to_str().unwrap());
    tosim(&["study", "activity", "--ops", &ops, "--net-samples", &samples, "--out", o, "--data", d, "--json", j]);
    let st: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let units = st["units"].as_array().unwrap();
    // Four adders, four multipliers, two dividers, and the wide set (mul8 dadda+ks, add32, mul32, fadd32, fmul32).
    assert_eq!(units.len(), 15);

    for u in units {
        let name = u["name"].as_str().unwrap();
        // An operation equal to the previous one changes no input, so no net
        // toggles and no switching TOs: the k = 0 segment of the flips stream is all zeros.
        let f0 = &u["flips"][0];
        assert_eq!((num(f0, "x"), num(f0, "mean"), num(f0, "p95")), (0.0, 0.0, 0.0), "{name}: repeated operation");
        // Every operand zero (and the carry-in held at 0) is the reset state: nothing switches.
        let last = u["sparsity"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((num(&last, "x"), num(&last, "mean")), (1.0, 0.0), "{name}: all-zero operands");
        // Operands of 0 significant bits are zeros too.
        if let Some(m0) = u["magnitude"].as_array().unwrap().first() {
            assert_eq!(num(m0, "mean"), 0.0, "{name}: magnitude 0");
        }
        // A flipped input bit toggles its input net, which drives transistor gates: never 0 TOs.
        assert!(num(&u["flips"][1], "mean") > 0.0, "{name}: one flipped bit");

        // The uniform stream is the stream of `tosim unit sim --stream random`:
        // the per-op CSV rows agree with `tosim unit sim --per-op` for the same unit.
        let file = data.join(format!("{}.csv", name.replace([' ', '+'], "-")));
        let (header, ours) = rows(&file);
        assert_eq!(ours.len(), OPS, "{name}");
        assert_eq!(&header[..4], &["op", "switching_tos", "net_toggles", "hamming_distance"]);
        let theirs_path = dir.join(format!("unit-sim-{}.csv", name.replace([' ', '+'], "-")));
        let mut args: Vec<&str> = vec!["unit", "sim"];
        args.extend(u["cli"].as_str().unwrap().split_whitespace());
        args.extend(["--stream", "random", "--count", &ops, "--seed", "1", "--per-op", theirs_path.to_str().unwrap()]);
        tosim(&args);
        let (_, theirs) = rows(&theirs_path);
        assert_eq!(theirs.len(), OPS, "{name}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(&a[..3], &b[..3], "{name}: op,switching_tos,net_toggles");
        }
        // Hamming distance column: popcount of the XOR of all operands with the
        // previous operation's (0 before the first), recomputed from the operand columns.
        let mut prev = vec![0u128; header.len() - 4];
        let mut tos = Vec::new();
        for r in &ours {
            let cur: Vec<u128> = r[4..].iter().map(|v| v.parse().unwrap()).collect();
            let hd: u32 = cur.iter().zip(&prev).map(|(a, b)| (a ^ b).count_ones()).sum();
            assert_eq!(r[3], hd.to_string(), "{name} op {}", r[0]);
            prev = cur;
            tos.push(r[1].parse::<f64>().unwrap());
        }
        // The summary is the summary of these rows.
        let mean = tos.iter().sum::<f64>() / tos.len() as f64;
        assert!((num(u, "mean") - mean).abs() < 1e-9 * mean.max(1.0), "{name} mean");
        let min = tos.iter().copied().fold(f64::INFINITY, f64::min);
        let max = tos.iter().copied().fold(0.0, f64::max);
        assert_eq!((num(u, "min"), num(u, "max")), (min, max), "{name} min/max");
        let sd = (tos.iter().map(|t| (t - mean) * (t - mean)).sum::<f64>() / tos.len() as f64).sqrt();
        assert!((num(u, "cv") - sd / mean).abs() < 1e-9, "{name} cv");
    }

    // The network's per-layer totals are `tosim net`'s for the same samples.
    let net_json = dir.join("net.json");
    tosim(&["net", "--limit", &samples, "--json", net_json.to_str().unwrap()]);
    let net: Value = serde_json::from_str(&std::fs::read_to_string(&net_json).unwrap()).unwrap();
    let ours = st["network"]["layers"].as_array().unwrap();
    let layers = net["layers"].as_array().unwrap();
    assert_eq!(ours.len(), layers.len() + 1, "layers and the network total");
    for (a, b) in ours.iter().zip(layers) {
        assert_eq!(a["layer"], b["name"]);
        assert_eq!(a["switching_tos"], b["switching_tos"], "{}", b["name"]);
        assert_eq!(num(a, "samples"), SAMPLES as f64);
    }
    assert_eq!(ours.last().unwrap()["switching_tos"], net["total"]["switching_tos"]);
    // MAC streams rebuilt per operation: each neuron multiplies every input once
    // per sample and adds every product and then the bias (64-32-10 network).
    let ops = st["network"]["ops"].as_array().unwrap();
    let want = [(32 * 64, 32 * 65), (10 * 32, 10 * 33)];
    assert_eq!(ops.len(), 4);
    for (l, (muls, adds)) in want.iter().enumerate() {
        let (m, a) = (&ops[2 * l], &ops[2 * l + 1]);
        assert_eq!((m["unit"].as_str(), a["unit"].as_str()), (Some("multiplier"), Some("accumulator")));
        assert_eq!(num(m, "ops"), (muls * SAMPLES) as f64);
        assert_eq!(num(a, "ops"), (adds * SAMPLES) as f64);
        // Their TOs are part of the layer's multiply and add counts (which also
        // hold the requantisation units of the first layer and the softmax of the last).
        let prim = &layers[l]["by_primitive"];
        assert!(num(m, "mean") * num(m, "ops") <= num(&prim["multiply"], "switching_tos") + 0.5);
        assert!(num(a, "mean") * num(a, "ops") <= num(&prim["add"], "switching_tos") + 0.5);
    }

    // Every figure is an SVG document; the adder Hamming-distance figure has one line per adder.
    for f in st["figures"].as_array().unwrap() {
        let svg = std::fs::read_to_string(dir.join(f.as_str().unwrap())).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"), "{f}");
    }
    let svg = std::fs::read_to_string(dir.join("activity-hamming-add8.svg")).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 4);
}

/// Runs tosim and returns (success, stderr).
fn tosim_status(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tosim")).args(args).output().expect("run tosim");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn plot_cli_draws_every_row() {
    let dir = support::scratch("plot_cli");
    let csv = dir.join("t.csv");
    // Three rows in two groups: a = (1,2), (3,5); b = (2,4).
    std::fs::write(&csv, "x,y,g\n1,2,a\n2,4,b\n3,5,a\n").unwrap();
    let c = csv.to_str().unwrap();
    let svg = |kind: &str, extra: &[&str]| {
        let out = dir.join(format!("{kind}.svg"));
        let mut args = vec!["plot", c, "--kind", kind, "-o", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (ok, err) = tosim_status(&args);
        assert!(ok, "tosim plot --kind {kind}: {err}");
        std::fs::read_to_string(out).unwrap()
    };
    // Scatter: one dot per row plus one legend dot per group.
    let s = svg("scatter", &["--x", "x", "--y", "y", "--group", "g"]);
    assert_eq!(s.matches("<circle").count(), 3 + 2);
    assert!(s.contains(">a</text>") && s.contains(">b</text>"));
    // Line: one polyline per group.
    assert_eq!(svg("line", &["--x", "x", "--y", "y", "--group", "g"]).matches("<polyline").count(), 2);
    // Histogram: one outline per group; box: one box per group (plus the frame).
    assert_eq!(svg("hist", &["--x", "y", "--group", "g"]).matches("<polygon").count(), 2);
    assert_eq!(svg("box", &["--y", "y", "--group", "g"]).matches("<rect x=").count(), 2 + 1);
    // Errors name the file and what is wrong.
    let out = dir.join("bad.svg");
    let (ok, err) = tosim_status(&["plot", c, "--x", "nope", "--y", "y", "-o", out.to_str().unwrap()]);
    assert!(!ok && err.contains("no column `nope` (columns: x, y, g)"), "{err}");
    let (ok, err) = tosim_status(&["plot", c, "--kind", "pie", "--x", "x", "-o", out.to_str().unwrap()]);
    assert!(!ok && err.contains("invalid value 'pie'") && err.contains("scatter, line, hist, box"), "{err}");
}
