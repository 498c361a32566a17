//! Errors of the studies.

use thiserror::Error;
use tosim_sim::HwUnitError;
use tosim_units::UnitError;

/// Why a study could not run.
#[derive(Debug, Error)]
pub enum StudyError {
    /// Too few operations per stream.
    #[error("--ops {0}: at least 16 operations per stream")]
    TooFewOps(u64),
    /// An integer unit could not be generated.
    #[error("generating {unit}")]
    Generate {
        /// The unit's name in the study.
        unit: String,
        /// The generator's error.
        #[source]
        source: Box<UnitError>,
    },
    /// A floating-point unit could not be generated.
    #[error("generating {unit}")]
    GenerateFloat {
        /// The unit's name in the study.
        unit: String,
        /// The generator's error.
        #[source]
        source: Box<crate::float::FloatError>,
    },
    /// A unit could not be bound to the library or compiled.
    #[error("{unit}")]
    Unit {
        /// The unit's name in the study.
        unit: String,
        /// The binding or compilation error.
        #[source]
        source: Box<HwUnitError>,
    },
    /// A unit has fewer than two input buses.
    #[error("{0}: the study needs two data operands")]
    Operands(String),
    /// The network part failed (model, data, quantisation, hardware profile).
    #[error("the network part of the study")]
    Network(#[source] Box<tosim_nn::NnError>),
}
