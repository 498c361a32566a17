//! Validation and levelisation.

use bitvec::vec::BitVec;

use crate::{CellId, Driver, Netlist, NetlistError};

/// Checks drivers and loops and computes the topological order and levels.
pub(crate) fn finish(mut n: Netlist) -> Result<Netlist, NetlistError> {
    let cells = n.cell_type.len();
    // Undriven nets that are read.
    for c in 0..cells {
        let cid = CellId(c as u32);
        for &i in n.cell_inputs(cid) {
            if n.drivers[i.index()] == Driver::None {
                return Err(NetlistError::Undriven {
                    net: n.net_names[i.index()].clone(),
                    cell: n.cell_names[c].clone(),
                    loc: n.cell_locs[c].clone(),
                });
            }
        }
    }
    for b in &n.outputs {
        for &i in &b.nets {
            if n.drivers[i.index()] == Driver::None {
                return Err(NetlistError::Undriven {
                    net: n.net_names[i.index()].clone(),
                    cell: format!("output port {}", b.name),
                    loc: Default::default(),
                });
            }
        }
    }
    // Kahn's algorithm over cell -> cell edges, in id order for determinism.
    let mut indeg = vec![0u32; cells];
    let mut fanout_start = vec![0u32; n.net_names.len() + 1];
    for &i in &n.in_nets {
        fanout_start[i.index() + 1] += 1;
    }
    for k in 1..fanout_start.len() {
        fanout_start[k] += fanout_start[k - 1];
    }
    let mut fill = fanout_start.clone();
    let mut fanout = vec![CellId(0); n.in_nets.len()];
    for (c, deg) in indeg.iter_mut().enumerate() {
        let cid = CellId(c as u32);
        for &i in n.cell_inputs(cid) {
            fanout[fill[i.index()] as usize] = cid;
            fill[i.index()] += 1;
            if let Driver::Cell { .. } = n.drivers[i.index()] {
                *deg += 1;
            }
        }
    }
    let mut order: Vec<CellId> = (0..cells).filter(|&c| indeg[c] == 0).map(|c| CellId(c as u32)).collect();
    let mut level = vec![1u32; cells];
    let mut head = 0;
    while head < order.len() {
        let c = order[head];
        head += 1;
        let lc = level[c.index()];
        let (s, e) = (n.out_start[c.index()] as usize, n.out_start[c.index() + 1] as usize);
        for k in s..e {
            let o = n.out_nets[k];
            for f in &fanout[fanout_start[o.index()] as usize..fanout_start[o.index() + 1] as usize] {
                level[f.index()] = level[f.index()].max(lc + 1);
                indeg[f.index()] -= 1;
                if indeg[f.index()] == 0 {
                    order.push(*f);
                }
            }
        }
    }
    if order.len() < cells {
        let stuck: Vec<usize> = (0..cells).filter(|&c| indeg[c] > 0).collect();
        let cycle = crate::graph::find_cycle(&n, &stuck);
        let loc = cycle.first().map(|&c| n.cell_locs[c.index()].clone()).unwrap_or_default();
        return Err(NetlistError::Loop { cells: cycle.iter().map(|c| n.cell_names[c.index()].clone()).collect(), loc });
    }
    // Cell outputs nobody reads: warnings, the first few by name.
    // One bit per net: a million-cell netlist needs 250 kB here, not 2 MB.
    let mut read: BitVec = BitVec::repeat(false, n.net_names.len());
    for &i in n.in_nets.iter().chain(n.outputs.iter().flat_map(|b| b.nets.iter())) {
        read.set(i.index(), true);
    }
    let unused: Vec<usize> = (0..n.out_nets.len()).filter(|&k| !read[n.out_nets[k].index()]).collect();
    const SHOWN: usize = 20;
    for &k in unused.iter().take(SHOWN) {
        let net = n.out_nets[k];
        if let Driver::Cell { cell, pin } = n.drivers[net.index()] {
            let ty = &n.types[n.cell_type[cell.index()].index()];
            let loc = &n.cell_locs[cell.index()];
            let at = if loc.file.is_empty() { String::new() } else { format!("{}:{}: ", loc.file, loc.line) };
            n.warnings.push(format!(
                "{at}output `{}` of cell `{}` ({}) is unused (net `{}`)",
                ty.outputs.get(pin.index()).map_or("?", |s| s.as_str()),
                n.cell_names[cell.index()],
                ty.name,
                n.net_names[net.index()]
            ));
        }
    }
    if unused.len() > SHOWN {
        n.warnings.push(format!("… and {} more unused cell outputs", unused.len() - SHOWN));
    }
    n.order = order;
    n.level = level;
    Ok(n)
}
