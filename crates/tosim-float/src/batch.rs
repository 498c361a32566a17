//! Output values of many operations at once, 64 per machine word.
//!
//! [`Batch`] compiles a netlist with [`tosim_sim::Program::compile`] (the
//! simulator's one evaluator of cell functions) and runs its instruction list
//! over 64 lanes, reading back the output buses. It exists because the
//! simulator reports switching activity, not output values, and the scalar
//! evaluator [`tosim_netlist::eval`] is far too slow for a million operations.

use tosim_netlist::Netlist;
use tosim_sim::{synthetic_models, Program};

use crate::FloatError;

/// A netlist compiled for value evaluation.
pub struct Batch {
    program: Program,
    inputs: Vec<Vec<u32>>,
    outputs: Vec<Vec<u32>>,
}

impl Batch {
    /// Compiles `n` (abstract or bound cells; functions come from the cell types).
    pub fn new(n: &Netlist) -> Result<Batch, FloatError> {
        let models = synthetic_models(n);
        let program = Program::compile(n, &models).map_err(|e| FloatError::Compile { message: e.to_string() })?;
        Ok(Batch {
            program,
            inputs: n.inputs().iter().map(|b| b.nets.iter().map(|x| x.0).collect()).collect(),
            outputs: n.outputs().iter().map(|b| b.nets.iter().map(|x| x.0).collect()).collect(),
        })
    }

    /// Output bus values for each operation; `ops[i][k]` is input bus `k` of
    /// operation `i` (LSB = bit 0). Missing buses read 0.
    pub fn eval(&self, ops: &[Vec<u128>]) -> Vec<Vec<u128>> {
        let mut out = Vec::with_capacity(ops.len());
        let mut slots = vec![0u64; self.program.slots()];
        for chunk in ops.chunks(64) {
            slots.iter_mut().for_each(|s| *s = 0);
            slots[1] = u64::MAX;
            for (k, nets) in self.inputs.iter().enumerate() {
                for (bit, &net) in nets.iter().enumerate() {
                    let mut word = 0u64;
                    for (lane, op) in chunk.iter().enumerate() {
                        let v = op.get(k).copied().unwrap_or(0);
                        if bit < 128 && v >> bit & 1 == 1 {
                            word |= 1 << lane;
                        }
                    }
                    slots[net as usize] = word;
                }
            }
            for insn in self.program.insns() {
                let s = insn.src;
                let v = insn.kind.apply(
                    slots[s[0] as usize],
                    slots[s[1] as usize],
                    slots[s[2] as usize],
                    slots[s[3] as usize],
                );
                slots[insn.dst as usize] = v;
            }
            for lane in 0..chunk.len() {
                out.push(
                    self.outputs
                        .iter()
                        .map(|nets| {
                            nets.iter()
                                .enumerate()
                                .fold(0u128, |acc, (i, &net)| acc | ((slots[net as usize] >> lane & 1) as u128) << i)
                        })
                        .collect(),
                );
            }
        }
        out
    }

    /// Outputs of one operation.
    pub fn eval_one(&self, inputs: &[u128]) -> Vec<u128> {
        self.eval(&[inputs.to_vec()]).pop().unwrap_or_default()
    }
}
