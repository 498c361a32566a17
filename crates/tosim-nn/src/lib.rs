//! tosim-nn: a trained feed-forward network, quantised to an integer format and
//! run neuron by neuron, with transistor operations counted on gate-level units.
//!
//! The pieces, in the order a run uses them:
//!
//! - [`load_onnx`] reads an ONNX model (scikit-learn's skl2onnx or PyTorch export)
//!   into a typed [`Network`]: dense layers with their weights and biases,
//!   activations, softmax, batch normalisation. The protobuf reader is
//!   hand-written ([`proto`]) and depends on nothing.
//! - [`read_npy`] reads inputs and labels from NumPy `.npy` files.
//! - [`QuantNet::new`] quantises the network to int8 or int16 (symmetric
//!   per-tensor scales, requantisation by an integer multiplier and shift) and
//!   [`QuantNet::infer`] is the plain-Rust reference of that integer arithmetic.
//! - [`GateNet::new`] builds the gate-level units a [`Profile`] names (generated
//!   by `tosim-units`, bound to cells, compiled by `tosim-sim`) and
//!   [`GateNet::run`] gives every neuron its own processing element, drives it
//!   with the real operands sample after sample, and counts switching
//!   transistors; the outputs come from the units. [`NetReport::build`] sums
//!   the counts and checks them against the reference (agreement).
//! - [`run_range`] runs a contiguous part of the samples exactly as the whole
//!   run counts them (`tosim net --shard i/n`) and [`merge_reports`] adds the
//!   shard reports into the whole run's report (`tosim merge`); [`sweep`]
//!   generates model sets for the study of the TO method (`tosim sweep`).
//! - In fp32, fp16 and bf16, [`FloatNet::new`] maps the network onto IEEE-754
//!   arithmetic ([`FloatNet::infer`] is its reference) and [`FloatGateNet`]
//!   runs it on the gate-level float units of `tosim_units::float`, with sigmoid, tanh
//!   and softmax as micro-programs and batch normalisation unfolded or folded.
//!
//! ```
//! use std::path::Path;
//! use tosim_nn::{parse_onnx, IntFormat, QuantNet};
//!
//! // A 2-2 network: one Gemm (y = x·Wᵀ + b) and a ReLU, built as ONNX bytes.
//! let bytes = tosim_nn::testing::tiny_gemm_relu_onnx(&[1.0, -1.0, 0.5, 0.5], &[0.0, 0.25]);
//! let net = parse_onnx(&bytes, Path::new("tiny.onnx")).unwrap();
//! assert_eq!(net.input_width(), 2);
//! assert_eq!(net.forward_f32(&[2.0, 1.0]), vec![1.0, 1.75]);
//!
//! // int8: calibrate the activation scales on the data, then run the integer reference.
//! let data = [2.0f32, 1.0, -1.0, 3.0];
//! let q = QuantNet::new(&net, IntFormat::Int8, &data).unwrap();
//! let out = q.infer(&q.quantise_input(&data[..2]));
//! assert_eq!(tosim_nn::argmax(out.logits()), 1);
//!
//! // The same network on gate-level units: same bits, and transistors that switched.
//! let g = tosim_nn::GateNet::new(q.clone(), tosim_nn::Profile::default_profile().unwrap()).unwrap();
//! let runs = g.run(&[q.quantise_input(&data[..2])], &|_, _, _| {});
//! assert_eq!(runs.last().unwrap().sample_outputs(0), out.logits());
//! assert!(runs[0].by_primitive()[&tosim_nn::Primitive::Multiply].switching_tos > 0);
//! ```

mod data;
mod error;
mod float;
mod gate;
mod model;
pub mod npy;
mod onnx;
mod profile;
pub mod proto;
mod quant;
mod report;
mod shard;
pub mod sweep;
pub mod testing;

pub use data::DataSet;
pub use error::{HardwareError, NnError, Result};
pub use float::{
    float_format_name, parse_float_format, BatchNormMode, FloatGateNet, FloatLayer, FloatNet, FloatOutput, FloatPost,
    FloatRangeError, FloatRun, FloatUnit,
};
pub use gate::{Counts, GateNet, HwUnit, LayerRun, LayerUnits, MicroUnits, Mode, NeuronRun, Primitive};
pub use model::{argmax, Activation, BatchNorm, Dense, Layer, LayerKind, Network};
pub use npy::{read_npy, NpyArray, NpyData};
pub use onnx::{load_onnx, parse_onnx};
pub use profile::{FloatUnits, FormatUnits, Profile, ReluUnit, DEFAULT_PROFILE};
pub use quant::{act_saturation, IntFormat, Leaky, QBatchNorm, QDense, QLayer, QOutput, QuantNet, Requant};
pub use report::{LayerReport, NetReport, NeuronReport, RunContext, SampleStats, ShardInfo, Totals, UnitReport};
pub use shard::{data_fingerprint, merge_reports, run_range, Shard, ShardError};
pub use tosim_units::float::Format;
