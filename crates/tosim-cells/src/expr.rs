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
    // Cover: essential primes first, then greedily the prime covering most
    // uncovered minterms (fewest literals on ties), then drop any chosen prime
    // whose minterms the others cover (e.g. a consensus term).
    let covers = |c: &Cube, m: u32| m & c.care == c.value & c.care;
    let mut chosen: Vec<Cube> = Vec::new();
    for &m in &minterms {
        let mut it = primes.iter().filter(|c| covers(c, m));
        if let (Some(only), None) = (it.next(), it.next()) {
            if !chosen.contains(only) {
                chosen.push(*only);
            }
        }
    }
    let mut uncovered: Vec<u32> = minterms.iter().copied().filter(|&m| !chosen.iter().any(|c| covers(c, m))).collect();
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
    let mut i = chosen.len();
    while i > 0 {
        i -= 1;
        let c = chosen[i];
        let redundant = minterms
            .iter()
            .filter(|&&m| covers(&c, m))
            .all(|&m| chosen.iter().enumerate().any(|(j, d)| j != i && covers(d, m)));
        if redundant {
            chosen.remove(i);
        }
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
        // MUX: s ? b : a. The consensus term a & b is redundant and dropped.
        let mux = TruthTable::from_fn(3, |r| if r >> 2 & 1 == 1 { r >> 1 & 1 == 1 } else { r & 1 == 1 }).unwrap();
        assert_eq!(mux.expression(&["a", "b", "s"]), "a & !s | b & s");
    }
}

#[cfg(test)]
mod exhaustive {
    use super::*;

    /// Evaluates a sum-of-products string over single-letter names `a b c d`.
    fn eval_sop(e: &str, row: u32) -> bool {
        match e {
            "0" => false,
            "1" => true,
            _ => e.split(" | ").any(|term| {
                term.split(" & ").all(|lit| {
                    let (neg, name) = match lit.strip_prefix('!') {
                        Some(n) => (true, n),
                        None => (false, lit),
                    };
                    let i = (name.as_bytes()[0] - b'a') as u32;
                    (row >> i & 1 == 1) != neg
                })
            }),
        }
    }

    #[test]
    fn every_three_input_function_round_trips() {
        for bits in 0..256u64 {
            let t = TruthTable::new(3, bits).unwrap();
            let e = t.expression(&["a", "b", "c"]);
            let back = TruthTable::from_fn(3, |r| eval_sop(&e, r)).unwrap();
            assert_eq!(back, t, "{bits:#x}: {e}");
        }
    }

    #[test]
    fn four_input_functions_round_trip() {
        // A fixed sample of 4-input functions (xorshift sequence, seed 1).
        let mut x = 1u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let t = TruthTable::new(4, x).unwrap();
            let e = t.expression(&["a", "b", "c", "d"]);
            let back = TruthTable::from_fn(4, |r| eval_sop(&e, r)).unwrap();
            assert_eq!(back, t, "{:#x}: {e}", t.bits());
        }
    }
}
