//! Switching-transistor simulation: which transistors switch, operation by
//! operation.
//!
//! [`Program::compile`] turns a [`tosim_netlist::Netlist`] and its bound
//! [`tosim_cells::CellModel`]s into a flat, levelised program over word slots.
//! [`run_zero_delay`] evaluates 1024 operations per instruction and counts the
//! settled toggles of every net and cell-internal node; [`Report::new`] turns
//! them into switching TOs (toggles × gate load), static TOs, switched gate
//! area, per-operation statistics and per-type counts. With
//! [`Options::outputs`] it also returns every operation's output bus values
//! ([`Outputs`]), the same as [`tosim_netlist::eval`] gives one by one.
//!
//! ```
//! use tosim_netlist::{Gate, NetlistBuilder};
//! use tosim_sim::{run_zero_delay, synthetic_models, Generated, Options, Program, Report};
//! let mut b = NetlistBuilder::new("and");
//! let a = b.add_input_bus("a", 1);
//! let c = b.add_input_bus("b", 1);
//! let y = b.gate(Gate::Nand2, &[a[0], c[0]]);
//! b.add_output_bus("y", &[y]);
//! let n = b.finish().unwrap();
//! let models = synthetic_models(&n);
//! let p = Program::compile(&n, &models).unwrap();
//! let act = run_zero_delay(&p, &Generated::uniform(&[1, 1], 1000, 1), &Options::default());
//! let r = Report::new(&p, &act, false);
//! assert_eq!(r.operations, 1000);
//! assert!(r.switching_tos > 0);
//!
//! // The same run with every operation's outputs.
//! let s = Generated::uniform(&[1, 1], 1000, 1);
//! let act = run_zero_delay(&p, &s, &Options { outputs: true, ..Options::default() });
//! let outs = act.outputs.unwrap();
//! let mut op = [0u128; 2];
//! for i in 0..1000 {
//!     tosim_sim::Stream::fill(&s, i, &mut op);
//!     assert_eq!(outs.get(i as usize).unwrap(), &tosim_netlist::eval(&n, &op)[..]);
//! }
//! ```

// Bit-plane code indexes several parallel arrays by lane, word or bit.
#![allow(clippy::needless_range_loop)]

pub mod analog;
mod compile;
pub mod delay;
mod engine;
mod glitch;
mod ops;
mod report;
mod run;
mod stream;
mod synthetic;
mod transpose;
mod unit;

pub use analog::{run_analog, AnalogActivity, AnalogError};
pub use compile::{CompileError, Load, Program, SlotKind};
pub use delay::RcParams;
pub use engine::{run_zero_delay, uses_hardware_popcount, Activity, Histogram, OpCounts, Options, Outputs, LANES};
pub use glitch::{run_glitch, Delay, GlitchOptions, GlitchProgram, StageError, StageNetlist, MAX_SCHEDULE_ENTRIES};
pub use ops::{Insn, OpKind, SlotId};
pub use report::{add_opt, NetReport, Report, Stats, TypeReport};
pub use run::{simulate, Mode, Run, RunError, RunOptions};
pub use stream::{
    box_muller, open_file, splitmix64, splitmix64_at, standard_normal, unit_f64, Distribution, FileStream, Generated,
    Recorded, Stream, StreamError, IN_MEMORY_BYTES,
};
pub use synthetic::synthetic_models;
pub use transpose::transpose64;
pub use unit::{HwUnit, HwUnitError};

#[cfg(test)]
mod tests;
