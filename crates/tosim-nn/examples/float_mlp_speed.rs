//! Speed of a float network on gate-level units: an MNIST-sized 784-256-10
//! MLP (ReLU, softmax) with random weights and random inputs, zero-delay.
//!
//! ```text
//! cargo run --release -p tosim-nn --example float_mlp_speed -- [IMAGES] [fp32|fp16|bf16]
//! ```
//!
//! Weights are uniform in ±1/√fan-in, inputs uniform in [0, 1) (SplitMix64,
//! fixed seeds). Prints the unit build time, the run time per image, the
//! unit operations and gate evaluations per second, and checks that the
//! gate-level outputs agree with the reference.

use std::path::Path;
use std::time::Instant;

use tosim_nn::testing::{Attr, OnnxBuilder};
use tosim_nn::{parse_float_format, parse_onnx, BatchNormMode, FloatNet, GateNet, Mode, Profile};

fn uniform(seed: u64, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n as u64)
        .map(|i| {
            let u = (tosim_sim::splitmix64_at(seed, i) >> 11) as f64 / (1u64 << 53) as f64;
            lo + (hi - lo) * u as f32
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let images: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(8);
    let format = parse_float_format(args.get(2).map_or("fp32", |s| s.as_str())).expect("fp32, fp16 or bf16");
    let (k, h, o) = (784usize, 256usize, 10usize);
    let (a1, a2) = (1.0 / (k as f32).sqrt(), 1.0 / (h as f32).sqrt());
    let bytes = OnnxBuilder::new()
        .input("x", &[-1, k as i64])
        .output("y", &[-1, o as i64])
        .init_f32("w1", &[h as i64, k as i64], &uniform(1, h * k, -a1, a1))
        .init_f32("b1", &[h as i64], &uniform(2, h, -a1, a1))
        .init_f32("w2", &[o as i64, h as i64], &uniform(3, o * h, -a2, a2))
        .init_f32("b2", &[o as i64], &uniform(4, o, -a2, a2))
        .node("Gemm", "fc1", &["x", "w1", "b1"], &["h1"], &[Attr::Int("transB", 1)])
        .node("Relu", "relu", &["h1"], &["h2"], &[])
        .node("Gemm", "fc2", &["h2", "w2", "b2"], &["h3"], &[Attr::Int("transB", 1)])
        .node("Softmax", "sm", &["h3"], &["y"], &[])
        .build();
    let net = parse_onnx(&bytes, Path::new("mlp784.onnx")).expect("model");
    let x = uniform(5, images * k, 0.0, 1.0);
    let t = Instant::now();
    let fnet = FloatNet::new(&net, format, BatchNormMode::Unfold).expect("float net");
    let g = GateNet::float(fnet, Profile::default_profile().expect("profile"), Mode::Zero).expect("units");
    let xs: Vec<Vec<i64>> = x.chunks(k).map(|s| g.encode(s)).collect();
    let build = t.elapsed();
    let t = Instant::now();
    let run = g.run(&xs, &|_, _, _| {}).expect("run");
    let secs = t.elapsed().as_secs_f64();
    let mut ops = 0u64;
    let mut evals = 0u64;
    for l in &run.layers {
        for n in &l.neurons {
            for c in n.by_primitive.values() {
                ops += c.operations;
            }
        }
    }
    // Gate evaluations: every operation evaluates every instruction of its unit once.
    let t2 = Instant::now();
    let mut check = 0;
    for (s, xi) in xs.iter().enumerate() {
        let want = g.infer(xi).expect("reference");
        check += usize::from(run.layers[1].sample_outputs(s) == want[1]);
    }
    let ref_secs = t2.elapsed().as_secs_f64();
    // Gate evaluations of the MACs alone: every multiply-accumulate evaluates
    // every instruction of the fmul and the fadd once.
    let macs = (images * (k * h + h * o)) as u64;
    evals += macs * (g.units[0].hw.program().instructions() + g.units[1].hw.program().instructions()) as u64;
    println!(
        "{} {}-{}-{} x {images} images: units built in {:.2} s; run {:.3} s = {:.1} ms/image; {} unit ops \
         ({:.3e} ops/s, MACs alone {:.2e} gate-evals/s); disagreeing ops {}; outputs equal to the reference on {check}/{images} \
         images (reference {:.1} ms/image); threads {}",
        tosim_nn::float_format_name(format),
        k,
        h,
        o,
        build.as_secs_f64(),
        secs,
        1e3 * secs / images as f64,
        ops,
        ops as f64 / secs,
        evals as f64 / secs,
        run.op_disagreements.iter().sum::<u64>(),
        1e3 * ref_secs / images as f64,
        rayon::current_num_threads()
    );
}
