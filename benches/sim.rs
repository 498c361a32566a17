//! Simulator throughput, in gate evaluations per second (criterion's
//! elements/s = operations × cells). Public API only.
//!
//! `cargo bench --bench sim` ; see docs/performance.md for figures.

// `criterion_group!` defines an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tosim_netlist::library::Library;
use tosim_sim::{
    run_glitch, run_zero_delay, transpose64, Delay, FileStream, Generated, GlitchOptions, GlitchProgram, Options,
    Program, Recorded, Stream,
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
    let outputs = Options { outputs: true, ..totals };
    g.bench_function("totals_and_outputs_1_thread", |b| b.iter(|| one.install(|| run_zero_delay(&p, &s, &outputs))));
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

    // A 1,000,000-line stream file (two 32-bit hex operands per line, like
    // benches/compare_verilator.sh writes): parsed in memory, and read in
    // pieces by FileStream (open = check and index, then every operation read).
    let lines = 1_000_000u64;
    let mut text = String::with_capacity(24 * lines as usize);
    for i in 0..lines {
        let r = tosim_sim::splitmix64(i);
        text += &format!("0x{:x} 0x{:x}\n", r as u32, (r >> 32) as u32);
    }
    let path = std::env::temp_dir().join(format!("tosim-bench-ops-{}.txt", std::process::id()));
    std::fs::write(&path, &text).expect("write stream file");
    let mut g = c.benchmark_group("stream_file_1M_lines");
    g.throughput(Throughput::Elements(lines));
    g.sample_size(10);
    g.bench_function("parse_in_memory", |b| {
        b.iter(|| Recorded::parse(text.as_bytes(), "ops", &[32, 32]).expect("parse"))
    });
    g.bench_function("file_stream_open_and_read", |b| {
        b.iter(|| {
            let f = FileStream::open(&path, &[32, 32]).expect("open");
            let mut out = vec![0u128; 2 * 4096];
            let mut x = 0u128;
            for first in (0..lines).step_by(4096) {
                let n = (lines - first).min(4096) as usize;
                f.fill(first, &mut out[..2 * n]);
                x ^= out[0];
            }
            x
        })
    });
    g.finish();
    let _ = std::fs::remove_file(&path);

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
