//! Network runs on gate-level units, public API only:
//!
//! - `digits_int8_test_split`: the shipped digits MLP (64-32-10) over its whole
//!   450-sample test split at int8, zero-delay, units built once outside the
//!   loop (target: under 5 s on 2 cores);
//! - `mlp_784_256_10_fp32`: an MNIST-sized 784-256-10 ReLU MLP with fixed-seed
//!   random weights ([`tosim_nn::sweep::ModelConfig`]) on 8 random images at
//!   fp32, zero-delay (target: under 50 ms per image on 2 cores).
//!
//! `cargo bench --bench net` ; figures in docs/network.md.

// `criterion_group!` defines an undocumented function.
#![allow(missing_docs)]

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tosim_nn::sweep::{random_inputs, ModelConfig};
use tosim_nn::{
    load_onnx, Activation, BatchNormMode, DataSet, FloatGateNet, FloatNet, Format, GateNet, IntFormat, NetReport,
    Profile, QuantNet, RunContext,
};

fn digits(c: &mut Criterion) {
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("circuits/models");
    let net = load_onnx(&m.join("digits_mlp.onnx")).expect("model");
    let data = DataSet::load(&net, &m.join("digits_test_x.npy"), Some(&m.join("digits_test_y.npy"))).expect("data");
    let q = QuantNet::new(&net, IntFormat::Int8, &data.x).expect("quantise");
    let xq: Vec<Vec<i64>> = (0..data.samples).map(|i| q.quantise_input(data.sample(i))).collect();
    let g = GateNet::new(q, Profile::default_profile().expect("profile")).expect("units");
    let mut grp = c.benchmark_group("net");
    grp.sample_size(10);
    grp.throughput(Throughput::Elements(data.samples as u64));
    grp.bench_function("digits_int8_test_split", |b| {
        b.iter(|| {
            let runs = g.run(&xq, &|_, _, _| {});
            let ctx = RunContext {
                model: "digits".into(),
                net: &net,
                x: &data.x,
                xq: &xq,
                labels: data.labels.as_deref(),
                per_neuron: false,
            };
            let r = NetReport::build(&ctx, &g, &runs);
            assert!(r.agreement);
            r.total.switching_tos
        })
    });
    grp.finish();
}

fn mlp_fp32(c: &mut Criterion) {
    let cfg = ModelConfig {
        depth: 1,
        width: 256,
        activation: Activation::Relu,
        batch_norm: false,
        inputs: 784,
        outputs: 10,
        seed: 1,
    };
    let net = cfg.network();
    let images = 8;
    let x = random_inputs(images, 784, 1);
    let fnet = FloatNet::new(&net, Format::Binary32, BatchNormMode::Unfold).expect("fp32 network");
    let xe: Vec<Vec<u32>> = (0..images).map(|i| fnet.encode_input(&x[i * 784..(i + 1) * 784])).collect();
    let g = FloatGateNet::new(fnet, Profile::default_profile().expect("profile")).expect("units");
    let mut grp = c.benchmark_group("net");
    grp.sample_size(10);
    grp.throughput(Throughput::Elements(images as u64));
    grp.bench_function("mlp_784_256_10_fp32", |b| {
        b.iter(|| {
            let run = g.run(&xe, &|_, _, _| {}).expect("run");
            assert!(run.op_disagreements.iter().all(|&d| d == 0));
            run.layers.len()
        })
    });
    grp.finish();
}

criterion_group!(benches, digits, mlp_fp32);
criterion_main!(benches);
