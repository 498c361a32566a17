//! Best-of-N timing of the zero-delay engine on one thread: totals only,
//! with per-operation statistics, and with output values, side by side in
//! one process (alternating, so all three see the same machine load).
//!
//! `cargo run --release -p tosim-sim --example zero_delay_timing -- [RUNS] [NETLIST]`
//!
//! RUNS defaults to 20; NETLIST is a Yosys JSON or Verilog file (default: the
//! 32×32 array multiplier of tosim-units). Textbook library, 65,536 uniform
//! random operations (seed 1).

use std::time::Instant;

use tosim_netlist::library::Library;
use tosim_sim::{run_zero_delay, Generated, Options, Program};
use tosim_units::{generate, Arch, Kind, UnitSpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(20);
    let n = match args.get(2) {
        Some(p) => tosim_netlist::import::read_file(std::path::Path::new(p))?,
        None => generate(&UnitSpec::new(Kind::Mul, Arch::Array, 32))?,
    };
    let models = Library::textbook()?.bind(&n)?;
    let p = Program::compile(&n, &models)?;
    let widths: Vec<u32> = n.inputs().iter().map(|b| b.width() as u32).collect();
    let ops = 1u64 << 16;
    let s = Generated::uniform(&widths, ops, 1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let totals = Options { per_op_stats: false, ..Options::default() };
    let modes = [
        ("totals", totals),
        ("per-op statistics", Options::default()),
        ("totals and outputs", Options { outputs: true, ..totals }),
    ];
    let mut best = [f64::MAX; 3];
    for _ in 0..runs {
        for (b, (_, o)) in best.iter_mut().zip(&modes) {
            let t = Instant::now();
            std::hint::black_box(pool.install(|| run_zero_delay(&p, &s, o)));
            *b = b.min(t.elapsed().as_secs_f64());
        }
    }
    println!("{}: {} cells, {} operations, best of {runs}", n.name(), n.cell_count(), ops);
    for (b, (name, _)) in best.iter().zip(&modes) {
        let rate = ops as f64 * n.cell_count() as f64 / b;
        println!("{name:<20} {rate:.3e} gate-evaluations/s  ({:.2}x the time of totals)", b / best[0]);
    }
    Ok(())
}
