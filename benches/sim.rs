//! Simulator throughput, in gate evaluations per second (criterion's
//! elements/s = operations × cells). Public API only.
//!
//! `cargo bench --bench sim` ; see docs/performance.md for figures.

// `criterion_group!` defines an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tosim_netlist::library::Library;
use tosim_sim::{
    run_glitch, run_zero_delay, transpose64, Delay, Generated, GlitchOptions, GlitchProgram, Options, Program,
};
use tosim_units::{generate, Arch, Kind, UnitSpec};

fn bench(c: &mut Criterion) {
    let n = generate(&UnitSpec::new(Kind::Mul, Arch::Array, 32)).expect("unit");
    let models = Library::textbook().expect("textbook").bind(&n).expect("bind");
    let p = Program::compile(&n, &models).expect("compile");
    let widths: Vec<u32> = n.inputs().iter().map(|b| b.width() as u32).collect();
    let ops = 1u64 << 16;
    let s = Generated::uniform(&widths, ops, 1);
    let cells = n.cell_count() as u64;
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
    let totals = Options { per_op_stats: false, ..Options::default() };
    let stats = Options::default();

    let mut g = c.benchmark_group("zero_delay_mul_array_32");
    g.throughput(Throughput::Elements(ops * cells));
    g.sample_size(10);
    g.bench_function("totals_1_thread", |b| b.iter(|| one.install(|| run_zero_delay(&p, &s, &totals))));
    g.bench_function("totals_2_threads", |b| b.iter(|| two.install(|| run_zero_delay(&p, &s, &totals))));
    g.bench_function("per_op_stats_1_thread", |b| b.iter(|| one.install(|| run_zero_delay(&p, &s, &stats))));
    g.bench_function("per_op_stats_2_threads", |b| b.iter(|| two.install(|| run_zero_delay(&p, &s, &stats))));
    g.finish();

    let gops = 1u64 << 13;
    let gs = Generated::uniform(&widths, gops, 1);
    let gp = GlitchProgram::compile(&n, &models, Delay::Unit).expect("stages");
    let gopt = GlitchOptions { base: totals, transport: false };
    let mut g = c.benchmark_group("glitch_mul_array_32");
    g.throughput(Throughput::Elements(gops * cells));
    g.sample_size(10);
    g.bench_function("unit_delay_1_thread", |b| b.iter(|| one.install(|| run_glitch(&gp, &gs, &gopt))));
    g.finish();

    let mut g = c.benchmark_group("transpose");
    g.throughput(Throughput::Elements(64 * 64));
    let mut m = [0u64; 64];
    for (i, v) in m.iter_mut().enumerate() {
        *v = tosim_sim::splitmix64(i as u64);
    }
    g.bench_function("transpose64", |b| {
        b.iter(|| {
            transpose64(&mut m);
            m[0]
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
