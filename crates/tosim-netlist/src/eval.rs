//! The scalar reference evaluator: slow, obviously correct, the oracle that
//! every fast engine is tested against.

use crate::{Driver, Netlist};

/// Settled value of every net for one input assignment.
///
/// `inputs[k]` is the value of input bus `k`, LSB = bit 0 (buses up to 128 bits).
/// Returns one `bool` per net, indexed by [`crate::NetId::index`].
pub fn eval_nets(n: &Netlist, inputs: &[u128]) -> Vec<bool> {
    let mut v = vec![false; n.net_count()];
    for net in n.nets() {
        v[net.index()] = match n.driver(net) {
            Driver::Const(b) => b,
            Driver::Input { bus, bit } => inputs.get(bus as usize).is_some_and(|x| bit < 128 && x >> bit & 1 == 1),
            _ => false,
        };
    }
    for &c in n.order() {
        let ty = n.cell_type(c);
        let mut row = 0u32;
        for (i, &net) in n.cell_inputs(c).iter().enumerate() {
            row |= (v[net.index()] as u32) << i;
        }
        for (o, &net) in n.cell_outputs(c).iter().enumerate() {
            v[net.index()] = ty.functions[o].eval(row);
        }
    }
    v
}

/// Output bus values for one input assignment (see [`eval_nets`]).
pub fn eval(n: &Netlist, inputs: &[u128]) -> Vec<u128> {
    let v = eval_nets(n, inputs);
    n.outputs()
        .iter()
        .map(|b| b.nets.iter().enumerate().fold(0u128, |acc, (i, net)| acc | (v[net.index()] as u128) << i))
        .collect()
}
