//! Tests: float networks (fp32, fp16, bf16) on gate-level IEEE-754 units —
//! agreement with the plain-Rust reference bit for bit, operation counts
//! derived from the network's shape, thread independence, the CLI.

use std::path::{Path, PathBuf};

use tosim_nn::testing::{Attr, OnnxBuilder};
use tosim_nn::{
    load_onnx, parse_onnx, BatchNormMode, DataSet, FloatNet, Format, GateNet, NetReport, NetRun, NnError, Primitive,
    Profile, RunContext,
};

use crate::support;

const FORMATS: [Format; 3] = [Format::Binary32, Format::Binary16, Format::Bfloat16];

fn digits() -> (tosim_nn::Network, DataSet) {
    let m = support::repo().join("circuits/models");
    let net = load_onnx(&m.join("digits_mlp.onnx")).unwrap();
    let data = DataSet::load(&net, &m.join("digits_test_x.npy"), Some(&m.join("digits_test_y.npy"))).unwrap();
    (net, data)
}

/// Runs `samples` inputs (row-major) through `net` in format `f` on the
/// default profile; checks every layer of every sample against the
/// reference and returns the report.
fn run_and_check(
    net: &tosim_nn::Network,
    f: Format,
    bn: BatchNormMode,
    x: &[f32],
    labels: Option<&[i64]>,
) -> NetReport {
    let fnet = FloatNet::new(net, f, bn).unwrap();
    let width = net.input_width();
    let g = GateNet::float(fnet, Profile::default_profile().unwrap(), tosim_nn::Mode::Zero).unwrap();
    let xs: Vec<Vec<i64>> = x.chunks(width).map(|s| g.encode(s)).collect();
    let run = g.run(&xs, &|_, _, _| {}).unwrap();
    assert_agrees(&g, &xs, &run, &f.to_string());
    let ctx = RunContext { model: "m".into(), net, x, labels, per_neuron: true };
    let r = g.report(&ctx, &run, None).unwrap();
    assert!(r.agreement && r.disagreeing_samples == 0, "{f}");
    r
}

/// Checks a run of `xs` on `g` against the reference: no unit operation
/// disagrees, and every layer's outputs for every sample are the reference's.
fn assert_agrees(g: &GateNet, xs: &[Vec<i64>], run: &NetRun, what: &str) {
    assert!(run.op_disagreements.iter().all(|&d| d == 0), "{what}: unit outputs differ from the reference");
    for (s, xi) in xs.iter().enumerate() {
        let want = g.infer(xi).unwrap();
        for (l, lr) in run.layers.iter().enumerate() {
            assert_eq!(lr.sample_outputs(s), want[l], "{what} sample {s} layer {l}");
        }
    }
}

/// Unit operations per sample of the `exp` micro-program (wiring excluded).
fn exp_ops(f: Format) -> u64 {
    tosim_micro::exp(f).op_counts().values().map(|&c| c as u64).sum()
}

/// The shipped digits model (64-32-10, ReLU, softmax) in every float format:
/// gate level equals the reference on every output bit, and the operation
/// counts are the network's: per sample, one fmul and one fadd per MAC
/// (64·32 + 32·10 = 2368), one bias fadd per neuron (42), one fmax per
/// hidden ReLU (32); the softmax over 10 logits adds 9 fmax (max chain),
/// 10 fsub, 10 exp, 9 fadd (sum chain) and 10 fdiv.
#[test]
fn digits_agree_in_every_float_format() {
    let (net, data) = digits();
    let s = 6usize;
    let labels = &data.labels.as_ref().unwrap()[..s];
    for f in FORMATS {
        let r = run_and_check(&net, f, BatchNormMode::Unfold, &data.x[..s * 64], Some(labels));
        let s = s as u64;
        let ops = |p: Primitive| r.total.by_primitive.get(&p).map_or(0, |c| c.operations);
        assert_eq!(ops(Primitive::Multiply), s * 2368, "{f}");
        assert_eq!(ops(Primitive::Add), s * (2368 + 42 + 10 + 9), "{f}");
        assert_eq!(ops(Primitive::Compare), s * (32 + 9), "{f}");
        assert_eq!(ops(Primitive::Divide), s * 10, "{f}");
        assert_eq!(ops(Primitive::Exp), s * 10 * exp_ops(f), "{f}");
        assert_eq!(ops(Primitive::Sqrt), 0);
        assert_eq!(r.total.macs, s * 2368);
        assert_eq!(r.accuracy, r.reference_accuracy, "{f}");
        assert_eq!(r.format, tosim_nn::float_format_name(f));
        assert!(r.total.switching_tos > 0 && r.total.switching_tos < r.total.static_tos, "{f}");
        // Static TOs: transistors × operations of every unit, summed.
        let st: u64 = r.total.by_primitive.values().map(|c| c.static_tos).sum();
        assert_eq!(st, r.total.static_tos);
        // Per-neuron counts add up to the layer's.
        for l in &r.layers {
            let sum: u64 = l.per_neuron.as_ref().unwrap().iter().map(|n| n.switching_tos).sum();
            assert_eq!(sum, l.switching_tos);
        }
    }
}

/// The counts do not depend on the number of threads (one engine run per
/// unit and batch, reduced in element order).
#[test]
fn float_counts_do_not_depend_on_thread_count() {
    let (net, data) = digits();
    let x = &data.x[..5 * 64];
    let fnet = FloatNet::new(&net, Format::Binary16, BatchNormMode::Unfold).unwrap();
    let g = GateNet::float(fnet, Profile::default_profile().unwrap(), tosim_nn::Mode::Zero).unwrap();
    let xs: Vec<Vec<i64>> = x.chunks(64).map(|s| g.encode(s)).collect();
    let ctx = RunContext { model: "m".into(), net: &net, x, labels: None, per_neuron: true };
    let report = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let run = pool.install(|| g.run(&xs, &|_, _, _| {})).unwrap();
        g.report(&ctx, &run, None).unwrap()
    };
    let (one, two) = (report(1), report(2));
    assert_eq!(one, two);
    assert!(one.agreement);
}

/// A fixed-seed random network with every float operation: Gemm → batch
/// norm → sigmoid → MatMul+Add → tanh → Gemm → LeakyReLU(0.1) → Gemm →
/// softmax (4 inputs, 5-4-3-3 neurons, 9 samples).
fn fixture() -> (tosim_nn::Network, Vec<f32>) {
    // Outputs 0x5eed + 1, … of the sequence seeded 0x5eed: the values this fixture always had.
    let mut v = crate::nn::draws(0x5eed, 0x5eed + 1);
    let (w1, b1, w2, b2, w3, w4) = (v(5 * 4), v(5), v(5 * 4), v(4), v(3 * 4), v(3 * 3));
    let var: Vec<f32> = v(5).iter().map(|x| 0.5 + x.abs()).collect();
    let (gamma, beta, mean) = (v(5), v(5), v(5));
    let x: Vec<f32> = v(9 * 4).iter().map(|a| 3.0 * a).collect();
    let b = crate::nn::BnBlock { w1, b1, gamma, beta, mean, var, w2, b2 }
        .onnx(4, "Sigmoid", "sig", &[])
        .init_f32("w3", &[3, 4], &w3)
        .init_f32("w4", &[3, 3], &w4)
        .node("Tanh", "tanh", &["h5"], &["h6"], &[])
        .node("Gemm", "fc3", &["h6", "w3"], &["h7"], &[Attr::Int("transB", 1)])
        .node("LeakyRelu", "leaky", &["h7"], &["h8"], &[Attr::Float("alpha", 0.1)])
        .node("Gemm", "fc4", &["h8", "w4"], &["h9"], &[Attr::Int("transB", 1)])
        .node("Softmax", "sm", &["h9"], &["y"], &[])
        .build();
    (parse_onnx(&b, Path::new("fixture.onnx")).unwrap(), x)
}

/// Sigmoid, tanh, LeakyReLU, softmax and batch norm (unfolded and folded)
/// agree bit for bit in every format. Counts per sample: unfolded batch norm
/// is 5 fsub + 5 (σ² + ε) fadd + 5 fadd (shift), 5 fsqrt, 5 fdiv, 5 fmul; folded,
/// none of it. Multiplies: MACs 20 + 20 + 12 + 9 = 61, LeakyReLU 3, tanh's
/// `x·(−2)` before its exp 4, batch norm 5. The fp32 outputs track the float model within 1e-5.
#[test]
fn activations_and_batchnorm_agree_in_every_format() {
    let (net, x) = fixture();
    let s = (x.len() / 4) as u64;
    for f in FORMATS {
        for bn in [BatchNormMode::Unfold, BatchNormMode::Fold] {
            let r = run_and_check(&net, f, bn, &x, None);
            let ops = |p: Primitive| r.total.by_primitive.get(&p).map_or(0, |c| c.operations);
            let unfolded = u64::from(bn == BatchNormMode::Unfold);
            assert_eq!(ops(Primitive::Sqrt), s * 5 * unfolded, "{f} {bn:?}");
            assert_eq!(ops(Primitive::Multiply), s * (61 + 3 + 4 + 5 * unfolded), "{f} {bn:?}");
            assert!(ops(Primitive::Exp) > 0 && ops(Primitive::Divide) >= s * (5 * unfolded + 5 + 4 + 3));
            assert_eq!(r.layers[0].folded, ["BatchNormalization bn", "Sigmoid sig"]);
        }
        if f == Format::Binary32 {
            let fnet = FloatNet::new(&net, f, BatchNormMode::Unfold).unwrap();
            let mut worst = 0f64;
            for xi in x.chunks(4) {
                let got = fnet.infer(&fnet.encode_input(xi)).unwrap();
                for (g, w) in got.logits().iter().zip(net.forward_f32(xi)) {
                    worst = worst.max((fnet.value(*g) - f64::from(w)).abs());
                }
            }
            eprintln!("fp32 fixture: largest difference from the float model {worst:e}");
            // Measured 3.0e-8; a wrong batch norm, slope or softmax gives O(0.01).
            assert!(worst < 1e-5, "fp32 differs from the float model by {worst}");
        }
    }
}

/// Layers a float network cannot map are errors naming the layer.
#[test]
fn unmappable_float_layers_are_errors() {
    let b = OnnxBuilder::new()
        .input("x", &[-1, 2])
        .output("y", &[-1, 2])
        .init_f32("w", &[2, 2], &[1.0, 0.0, 0.0, 1.0])
        .node("Gemm", "fc", &["x", "w"], &["h"], &[Attr::Int("transB", 1)])
        .node("Softmax", "sm", &["h"], &["h2"], &[])
        .node("Relu", "late_relu", &["h2"], &["y"], &[])
        .build();
    let net = parse_onnx(&b, Path::new("bad.onnx")).unwrap();
    let e = FloatNet::new(&net, Format::Binary32, BatchNormMode::Unfold).unwrap_err();
    assert!(matches!(&e, NnError::Quantise { layer, .. } if layer == "late_relu"), "{e}");
    assert!(e.to_string().contains("softmax"), "{e}");
}

fn tosim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tosim")).current_dir(support::repo()).args(args).output().unwrap()
}

/// `tosim net --format fp16` runs the default model end to end; shards of it
/// merge into exactly the whole run's JSON.
#[test]
fn net_command_runs_float_formats_and_shards() {
    let dir: PathBuf = support::scratch("nn_float_cli");
    let p = |n: &str| dir.join(n).display().to_string();
    let out = tosim(&["net", "--format", "fp16", "--limit", "4", "--json", &p("whole.json")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("agreement: yes") && stdout.contains("exp"), "{stdout}");
    let whole = std::fs::read_to_string(dir.join("whole.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(
        (v["format"].as_str(), v["samples"].as_u64(), v["agreement"].as_bool()),
        (Some("fp16"), Some(4), Some(true))
    );
    for k in ["multiply", "add", "compare", "divide", "exp"] {
        assert!(v["total"]["by_primitive"][k]["switching_tos"].as_u64().unwrap() > 0, "{k}");
    }
    for i in 1..=2 {
        let shard = format!("{i}/2");
        let out =
            tosim(&["net", "--format", "fp16", "--limit", "4", "--shard", &shard, "--json", &p(&format!("s{i}.json"))]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = tosim(&["merge", &p("s2.json"), &p("s1.json"), "-o", &p("merged.json")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("merged.json")).unwrap(), whole);
    let out = tosim(&["net", "--format", "fp8"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("fp16"));
}

/// The profile's `[float]` table picks the units' inner architectures; the
/// arithmetic (and so the agreement) does not change, the unit designs do.
#[test]
fn float_profile_table_selects_architectures() {
    let text = format!("{}\n[float]\nmultiply = \"booth\"\nadder = \"brent-kung\"\n", tosim_nn::DEFAULT_PROFILE);
    let profile = Profile::parse(&text, Path::new("p.toml"), None).unwrap();
    assert_eq!(profile.float.multiply, tosim_units::Arch::Booth);
    let (net, data) = digits();
    let fnet = FloatNet::new(&net, Format::Bfloat16, BatchNormMode::Unfold).unwrap();
    let g = GateNet::float(fnet, profile, tosim_nn::Mode::Zero).unwrap();
    let xs: Vec<Vec<i64>> = (0..2).map(|i| g.encode(data.sample(i))).collect();
    assert_eq!(g.units[0].name, "fmul_bfloat16_booth_brent_kung");
    let run = g.run(&xs, &|_, _, _| {}).unwrap();
    assert!(run.op_disagreements.iter().all(|&d| d == 0));
    let text = format!("{}\n[float]\nroot = \"dadda\"\n", tosim_nn::DEFAULT_PROFILE);
    let e = Profile::parse(&text, Path::new("p.toml"), None).unwrap_err().to_string();
    assert!(e.contains("float.root") && e.contains("dadda"), "{e}");
}

/// The shipped fixtures (PyTorch-style all_ops, and the generated MLPs with
/// batch norm, sigmoid, tanh and softmax) agree bit for bit in every format,
/// batch norm unfolded and folded.
#[test]
fn shipped_fixtures_agree_in_every_format() {
    let f = support::repo().join("circuits/models/fixtures");
    for (model, data) in [
        ("all_ops.onnx", "all_ops_x.npy"),
        ("mlp_bn_sigmoid_softmax.onnx", "mlp16_x.npy"),
        ("mlp_bn_tanh.onnx", "mlp16_x.npy"),
    ] {
        let net = load_onnx(&f.join(model)).unwrap();
        let ds = DataSet::load(&net, &f.join(data), None).unwrap();
        let n = ds.samples.min(8);
        for fmt in FORMATS {
            for bn in [BatchNormMode::Unfold, BatchNormMode::Fold] {
                let r = run_and_check(&net, fmt, bn, &ds.x[..n * ds.width], None);
                assert_eq!(r.samples, n, "{model} {fmt} {bn:?}");
            }
        }
    }
}

/// `--mode glitch` for float formats: the same units also run on the glitch
/// engine (unit delay per CMOS stage; that engine equals Icarus transition by
/// transition in tests/sim.rs). The settled counts and the outputs are the
/// zero-delay run's; every primitive's glitch TOs are at least its switching
/// TOs (the glitch engine counts every transition, the settled ones
/// included); layers and total add up; 1 and 2 threads give the same report.
#[test]
fn float_glitch_mode_counts_every_transition() {
    let (net, data) = digits();
    let f = Format::Bfloat16;
    let x = &data.x[..2 * net.input_width()];
    let zero = run_and_check(&net, f, BatchNormMode::Unfold, x, None);
    let report = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let fnet = FloatNet::new(&net, f, BatchNormMode::Unfold).unwrap();
            let g = GateNet::float(fnet, Profile::default_profile().unwrap(), tosim_nn::Mode::Glitch).unwrap();
            let xs: Vec<Vec<i64>> = x.chunks(net.input_width()).map(|s| g.encode(s)).collect();
            let run = g.run(&xs, &|_, _, _| {}).unwrap();
            let ctx = RunContext { model: "m".into(), net: &net, x, labels: None, per_neuron: true };
            g.report(&ctx, &run, None).unwrap()
        })
    };
    let glitch = report(1);
    assert_eq!(serde_json::to_string(&glitch).unwrap(), serde_json::to_string(&report(2)).unwrap());
    assert!(glitch.agreement);
    assert_eq!(glitch.total.switching_tos, zero.total.switching_tos);
    let mut total = 0;
    for (gl, zl) in glitch.layers.iter().zip(&zero.layers) {
        assert_eq!(gl.switching_tos, zl.switching_tos, "{}", gl.name);
        let mut sum = 0;
        for (p, c) in &gl.by_primitive {
            let g = c.glitch_tos.unwrap_or_else(|| panic!("{}: {p:?} has no glitch TOs", gl.name));
            assert!(g >= c.switching_tos, "{} {p:?}: glitch {g} < switching {}", gl.name, c.switching_tos);
            sum += g;
        }
        assert_eq!(gl.glitch_tos, Some(sum), "{}", gl.name);
        total += sum;
    }
    assert_eq!(glitch.total.glitch_tos, Some(total));
    assert!(total > glitch.total.switching_tos, "the float units glitch");
}

/// The digits model in every float format on every shipped profile
/// (`circuits/profiles/*.toml`; the first 10 test samples): gate level equals
/// the reference on every output bit, and each profile's `[float]` table
/// picks its own unit designs (compact: ripple adders, array multiplier).
#[test]
fn digits_agree_for_every_float_format_and_profile() {
    let (net, data) = digits();
    let x = &data.x[..10 * net.input_width()];
    for profile in crate::nn::profiles() {
        for f in FORMATS {
            let fnet = FloatNet::new(&net, f, BatchNormMode::Unfold).unwrap();
            let g = GateNet::float(fnet, profile.clone(), tosim_nn::Mode::Zero).unwrap();
            let xs: Vec<Vec<i64>> = x.chunks(net.input_width()).map(|s| g.encode(s)).collect();
            let run = g.run(&xs, &|_, _, _| {}).unwrap();
            assert_agrees(&g, &xs, &run, &format!("{f} {}", profile.name));
            let fmul = &g.units.iter().find(|u| u.name.starts_with("fmul")).unwrap().name;
            let want = if profile.name == "compact" { "_array_ripple" } else { "_dadda_kogge_stone" };
            assert!(fmul.ends_with(want), "{f} {}: {fmul}", profile.name);
        }
    }
}
