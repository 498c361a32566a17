//! Tests: the network layer (tosim-nn) — ONNX and .npy reading, bad input,
//! quantised reference accuracy.

use std::path::{Path, PathBuf};

use tosim_nn::testing::{Attr, OnnxBuilder};
use tosim_nn::{
    load_onnx, parse_onnx, read_npy, DataSet, GateNet, IntFormat, LayerKind, NetReport, NnError, NpyData, Primitive,
    Profile, QuantNet, RunContext,
};

use crate::support;

fn models() -> PathBuf {
    support::repo().join("circuits/models")
}

fn digits() -> (tosim_nn::Network, DataSet) {
    let m = models();
    let net = load_onnx(&m.join("digits_mlp.onnx")).unwrap();
    let data = DataSet::load(&net, &m.join("digits_test_x.npy"), Some(&m.join("digits_test_y.npy"))).unwrap();
    (net, data)
}

/// The shipped model is what make_digits.py exported: 64-32-10 with ReLU and
/// softmax, 10 integer classes 0..9 (skl2onnx's ArrayFeatureExtractor input).
#[test]
fn digits_model_parses() {
    let (net, data) = digits();
    assert_eq!(net.producer, "skl2onnx");
    assert_eq!(net.input_shape, vec![64]);
    let kinds: Vec<String> = net
        .layers
        .iter()
        .map(|l| match &l.kind {
            LayerKind::Dense(d) => format!("{}:{}x{}", l.op, d.inputs, d.outputs),
            LayerKind::Activation(a) => a.name().to_string(),
            LayerKind::Softmax => "softmax".into(),
            LayerKind::BatchNorm(_) => "bn".into(),
        })
        .collect();
    assert_eq!(kinds, ["MatMul+Add:64x32", "relu", "MatMul+Add:32x10", "softmax"]);
    assert_eq!(net.classes, Some((0..10).collect()));
    // make_digits.py: 450 test samples (25 % of 1,797, stratified), pixel values 0..16.
    assert_eq!((data.samples, data.width), (450, 64));
    assert!(data.x.iter().all(|&v| (0.0..=16.0).contains(&v) && v.fract() == 0.0));
    let labels = data.labels.as_ref().unwrap();
    assert!(labels.iter().all(|&l| (0..10).contains(&l)));
}

/// The float reference reproduces scikit-learn's test accuracy, 436/450, which
/// make_digits.py printed (circuits/models/README.md); the onnx reference
/// evaluator agreed with scikit-learn on every test sample.
#[test]
fn digits_float_accuracy_is_sklearns() {
    let (net, data) = digits();
    let labels = data.labels.as_ref().unwrap();
    let correct = (0..data.samples).filter(|&i| net.label_of(&net.forward_f32(data.sample(i))) == labels[i]).count();
    assert_eq!(correct, 436);
}

/// Every operator of the loader on a PyTorch-style graph (raw_data weights, Gemm
/// transB, BatchNormalization, LeakyRelu, Sigmoid, Tanh, Reshape, Flatten, Cast,
/// Identity, Softmax) against the outputs of the onnx package's reference
/// evaluator (make_fixtures.py), within float rounding.
#[test]
fn all_ops_fixture_matches_onnx_reference() {
    let f = models().join("fixtures");
    let net = load_onnx(&f.join("all_ops.onnx")).unwrap();
    assert_eq!(net.input_shape, vec![1, 2, 4]);
    let ops: Vec<&str> = net.layers.iter().map(|l| l.op.as_str()).collect();
    assert_eq!(
        ops,
        ["Gemm", "BatchNormalization", "LeakyRelu", "MatMul+Add", "Sigmoid", "Gemm", "Tanh", "Relu", "Gemm", "Softmax"]
    );
    let x = read_npy(&f.join("all_ops_x.npy")).unwrap();
    let y = read_npy(&f.join("all_ops_y.npy")).unwrap();
    assert_eq!(x.shape, vec![5, 1, 2, 4]);
    assert_eq!(y.shape, vec![5, 3]);
    let data = DataSet::from_arrays(&net, &x, None).unwrap();
    let NpyData::F32(want) = &y.data else { panic!("all_ops_y.npy is float32") };
    let mut worst = 0f32;
    for s in 0..data.samples {
        let got = net.forward_f32(data.sample(s));
        for (g, w) in got.iter().zip(&want[s * 3..s * 3 + 3]) {
            worst = worst.max((g - w).abs());
        }
    }
    assert!(worst < 1e-5, "largest difference from the onnx reference evaluator: {worst}");
}

/// Quantised references stay close to the float model's 436/450.
#[test]
fn digits_quantised_accuracy() {
    let (net, data) = digits();
    let labels = data.labels.as_ref().unwrap();
    for (fmt, tolerance) in [(IntFormat::Int8, 4), (IntFormat::Int16, 1)] {
        let q = QuantNet::new(&net, fmt, &data.x).unwrap();
        let correct =
            (0..data.samples).filter(|&i| q.label(&q.infer(&q.quantise_input(data.sample(i)))) == labels[i]).count();
        eprintln!("{}: {correct}/450", fmt.name());
        assert!(correct.abs_diff(436) <= tolerance, "{}: {correct}/450", fmt.name());
    }
}

fn err_string<T: std::fmt::Debug>(r: Result<T, NnError>) -> (NnError, String) {
    let e = r.unwrap_err();
    let s = e.to_string();
    (e, s)
}

#[test]
fn unsupported_operator_names_op_and_node() {
    let (e, s) = err_string(load_onnx(&models().join("fixtures/unsupported_conv.onnx")));
    assert!(matches!(&e, NnError::UnsupportedOp { op_type, node, .. } if op_type == "Conv" && node == "conv0"), "{s}");
    // An unknown operator in the middle of a chain.
    let b = OnnxBuilder::new()
        .input("x", &[-1, 2])
        .output("y", &[-1, 2])
        .init_f32("w", &[2, 2], &[1.0, 0.0, 0.0, 1.0])
        .node("MatMul", "mm", &["x", "w"], &["h"], &[])
        .node("Erf", "the_erf", &["h"], &["y"], &[])
        .build();
    let (e, s) = err_string(parse_onnx(&b, Path::new("erf.onnx")));
    assert!(matches!(&e, NnError::UnsupportedOp { op_type, node, .. } if op_type == "Erf" && node == "the_erf"), "{s}");
    assert!(s.starts_with("erf.onnx: unsupported operator Erf"), "{s}");
}

#[test]
fn inconsistent_nodes_are_errors() {
    // Gemm weights for 3 inputs on a 2-wide input.
    let b = OnnxBuilder::new()
        .input("x", &[-1, 2])
        .output("y", &[-1, 2])
        .init_f32("w", &[3, 2], &[0.0; 6])
        .node("MatMul", "mm", &["x", "w"], &["y"], &[])
        .build();
    let (e, s) = err_string(parse_onnx(&b, Path::new("m.onnx")));
    assert!(matches!(&e, NnError::BadNode { node, .. } if node == "mm"), "{s}");
    assert!(s.contains("take 3 inputs") && s.contains("[2]"), "{s}");
    // Add that is not a MatMul's bias.
    let b = OnnxBuilder::new()
        .input("x", &[-1, 2])
        .output("y", &[-1, 2])
        .init_f32("c", &[2], &[1.0, 2.0])
        .node("Add", "add", &["x", "c"], &["y"], &[])
        .build();
    let (_, s) = err_string(parse_onnx(&b, Path::new("a.onnx")));
    assert!(s.contains("\"add\" (Add)") && s.contains("bias of the MatMul"), "{s}");
    // A bias of the wrong length.
    let b = OnnxBuilder::new()
        .input("x", &[-1, 2])
        .output("y", &[-1, 2])
        .init_f32("w", &[2, 2], &[0.0; 4])
        .init_f32("c", &[3], &[1.0, 2.0, 3.0])
        .node("Gemm", "g", &["x", "w", "c"], &["y"], &[])
        .build();
    let (_, s) = err_string(parse_onnx(&b, Path::new("g.onnx")));
    assert!(s.contains("bias \"c\" has 3 values") && s.contains("2 outputs"), "{s}");
}

#[test]
fn empty_and_corrupt_onnx_are_errors() {
    let dir = support::scratch("nn_corrupt_onnx");
    let empty = dir.join("empty.onnx");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(load_onnx(&empty), Err(NnError::EmptyFile { .. })));
    // The shipped model cut in half: a length-delimited field runs past the end.
    let bytes = std::fs::read(models().join("digits_mlp.onnx")).unwrap();
    let cut = dir.join("cut.onnx");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (e, s) = err_string(load_onnx(&cut));
    assert!(matches!(e, NnError::CorruptOnnx { .. }), "{s}");
    assert!(s.contains("runs past the end"), "{s}");
    // A text file.
    let (e, s) = err_string(parse_onnx(b"this is not a model\n", Path::new("t.onnx")));
    assert!(matches!(e, NnError::CorruptOnnx { .. } | NnError::InvalidModel { .. }), "{s}");
    // Valid protobuf, but no graph: `ir_version: 8` only.
    let (e, s) = err_string(parse_onnx(&[0x08, 0x08], Path::new("ng.onnx")));
    assert!(matches!(e, NnError::InvalidModel { .. }) && s.contains("no graph"), "{s}");
    // A missing file names the path.
    let (e, s) = err_string(load_onnx(&dir.join("nope.onnx")));
    assert!(matches!(e, NnError::Io { .. }) && s.contains("nope.onnx"), "{s}");
}

#[test]
fn bad_data_is_an_error() {
    let (net, _) = digits();
    let dir = support::scratch("nn_bad_data");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    // 63 features for a 64-input model.
    let p = write("x63.npy", &tosim_nn::npy::encode_npy_f32(&[2, 63], &[0.0; 126]));
    let (e, s) = err_string(DataSet::load(&net, &p, None));
    assert!(matches!(e, NnError::ShapeMismatch { .. }) && s.contains("takes 64 values") && s.contains("has 63"), "{s}");
    // NaN at sample 1, feature 5.
    let mut v = vec![1.0f32; 128];
    v[64 + 5] = f32::NAN;
    let p = write("nan.npy", &tosim_nn::npy::encode_npy_f32(&[2, 64], &v));
    let (e, s) = err_string(DataSet::load(&net, &p, None));
    assert!(matches!(e, NnError::NonFinite { sample: 1, feature: 5, .. }), "{s}");
    v[64 + 5] = f32::INFINITY;
    let p = write("inf.npy", &tosim_nn::npy::encode_npy_f32(&[2, 64], &v));
    assert!(matches!(DataSet::load(&net, &p, None), Err(NnError::NonFinite { sample: 1, feature: 5, .. })));
    // Empty file.
    let p = write("empty.npy", b"");
    assert!(matches!(DataSet::load(&net, &p, None), Err(NnError::EmptyFile { .. })));
    // Truncated data: the shipped test inputs less their last byte.
    let x = std::fs::read(models().join("digits_test_x.npy")).unwrap();
    let p = write("cut.npy", &x[..x.len() - 1]);
    let (e, s) = err_string(DataSet::load(&net, &p, None));
    assert!(matches!(e, NnError::BadNpy { .. }) && s.contains("truncated data"), "{s}");
    // Not a .npy at all.
    let p = write("text.npy", b"hello, world, not numpy");
    let (_, s) = err_string(DataSet::load(&net, &p, None));
    assert!(s.contains("magic"), "{s}");
    // Fortran order: the same header with True.
    let good = tosim_nn::npy::encode_npy_f32(&[2, 64], &[0.0; 128]);
    let at = good.windows(5).position(|w| w == b"False").unwrap();
    let mut fortran = good.clone();
    fortran[at..at + 5].copy_from_slice(b"True ");
    let p = write("fortran.npy", &fortran);
    let (_, s) = err_string(DataSet::load(&net, &p, None));
    assert!(s.contains("Fortran"), "{s}");
    // Labels: wrong count, wrong dtype.
    let m = models();
    let y = read_npy(&m.join("digits_test_y.npy")).unwrap();
    let x2 = read_npy(&write("x2.npy", &good)).unwrap();
    let (e, s) = err_string(DataSet::from_arrays(&net, &x2, Some(&y)));
    assert!(matches!(e, NnError::ShapeMismatch { .. }) && s.contains("450 labels for 2 samples"), "{s}");
    let (_, s) = err_string(DataSet::from_arrays(&net, &x2, Some(&x2)));
    assert!(s.contains("labels must have shape"), "{s}");
}

/// Gate-level units compute the same bits as the integer reference, every layer
/// of every sample of the shipped test split (450 samples).
fn gate_agrees(fmt: IntFormat) {
    let (net, data) = digits();
    let q = QuantNet::new(&net, fmt, &data.x).unwrap();
    let x: Vec<Vec<i64>> = (0..data.samples).map(|i| q.quantise_input(data.sample(i))).collect();
    let g = GateNet::int(q.clone(), Profile::default_profile().unwrap(), tosim_nn::Mode::Zero).unwrap();
    let run = g.run(&x, &|_, _, _| {}).unwrap();
    let runs = &run.layers;
    for (s, xs) in x.iter().enumerate() {
        let want = q.infer(xs);
        for (l, lr) in runs.iter().enumerate() {
            assert_eq!(lr.sample_outputs(s), want.layers[l], "{} sample {s} layer {l}", fmt.name());
        }
    }
    // The report says so, and its accuracy is the reference's.
    let ctx =
        RunContext { model: "digits".into(), net: &net, x: &data.x, labels: data.labels.as_deref(), per_neuron: false };
    let r = g.report(&ctx, &run, None).unwrap();
    assert!(r.agreement && r.disagreeing_samples == 0);
    assert_eq!(r.accuracy, r.reference_accuracy);
    // Every MAC is one multiplier and one accumulator operation; every neuron adds
    // its bias once per sample: 450·(64·32 + 32·10) multiplies and that plus
    // 450·(32 + 10) bias additions; every neuron requantises (one multiply, one
    // rounding addition): the hidden ones to the next layer's scale, the output
    // ones to the softmax's input scale. The softmax of the 10 outputs per sample
    // (tosim_micro::fixed): a chain of 9 comparator-and-selectors for the
    // maximum, per value a subtraction, an exp, a rounding addition and a
    // division, and 9 additions for the sum; the exp's own operations (see
    // `exp_ops`) are counted as `exp`. Compare: 32 ReLUs, 32 + 10 upper clamps,
    // 10 lower clamps (the output layer has no ReLU), 9 maxima.
    let exp_ops = {
        use tosim_micro::fixed::{is_wiring, Role};
        let p = g.quant().unwrap().layers[1].softmax.as_ref().unwrap();
        p.program.steps.iter().zip(&p.roles).filter(|(s, r)| **r == Role::Exp && !is_wiring(s.op)).count()
    };
    // Non-wiring exp steps per value: clamp, multiply by log2 e, add ½, subtract
    // k, Horner (multiply, add) per degree (3 for int8, 5 for int16), amount
    // subtraction, barrel shift, rounding addition: 7 + 2·degree.
    let degree = if fmt == IntFormat::Int8 { 3 } else { 5 };
    assert_eq!(exp_ops, 10 * (7 + 2 * degree));
    let mul = r.total.by_primitive[&Primitive::Multiply];
    let add = r.total.by_primitive[&Primitive::Add];
    let cmp = r.total.by_primitive[&Primitive::Compare];
    let div = r.total.by_primitive[&Primitive::Divide];
    let exp = r.total.by_primitive[&Primitive::Exp];
    assert_eq!(mul.operations, 450 * (64 * 32 + 32 * 10) + 450 * (32 + 10), "MAC and requantisation multiplies");
    assert_eq!(add.operations, 450 * (64 * 32 + 32 * 10) + 450 * (32 + 10) * 2 + 450 * (10 + 10 + 9));
    assert_eq!(cmp.operations, 450 * (32 + 42 + 10 + 9));
    assert_eq!(div.operations, 450 * 10);
    assert_eq!(exp.operations, 450 * exp_ops as u64);
    assert_eq!(r.total.macs, 450 * (64 * 32 + 32 * 10));
    assert!(r.total.switching_tos > 0 && r.total.switching_tos < r.total.static_tos);
}

#[test]
fn gate_level_agrees_int8() {
    gate_agrees(IntFormat::Int8);
}

#[test]
fn gate_level_agrees_int16() {
    gate_agrees(IntFormat::Int16);
}

/// The counts are the same for one and two rayon threads (reduced in neuron order).
#[test]
fn counts_do_not_depend_on_thread_count() {
    let (net, data) = digits();
    let q = QuantNet::new(&net, IntFormat::Int8, &data.x).unwrap();
    let x: Vec<Vec<i64>> = (0..24).map(|i| q.quantise_input(data.sample(i))).collect();
    let g = GateNet::int(q, Profile::default_profile().unwrap(), tosim_nn::Mode::Zero).unwrap();
    let ctx = RunContext {
        model: "digits".into(),
        net: &net,
        x: &data.x[..24 * 64],
        labels: data.labels.as_deref().map(|l| &l[..24]),
        per_neuron: true,
    };
    let report = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let run = pool.install(|| g.run(&x, &|_, _, _| {})).unwrap();
        g.report(&ctx, &run, None).unwrap()
    };
    let (one, two) = (report(1), report(2));
    assert_eq!(one, two);
    assert!(one.agreement);
    // Per-neuron counts add up to the layer's.
    for l in &one.layers {
        let sum: u64 = l.per_neuron.as_ref().unwrap().iter().map(|n| n.switching_tos).sum();
        assert_eq!(sum, l.switching_tos);
    }
}

#[test]
fn profiles_parse_and_reject_unknown_units() {
    let p = Profile::default_profile().unwrap();
    assert_eq!(p.binding, "textbook");
    assert_eq!(p.int8.multiply, tosim_units::Arch::Dadda);
    assert_eq!(p.int16.accumulate, tosim_units::Arch::KoggeStone);
    let text = tosim_nn::DEFAULT_PROFILE.replace("multiply = \"dadda\"", "multiply = \"wallaby\"");
    let (e, s) = err_string(Profile::parse(&text, Path::new("p.toml"), None));
    assert!(matches!(e, NnError::BadProfile { .. }) && s.contains("wallaby"), "{s}");
    let text = tosim_nn::DEFAULT_PROFILE.replace("accumulate = \"kogge-stone\"", "accumulate = \"dadda\"");
    let (_, s) = err_string(Profile::parse(&text, Path::new("p.toml"), None));
    assert!(s.contains("not an adder"), "{s}");
    // Malformed TOML: the error names the file and keeps the parser's cause (line and column).
    let e = Profile::parse("[int8\nmultiply = 1", Path::new("p.toml"), None).unwrap_err();
    assert!(matches!(e, NnError::ProfileToml { .. }), "{e}");
    let cause = std::error::Error::source(&e).map(|c| c.to_string()).unwrap_or_default();
    assert!(e.to_string().contains("p.toml") && cause.contains("line 1"), "{e}: {cause}");
    // A per-format override.
    let text = format!("{}\nmultiply = \"booth\"\n", tosim_nn::DEFAULT_PROFILE);
    let p = Profile::parse(&text, Path::new("p.toml"), None).unwrap();
    assert_eq!((p.int8.multiply, p.int16.multiply), (tosim_units::Arch::Dadda, tosim_units::Arch::Booth));
}

/// `tosim net` from the repository root with no arguments runs the shipped model;
/// `--limit` and `--json` work and the JSON has the documented keys.
#[test]
fn net_command_runs_the_default_model() {
    let dir = support::scratch("nn_cli");
    let json = dir.join("r.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tosim"))
        .current_dir(support::repo())
        .args(["net", "--limit", "6", "--format", "int16", "--per-neuron", "--json"])
        .arg(&json)
        .arg("--csv")
        .arg(dir.join("r.csv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("agreement: yes"), "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["samples"], 6);
    assert_eq!(v["agreement"], true);
    assert_eq!(v["format"], "int16");
    assert!(v["accuracy"].is_number());
    for k in ["macs", "flops", "static_tos", "switching_tos", "by_primitive", "per_sample"] {
        assert!(!v["total"][k].is_null(), "total.{k}");
    }
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    for l in layers {
        for k in ["name", "macs", "flops", "static_tos", "switching_tos", "by_primitive", "per_neuron"] {
            assert!(!l[k].is_null(), "layers[].{k}");
        }
    }
    // 6 samples · 64 · 32 MACs in the first layer.
    assert_eq!(layers[0]["macs"], 6 * 64 * 32);
    let csv = std::fs::read_to_string(dir.join("r.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 + 32 + 10 + 1, "header, 2 layers, 42 neurons, total");

    // Elsewhere, the default model is not found: a clear error, no panic.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tosim")).current_dir(&dir).arg("net").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("default model") && err.contains("repository root"), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tosim"))
        .current_dir(support::repo())
        .args(["net", "--format", "int4"])
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("int4"));
}

/// Gemm's alpha, beta and transB are folded into the dense layer:
/// y = alpha·x·Wᵀ + beta·c with W = [[1, 2], [3, 4]], x = (1, 1), alpha 0.5,
/// beta 2, c = (1, −1): alpha·(3, 7) + (2, −2) = (3.5, 1.5).
/// Integer formats compute the sigmoid; two activations in a row are an error naming the layer.
#[test]
fn gemm_attributes_and_integer_activation_limits() {
    let b = OnnxBuilder::new()
        .input("x", &[-1, 2])
        .output("y", &[-1, 2])
        .init_f32("w", &[2, 2], &[1.0, 2.0, 3.0, 4.0])
        .init_f32("c", &[2], &[1.0, -1.0])
        .node(
            "Gemm",
            "g",
            &["x", "w", "c"],
            &["h"],
            &[Attr::Int("transB", 1), Attr::Float("alpha", 0.5), Attr::Float("beta", 2.0)],
        )
        .node("Sigmoid", "sig", &["h"], &["y"], &[])
        .build();
    let net = parse_onnx(&b, Path::new("g.onnx")).unwrap();
    let LayerKind::Dense(d) = &net.layers[0].kind else { panic!("dense first") };
    assert_eq!(d.weights, vec![0.5, 1.0, 1.5, 2.0]);
    assert_eq!(d.bias, vec![2.0, -2.0]);
    let h = net.layers[0].forward_f32(&[1.0, 1.0]);
    assert_eq!(h, vec![3.5, 1.5]);
    // int8 sigmoid: the requantised input is clamped to the saturation range
    // ±8 (act_saturation), scale 3.5/127; σ(3.5) = 0.97069 → round(0.97069·64) = 62,
    // σ(1.5) = 0.81757 → 52 (6 fraction bits).
    let q = QuantNet::new(&net, IntFormat::Int8, &[1.0, 1.0]).unwrap();
    assert_eq!(q.infer(&q.quantise_input(&[1.0, 1.0])).logits(), &[62, 52]);
    // Two activations in a row cannot be quantised: an error naming the layer.
    let b = OnnxBuilder::new()
        .input("x", &[-1, 2])
        .output("y", &[-1, 2])
        .init_f32("w", &[2, 2], &[1.0, 2.0, 3.0, 4.0])
        .node("Gemm", "g", &["x", "w"], &["h"], &[Attr::Int("transB", 1)])
        .node("Relu", "r", &["h"], &["h2"], &[])
        .node("Sigmoid", "sig", &["h2"], &["y"], &[])
        .build();
    let net = parse_onnx(&b, Path::new("g2.onnx")).unwrap();
    let (e, s) = err_string(QuantNet::new(&net, IntFormat::Int8, &[1.0, 1.0]));
    assert!(matches!(&e, NnError::Quantise { layer, .. } if layer == "sig"), "{s}");
    assert!(s.contains("Sigmoid cannot follow"), "{s}");
}

/// A network with batch normalisation (folded), a ReLU layer, a layer without
/// activation (so the lower clamp runs) and a final softmax, random weights and
/// data from a fixed-seed generator: gate level agrees with the reference for
/// both ReLU units, and the int16 logits, scaled back, track the float logits.
#[test]
fn batchnorm_and_linear_layers_agree_and_track_float() {
    random_net_agrees_and_tracks_float(("Relu", vec![]));
}

/// The same with a LeakyReLU (slope 0.1 = m / 2^k, a multiplier and a
/// comparator-and-selector) instead of the ReLU: requantisation then clamps on
/// both sides.
#[test]
fn leaky_relu_agrees_and_tracks_float() {
    random_net_agrees_and_tracks_float(("LeakyRelu", vec![Attr::Float("alpha", 0.1)]));
}

/// Uniform values in [−1, 1) from the SplitMix64 sequence of `seed`
/// (`tosim_sim::splitmix64_at`), outputs `first`, `first + 1`, … in order, `n` per call.
pub(crate) fn draws(seed: u64, first: u64) -> impl FnMut(usize) -> Vec<f32> {
    let mut k = first;
    move |n| {
        let v = (k..k + n as u64).map(|i| (tosim_sim::splitmix64_at(seed, i) >> 11) as f32 / (1u64 << 52) as f32 - 1.0);
        let v = v.collect();
        k += n as u64;
        v
    }
}

/// Parameters of the block the random batch-norm networks here and in
/// nn_float.rs begin with: Gemm `fc1` (5 neurons), batch norm `bn`, an
/// activation, MatMul `fc2` + Add `fc2_add` (4 neurons).
pub(crate) struct BnBlock {
    pub w1: Vec<f32>,
    pub b1: Vec<f32>,
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
    pub mean: Vec<f32>,
    pub var: Vec<f32>,
    pub w2: Vec<f32>,
    pub b2: Vec<f32>,
}

impl BnBlock {
    /// Input `x` (`inputs` wide) → `fc1` → `bn` (ε = 1e−5) → `op` (node
    /// `name`, attributes `attrs`) → `fc2` + `fc2_add`, whose output is `h5`;
    /// output `y` is declared 3 wide, the caller adds the layers after `h5`.
    pub(crate) fn onnx(&self, inputs: i64, op: &str, name: &str, attrs: &[Attr]) -> OnnxBuilder {
        OnnxBuilder::new()
            .input("x", &[-1, inputs])
            .output("y", &[-1, 3])
            .init_f32("w1", &[5, inputs], &self.w1)
            .init_f32("b1", &[5], &self.b1)
            .init_f32("g", &[5], &self.gamma)
            .init_f32("be", &[5], &self.beta)
            .init_f32("mu", &[5], &self.mean)
            .init_f32("var", &[5], &self.var)
            .init_f32("w2", &[5, 4], &self.w2)
            .init_f32("b2", &[4], &self.b2)
            .node("Gemm", "fc1", &["x", "w1", "b1"], &["h1"], &[Attr::Int("transB", 1)])
            .node("BatchNormalization", "bn", &["h1", "g", "be", "mu", "var"], &["h2"], &[Attr::Float("epsilon", 1e-5)])
            .node(op, name, &["h2"], &["h3"], attrs)
            .node("MatMul", "fc2", &["h3", "w2"], &["h4"], &[])
            .node("Add", "fc2_add", &["h4", "b2"], &["h5"], &[])
    }
}

fn random_net_agrees_and_tracks_float(act: (&str, Vec<Attr>)) {
    let mut v = draws(0x1234_5678, 0);
    let (w1, b1, w2, b2, w3) = (v(5 * 6), v(5), v(5 * 4), v(4), v(3 * 4));
    let var: Vec<f32> = v(5).iter().map(|x| 0.5 + x.abs()).collect();
    let (gamma, beta, mean) = (v(5), v(5), v(5));
    let x = v(40 * 6);
    let b = BnBlock { w1, b1, gamma, beta, mean, var, w2, b2 }
        .onnx(6, act.0, "act", &act.1)
        .init_f32("w3", &[3, 4], &w3)
        .node("Gemm", "fc3", &["h5", "w3"], &["h6"], &[Attr::Int("transB", 1)])
        .node("Softmax", "sm", &["h6"], &["y"], &[])
        .build();
    let net = parse_onnx(&b, Path::new("bn.onnx")).unwrap();
    for (fmt, relu) in [(IntFormat::Int8, "max"), (IntFormat::Int8, "mask"), (IntFormat::Int16, "max")] {
        let q = QuantNet::new(&net, fmt, &x).unwrap();
        assert_eq!(q.layers.len(), 3);
        assert_eq!(q.layers[0].relu, act.0 == "Relu");
        assert_eq!(q.layers[0].leaky.is_some(), act.0 == "LeakyRelu");
        assert!(!q.layers[1].relu && q.layers[1].requant.is_some());
        let xq: Vec<Vec<i64>> = x.chunks(6).map(|s| q.quantise_input(s)).collect();
        let text = tosim_nn::DEFAULT_PROFILE.replace("relu = \"max\"", &format!("relu = \"{relu}\""));
        let profile = Profile::parse(&text, Path::new("p.toml"), None).unwrap();
        let g = GateNet::int(q.clone(), profile, tosim_nn::Mode::Zero).unwrap();
        let run = g.run(&xq, &|_, _, _| {}).unwrap();
        let runs = &run.layers;
        for (s, xs) in xq.iter().enumerate() {
            let want = q.infer(xs);
            for (l, lr) in runs.iter().enumerate() {
                assert_eq!(
                    lr.sample_outputs(s),
                    want.layers[l],
                    "{} {} {relu} sample {s} layer {l}",
                    fmt.name(),
                    act.0
                );
            }
        }
        if fmt == IntFormat::Int16 {
            // The softmax outputs (14 fraction bits) against the float network's.
            let scale = q.layers[2].output_scale().unwrap();
            let mut worst = 0f64;
            for (s, xs) in xq.iter().enumerate() {
                let float = net.forward_f32(&x[s * 6..s * 6 + 6]);
                for (i, &l) in q.infer(xs).logits().iter().enumerate() {
                    worst = worst.max((l as f64 * scale - f64::from(float[i])).abs());
                }
            }
            // int16 steps are ~1/32767 of each tensor's range, the softmax's output
            // step 2^−14 = 6.1e-5; measured 3.8e-5 (ReLU and LeakyReLU). A wrong fold, slope,
            // requantisation or softmax gives O(0.1).
            assert!(worst < 5e-4, "{}: int16 outputs differ from float by {worst}", act.0);
        }
    }
}

/// Glitch mode adds glitch TOs and leaves everything else as in zero-delay mode;
/// with inertial unit delays every settled toggle is also a transition, so
/// glitch TOs are at least the switching TOs, per layer and per primitive.
#[test]
fn glitch_mode_counts_hazards_too() {
    let (net, data) = digits();
    let q = QuantNet::new(&net, IntFormat::Int8, &data.x).unwrap();
    let x: Vec<Vec<i64>> = (0..4).map(|i| q.quantise_input(data.sample(i))).collect();
    let ctx = RunContext { model: "digits".into(), net: &net, x: &data.x[..4 * 64], labels: None, per_neuron: false };
    let zero = GateNet::int(q.clone(), Profile::default_profile().unwrap(), tosim_nn::Mode::Zero).unwrap();
    let glitch = GateNet::int(q, Profile::default_profile().unwrap(), tosim_nn::Mode::Glitch).unwrap();
    let rz = zero.report(&ctx, &zero.run(&x, &|_, _, _| {}).unwrap(), None).unwrap();
    let rg = glitch.report(&ctx, &glitch.run(&x, &|_, _, _| {}).unwrap(), None).unwrap();
    assert!(rz.total.glitch_tos.is_none());
    assert!(rg.agreement);
    assert_eq!(rz.total.switching_tos, rg.total.switching_tos);
    assert_eq!(rz.total.static_tos, rg.total.static_tos);
    for (lz, lg) in rz.layers.iter().zip(&rg.layers) {
        assert!(lg.glitch_tos.unwrap() >= lz.switching_tos, "{}", lz.name);
        for (p, c) in &lg.by_primitive {
            assert!(c.glitch_tos.unwrap() >= c.switching_tos, "{} {p:?}", lz.name);
        }
    }
    assert_eq!(rg.total.glitch_tos, Some(rg.layers.iter().map(|l| l.glitch_tos.unwrap()).sum()));
}

/// Every shipped profile (`circuits/profiles/*.toml`), sorted by name.
pub(crate) fn profiles() -> Vec<Profile> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(support::repo().join("circuits/profiles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "default and compact profiles");
    files.iter().map(|f| Profile::load(f).unwrap()).collect()
}

/// Runs `q` on gates over `x` and checks every layer of every sample against
/// the reference; returns the report.
fn agree(net: &tosim_nn::Network, q: &QuantNet, x: &[f32], profile: Profile, what: &str) -> NetReport {
    let w = net.input_width();
    let xq: Vec<Vec<i64>> = x.chunks(w).map(|s| q.quantise_input(s)).collect();
    let g = GateNet::int(q.clone(), profile, tosim_nn::Mode::Zero).unwrap();
    let run = g.run(&xq, &|_, _, _| {}).unwrap();
    let runs = &run.layers;
    for (s, xs) in xq.iter().enumerate() {
        let want = q.infer(xs);
        for (l, lr) in runs.iter().enumerate() {
            assert_eq!(lr.sample_outputs(s), want.layers[l], "{what} sample {s} layer {l}");
        }
    }
    let ctx = RunContext { model: what.into(), net, x, labels: None, per_neuron: false };
    let r = g.report(&ctx, &run, None).unwrap();
    assert!(r.agreement, "{what}");
    r
}

/// The digits model on every profile in every integer and fixed-point format
/// (the first 40 test samples; the whole split runs in `gate_level_agrees_*`):
/// gate level agrees with the reference, the softmax's divisions are counted,
/// and the compact profile's units are not the default's.
#[test]
fn digits_agrees_for_every_format_and_profile() {
    let (net, data) = digits();
    let x = &data.x[..40 * 64];
    for profile in profiles() {
        for name in ["int8", "int16", "q5.3", "q8.8", "q6.10"] {
            let fmt = IntFormat::parse(name).unwrap();
            let q = QuantNet::new(&net, fmt, &data.x).unwrap();
            let what = format!("digits {name} {}", profile.name);
            let r = agree(&net, &q, x, profile.clone(), &what);
            assert_eq!(r.format, name);
            assert_eq!(r.total.by_primitive[&Primitive::Divide].operations, 40 * 10, "{what}");
            let units: Vec<&String> = r.units.keys().collect();
            let want = if profile.name == "compact" { "ripple" } else { "kogge_stone" };
            assert!(units.iter().any(|u| u.starts_with("add_") && u.contains(want)), "{what}: {units:?}");
        }
    }
}

/// Generated networks with every layer kind the integer path computes —
/// batch norm (folded and unfolded), ReLU, LeakyReLU, sigmoid, tanh, softmax
/// (hidden and last) — agree on every profile and format; unfolded batch norm
/// counts one square root and one division per neuron and sample, folded none.
#[test]
fn generated_fixtures_agree_for_every_format_and_profile() {
    use tosim_nn::testing::{random_mlp_onnx, uniform};
    let x = uniform(21, 8 * 6);
    let cases = [("Sigmoid", "Softmax"), ("Tanh", "Sigmoid"), ("LeakyRelu", "Tanh"), ("Softmax", ""), ("Relu", "")];
    for (i, (act, last)) in cases.iter().enumerate() {
        let bytes = random_mlp_onnx(100 + i as u64, &[6, 5, 4], 1.0, act, true, last);
        let net = parse_onnx(&bytes, Path::new("fixture.onnx")).unwrap();
        for profile in profiles() {
            for name in ["int8", "int16", "q3.5", "q4.12"] {
                let fmt = IntFormat::parse(name).unwrap();
                for unfold in [false, true] {
                    let q = QuantNet::with_batchnorm(&net, fmt, &x, unfold).unwrap();
                    let what = format!("{act} {last} {name} {} unfold={unfold}", profile.name);
                    let r = agree(&net, &q, &x, profile.clone(), &what);
                    let sqrt = r.total.by_primitive.get(&Primitive::Sqrt).map_or(0, |c| c.operations);
                    assert_eq!(sqrt, if unfold { 8 * 5 } else { 0 }, "{what}");
                }
            }
        }
    }
}

/// `tosim net` on a model file with batch norm, sigmoid and softmax, in a
/// fixed-point format, with the batch norm unfolded and folded.
#[test]
fn net_command_fixed_point_and_batchnorm() {
    use tosim_nn::testing::{random_mlp_onnx, uniform};
    let dir = support::scratch("nn_cli_fixed");
    std::fs::write(dir.join("m.onnx"), random_mlp_onnx(5, &[6, 5, 3], 1.0, "Sigmoid", true, "Softmax")).unwrap();
    std::fs::write(dir.join("x.npy"), tosim_nn::npy::encode_npy_f32(&[10, 6], &uniform(6, 60))).unwrap();
    let run = |bn: &str| -> serde_json::Value {
        let json = dir.join(format!("{bn}.json"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tosim"))
            .current_dir(&dir)
            .args(["net", "m.onnx", "--data", "x.npy", "--format", "q4.12", "--batchnorm", bn, "--json"])
            .arg(&json)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
    };
    let (u, f) = (run("unfold"), run("fold"));
    for v in [&u, &f] {
        assert_eq!(v["agreement"], true);
        assert_eq!(v["format"], "q4.12");
        // 10 samples: 5 sigmoids and 3 softmax outputs, one division each.
        assert!(v["total"]["by_primitive"]["exp"]["operations"].as_u64().unwrap() > 0);
    }
    assert_eq!(f["total"]["by_primitive"]["divide"]["operations"], 10 * (5 + 3));
    assert_eq!(u["total"]["by_primitive"]["divide"]["operations"], 10 * (5 + 3 + 5));
    assert_eq!(u["total"]["by_primitive"]["sqrt"]["operations"], 10 * 5);
    assert!(f["total"]["by_primitive"]["sqrt"].is_null());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tosim"))
        .current_dir(&dir)
        .args(["net", "m.onnx", "--data", "x.npy", "--format", "q9.9"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("q9.9") && err.contains("qM.N"), "{err}");
}

/// The generated fixtures in `circuits/models/fixtures/` (batch norm with
/// sigmoid and softmax, batch norm with tanh, and their inputs) are exactly
/// what `tosim_nn::testing` builds; `TOSIM_WRITE_FIXTURES=1 cargo test --test
/// tests nn::generated_fixture_files` rewrites them.
#[test]
fn generated_fixture_files_are_current() {
    use tosim_nn::testing::{random_mlp_onnx, uniform};
    let x: Vec<f32> = uniform(44, 64 * 16).iter().map(|v| 2.0 * v).collect();
    let files = [
        ("mlp_bn_sigmoid_softmax.onnx", random_mlp_onnx(42, &[16, 24, 12, 4], 0.5, "Sigmoid", true, "Softmax")),
        ("mlp_bn_tanh.onnx", random_mlp_onnx(43, &[16, 24, 12, 4], 0.5, "Tanh", true, "")),
        ("mlp16_x.npy", tosim_nn::npy::encode_npy_f32(&[64, 16], &x)),
    ];
    let dir = models().join("fixtures");
    for (name, bytes) in &files {
        if std::env::var_os("TOSIM_WRITE_FIXTURES").is_some() {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        assert!(std::fs::read(dir.join(name)).unwrap() == *bytes, "{name} differs from its generator");
    }
    // They load, and every int format agrees on them with the batch norm unfolded.
    for model in ["mlp_bn_sigmoid_softmax.onnx", "mlp_bn_tanh.onnx"] {
        let net = load_onnx(&dir.join(model)).unwrap();
        for name in ["int8", "int16", "q4.12"] {
            let q = QuantNet::with_batchnorm(&net, IntFormat::parse(name).unwrap(), &x, true).unwrap();
            agree(&net, &q, &x[..16 * 16], Profile::default_profile().unwrap(), &format!("{model} {name}"));
        }
    }
}
