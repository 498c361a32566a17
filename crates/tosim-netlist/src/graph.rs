//! Graph views of a netlist (petgraph): loop reports and DOT.

use petgraph::graphmap::DiGraphMap;

use crate::{CellId, Driver, Netlist};

/// The cell-to-cell graph restricted to `cells` (indices), edges driver -> reader.
fn cell_graph(n: &Netlist, cells: &[usize]) -> DiGraphMap<u32, ()> {
    let mut g = DiGraphMap::new();
    let keep: std::collections::BTreeSet<usize> = cells.iter().copied().collect();
    for &c in cells {
        g.add_node(c as u32);
        for &i in n.cell_inputs(CellId(c as u32)) {
            if let Driver::Cell { cell, .. } = n.drivers[i.index()] {
                if keep.contains(&cell.index()) {
                    g.add_edge(cell.0, c as u32, ());
                }
            }
        }
    }
    g
}

/// One cycle among `cells` (which are known to contain one), in loop order.
pub(crate) fn find_cycle(n: &Netlist, cells: &[usize]) -> Vec<CellId> {
    let g = cell_graph(n, cells);
    // The smallest strongly connected component with a cycle, then a walk inside it.
    let mut sccs = petgraph::algo::tarjan_scc(&g);
    sccs.retain(|s| s.len() > 1 || g.contains_edge(s[0], s[0]));
    sccs.sort_by_key(|s| (s.len(), s.iter().min().copied()));
    let Some(scc) = sccs.first() else { return Vec::new() };
    let set: std::collections::BTreeSet<u32> = scc.iter().copied().collect();
    let start = *set.iter().next().unwrap_or(&0);
    let mut path = vec![start];
    let mut seen = std::collections::BTreeMap::new();
    seen.insert(start, 0usize);
    let mut cur = start;
    loop {
        let next = g.neighbors(cur).filter(|m| set.contains(m)).min();
        let Some(next) = next else { break };
        if let Some(&pos) = seen.get(&next) {
            return path[pos..].iter().map(|&c| CellId(c)).collect();
        }
        seen.insert(next, path.len());
        path.push(next);
        cur = next;
    }
    path.into_iter().map(CellId).collect()
}
