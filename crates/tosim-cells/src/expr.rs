//! Readable sum-of-products expressions for truth tables (Quine–McCluskey
//! prime implicants and a greedy cover; exact enough for display).

use crate::TruthTable;

/// A product term: `care` marks the inputs that appear, `value` their polarity.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Cube {
    care: u32,
    value: u32,
}

pub(crate) fn sop(t: &TruthTable, names: &[&str]) -> String {
    let n = t.inputs();
    if t.bits() == 0 {
        return "0".into();
    }
    if t.not().bits() == 0 {
        return "1".into();
    }
    let full = (1u32 << n) - 1;
    let minterms: Vec<u32> = (0..t.rows() as u32).filter(|&r| t.eval(r)).collect();
    // Quine–McCluskey: merge cubes differing in one cared-for bit.
    let mut current: Vec<Cube> = minterms.iter().map(|&m| Cube { care: full, value: m }).collect();
    let mut primes: Vec<Cube> = Vec::new();
    while !current.is_empty() {
        let mut merged = vec![false; current.len()];
        let mut next: Vec<Cube> = Vec::new();
        for i in 0..current.len() {
            for j in i + 1..current.len() {
                let (a, b) = (current[i], current[j]);
                if a.care != b.care {
                    continue;
                }
                let diff = (a.value ^ b.value) & a.care;
                if diff.count_ones() == 1 {
                    merged[i] = true;
                    merged[j] = true;
                    let c = Cube { care: a.care & !diff, value: a.value & !diff };
                    if !next.contains(&c) {
                        next.push(c);
                    }
                }
            }
        }
        for (i, c) in current.iter().enumerate() {
            if !merged[i] && !primes.contains(c) {
                primes.push(*c);
            }
        }
        current = next;
    }
    // Greedy cover: largest cube covering most uncovered minterms first.
    let covers = |c: &Cube, m: u32| m & c.care == c.value & c.care;
    let mut uncovered = minterms.clone();
    let mut chosen: Vec<Cube> = Vec::new();
    while !uncovered.is_empty() {
        let best = primes
            .iter()
            .max_by_key(|c| {
                let k = uncovered.iter().filter(|&&m| covers(c, m)).count();
                (k, std::cmp::Reverse(c.care.count_ones()), std::cmp::Reverse(**c))
            })
            .copied();
        let Some(best) = best else { break };
        uncovered.retain(|&m| !covers(&best, m));
        chosen.push(best);
    }
    chosen.sort_by_key(|c| (c.care.count_ones(), c.care, c.value));
    let terms: Vec<String> = chosen
        .iter()
        .map(|c| {
            let lits: Vec<String> = (0..n)
                .filter(|&i| c.care >> i & 1 == 1)
                .map(|i| {
                    let name = names.get(i).copied().unwrap_or("?");
                    if c.value >> i & 1 == 1 {
                        name.to_string()
                    } else {
                        format!("!{name}")
                    }
                })
                .collect();
            lits.join(" & ")
        })
        .collect();
    terms.join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_expressions() {
        let and = TruthTable::new(2, 0b1000).unwrap();
        assert_eq!(and.expression(&["a", "b"]), "a & b");
        let nand = and.not();
        assert_eq!(nand.expression(&["a", "b"]), "!a | !b");
        let xor = TruthTable::new(2, 0b0110).unwrap();
        assert_eq!(xor.expression(&["a", "b"]), "a & !b | !a & b");
        assert_eq!(TruthTable::constant(2, true).unwrap().expression(&["a", "b"]), "1");
    }
}
