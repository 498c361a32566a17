//! Network runs on gate-level units, public API only, every format on the
//! same engine (`tosim_nn::GateNet`):
//!
//! - `digits/<format>`: the shipped digits MLP (64-32-10) over its whole
//!   450-sample test split, zero delay, units built once outside the loop
//!   (int8 target: under 0.3 s on 2 cores);
//! - `mlp784/<format>`: an MNIST-sized 784-256-10 ReLU MLP with fixed-seed
//!   random weights ([`tosim_nn::sweep::ModelConfig`]) on 8 random images.
//!
//! Throughput is in gate evaluations (every simulated operation evaluates
//! every instruction of its unit once), so criterion's `elem/s` is the
//! network path's gate-evaluation rate, comparable with the engine's
//! (`cargo bench --bench sim`). `cargo bench --bench net`; figures in
//! docs/performance.md.

// `criterion_group!` defines an undocumented function.
#![allow(missing_docs)]

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tosim_nn::sweep::{random_inputs, ModelConfig};
use tosim_nn::{load_onnx, Activation, BatchNormMode, DataSet, GateNet, Mode, NumFormat, Profile, RunContext};

const FORMATS: [&str; 3] = ["int8", "int16", "fp32"];

fn bench_net(c: &mut Criterion, group: &str, net: &tosim_nn::Network, x: &[f32], labels: Option<&[i64]>) {
    let width = net.input_width();
    let samples = x.len() / width;
    let mut grp = c.benchmark_group(group);
    grp.sample_size(10);
    for name in FORMATS {
        let f = NumFormat::parse(name).expect("format");
        let profile = Profile::default_profile().expect("profile");
        let g = GateNet::new(net, f, x, BatchNormMode::Unfold, profile, Mode::Zero).expect("units");
        let xe: Vec<Vec<i64>> = (0..samples).map(|i| g.encode(&x[i * width..(i + 1) * width])).collect();
        let probe = g.run(&xe, &|_, _, _| {}).expect("run");
        grp.throughput(Throughput::Elements(g.gate_evaluations(&probe)));
        grp.bench_function(name, |b| {
            b.iter(|| {
                let run = g.run(&xe, &|_, _, _| {}).expect("run");
                let ctx = RunContext { model: group.into(), net, x, labels, per_neuron: false };
                let r = g.report(&ctx, &run, None).expect("report");
                assert!(r.agreement);
                r.total.switching_tos
            })
        });
    }
    grp.finish();
}

fn digits(c: &mut Criterion) {
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("circuits/models");
    let net = load_onnx(&m.join("digits_mlp.onnx")).expect("model");
    let data = DataSet::load(&net, &m.join("digits_test_x.npy"), Some(&m.join("digits_test_y.npy"))).expect("data");
    bench_net(c, "digits", &net, &data.x, data.labels.as_deref());
}

fn mlp784(c: &mut Criterion) {
    let cfg = ModelConfig {
        depth: 1,
        width: 256,
        activation: Activation::Relu,
        batch_norm: false,
        inputs: 784,
        outputs: 10,
        seed: 1,
    };
    let x = random_inputs(8, 784, 1);
    bench_net(c, "mlp784", &cfg.network(), &x, None);
}

criterion_group!(benches, digits, mlp784);
criterion_main!(benches);
