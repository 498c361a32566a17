//! One hardware unit: a netlist bound to a cell library and compiled once,
//! for both evaluation (output values) and counting (switching, glitch).
//!
//! Every caller that needs a unit's values or its counts goes through
//! [`HwUnit`]: `tosim unit`, `compare`, `table`, the float units and
//! micro-programs, the network's processing elements and the SPICE
//! validation. Values and counts come from the *same* compiled [`Program`]
//! on the bit-parallel engine, 1,024 operations per block; the scalar
//! [`tosim_netlist::eval`] is kept only as a test oracle.
//!
//! ```
//! use tosim_netlist::{Gate, NetlistBuilder};
//! use tosim_sim::{HwUnit, Recorded};
//! let mut b = NetlistBuilder::new("xor");
//! let a = b.add_input_bus("a", 1);
//! let c = b.add_input_bus("b", 1);
//! let y = b.gate(Gate::Xor2, &[a[0], c[0]]);
//! b.add_output_bus("y", &[y]);
//! let u = HwUnit::abstract_cells(b.finish().unwrap()).unwrap();
//! let out = u.eval(&[0, 0, 0, 1, 1, 0, 1, 1]);
//! assert_eq!(out.values(), &[0, 1, 1, 0]);
//! let act = u.count(&Recorded::new(2, vec![0, 0, 0, 1, 1, 0, 1, 1]), &Default::default());
//! assert_eq!(act.operations, 4);
//! ```

use thiserror::Error;
use tosim_cells::CellModel;
use tosim_netlist::library::{BindError, Library};
use tosim_netlist::Netlist;

use crate::{
    run_glitch, run_zero_delay, synthetic_models, Activity, CompileError, Delay, GlitchOptions, GlitchProgram, Options,
    Outputs, Program, Recorded, Report, StageError, StageNetlist, Stream,
};

/// Why a unit could not be built (the causes are boxed: they are large,
/// and every `Result` of a unit carries this error).
#[derive(Debug, Error)]
pub enum HwUnitError {
    /// The library has no template for one of its cells.
    #[error("unit `{unit}`: binding its cells to the library")]
    Bind {
        /// Design name.
        unit: String,
        /// The binding error.
        #[source]
        source: Box<BindError>,
    },
    /// The netlist and its models do not compile.
    #[error("unit `{unit}`: compiling the simulation program")]
    Compile {
        /// Design name.
        unit: String,
        /// The compiler's error.
        #[source]
        source: Box<CompileError>,
    },
    /// The glitch engine's stage netlist could not be built.
    #[error("unit `{unit}`: building the CMOS stages for the glitch engine")]
    Stages {
        /// Design name.
        unit: String,
        /// The stage builder's error.
        #[source]
        source: Box<StageError>,
    },
}

/// A netlist bound to cell models and compiled (see the module docs).
#[derive(Debug)]
pub struct HwUnit {
    netlist: Netlist,
    models: Vec<CellModel>,
    program: Program,
    glitch: Option<GlitchProgram>,
}

impl HwUnit {
    /// `netlist` bound to `lib`, or with the synthetic models of its cell
    /// types without a library ([`HwUnit::abstract_cells`]), and compiled.
    pub fn new(netlist: Netlist, lib: Option<&Library>) -> Result<HwUnit, HwUnitError> {
        match lib {
            None => HwUnit::abstract_cells(netlist),
            Some(l) => HwUnit::bind(netlist, l),
        }
    }

    /// Binds `netlist` through `lib` and compiles it.
    pub fn bind(netlist: Netlist, lib: &Library) -> Result<HwUnit, HwUnitError> {
        let models = lib
            .bind(&netlist)
            .map_err(|source| HwUnitError::Bind { unit: netlist.name().to_string(), source: Box::new(source) })?;
        HwUnit::with_models(netlist, models)
    }

    /// Compiles `netlist` with the synthetic models of its cell types (the
    /// functions of abstract or bound cells; transistor counts of the
    /// textbook templates where the type names one).
    pub fn abstract_cells(netlist: Netlist) -> Result<HwUnit, HwUnitError> {
        let models = synthetic_models(&netlist);
        HwUnit::with_models(netlist, models)
    }

    /// Compiles `netlist` with the given models (one per cell type).
    pub fn with_models(netlist: Netlist, models: Vec<CellModel>) -> Result<HwUnit, HwUnitError> {
        let program = Program::compile(&netlist, &models)
            .map_err(|source| HwUnitError::Compile { unit: netlist.name().to_string(), source: Box::new(source) })?;
        Ok(HwUnit { netlist, models, program, glitch: None })
    }

    /// Also compiles the glitch engine's program with `delay`.
    pub fn with_glitch(mut self, delay: Delay) -> Result<HwUnit, HwUnitError> {
        self.glitch = Some(self.glitch_program(delay)?);
        Ok(self)
    }

    /// A glitch program for `delay` (not stored).
    pub fn glitch_program(&self, delay: Delay) -> Result<GlitchProgram, HwUnitError> {
        GlitchProgram::compile(&self.netlist, &self.models, delay)
            .map_err(|source| HwUnitError::Stages { unit: self.name().to_string(), source: Box::new(source) })
    }

    /// The CMOS stage netlist for `delay` (analog model, SPICE decks).
    pub fn stages(&self, delay: Delay) -> Result<StageNetlist, HwUnitError> {
        StageNetlist::new(&self.netlist, &self.models, delay)
            .map_err(|source| HwUnitError::Stages { unit: self.name().to_string(), source: Box::new(source) })
    }

    /// Design name.
    pub fn name(&self) -> &str {
        self.netlist.name()
    }

    /// The netlist.
    pub fn netlist(&self) -> &Netlist {
        &self.netlist
    }

    /// The cell models, one per cell type.
    pub fn models(&self) -> &[CellModel] {
        &self.models
    }

    /// The compiled zero-delay program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The glitch program, when [`HwUnit::with_glitch`] compiled one.
    pub fn glitch(&self) -> Option<&GlitchProgram> {
        self.glitch.as_ref()
    }

    /// Transistors (from the bound templates).
    pub fn transistors(&self) -> u64 {
        self.program.transistors()
    }

    /// Input buses (operands per operation).
    pub fn operands(&self) -> usize {
        self.program.input_widths().len()
    }

    /// Output values of the operations in `ops` (operation-major, one value
    /// per input bus, LSB first), from the bit-parallel engine.
    pub fn eval(&self, ops: &[u128]) -> Outputs {
        let k = self.operands().max(1);
        let stream = Recorded::new(k, ops.to_vec());
        self.eval_stream(&stream)
    }

    /// Output values of every operation of `stream`.
    pub fn eval_stream(&self, stream: &dyn Stream) -> Outputs {
        let opts = Options { per_op_stats: false, outputs: true, ..Options::default() };
        run_zero_delay(&self.program, stream, &opts).outputs.unwrap_or_default()
    }

    /// Zero-delay counts (and, with [`Options::outputs`], values) of `stream`.
    pub fn count(&self, stream: &dyn Stream, opts: &Options) -> Activity {
        run_zero_delay(&self.program, stream, opts)
    }

    /// Glitch-engine counts of `stream` (`None` without a glitch program).
    pub fn count_glitch(&self, stream: &dyn Stream, opts: &GlitchOptions) -> Option<Activity> {
        self.glitch.as_ref().map(|gp| run_glitch(gp, stream, opts))
    }

    /// The zero-delay report of a run.
    pub fn report(&self, act: &Activity, per_net: bool) -> Report {
        Report::new(&self.program, act, per_net)
    }
}
