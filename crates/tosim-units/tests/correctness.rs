//! Every generator against Rust's integer arithmetic ([`tosim_units::reference`])
//! through the scalar evaluator: exhaustively at small widths, on fixed-seed
//! random vectors at 16, 32 and 64 bits.

use tosim_netlist::{eval, Netlist};
use tosim_units::{generate, port_widths, reference, registry, Arch, Kind, Signedness, UnitSpec};

/// Every registered unit at width `n`, each signedness it supports; multipliers,
/// dividers and square roots with every adder when `all_adders`.
fn specs(n: u32, all_adders: bool) -> Vec<UnitSpec> {
    let mut v = Vec::new();
    for info in registry() {
        let signs: &[bool] = match info.signedness {
            Signedness::Both => &[false, true],
            Signedness::Signed => &[true],
            _ => &[false],
        };
        for &s in signs {
            let base = UnitSpec::new(info.kind, info.arch, n).signed(s);
            if info.adder_param.is_some() && all_adders {
                for &f in Arch::ADDERS {
                    v.push(base.with_final_adder(f));
                }
            } else {
                v.push(base);
            }
        }
    }
    v
}

fn check(spec: &UnitSpec, n: &Netlist, x: &[u128]) {
    let want = reference(spec, x).unwrap();
    let got = eval(n, x);
    assert_eq!(got, want, "{} on {x:?}", spec.design_name());
}

/// All input combinations (at most 2^20 of them).
fn exhaustive(spec: &UnitSpec) {
    let n = generate(spec).unwrap();
    let (iw, ow) = port_widths(spec);
    assert_eq!(n.inputs().iter().map(|b| b.width() as u32).collect::<Vec<_>>(), iw);
    assert_eq!(n.outputs().iter().map(|b| b.width() as u32).collect::<Vec<_>>(), ow);
    let total: u32 = iw.iter().sum();
    assert!(total <= 20, "{} has {total} input bits", spec.design_name());
    for v in 0..1u128 << total {
        let mut x = Vec::with_capacity(iw.len());
        let mut sh = 0;
        for &w in &iw {
            x.push(v >> sh & ((1 << w) - 1));
            sh += w;
        }
        check(spec, &n, &x);
    }
}

/// splitmix64 (Steele, Lea & Flood 2014): a fixed-seed generator, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A w-bit value; one draw in four is an edge case (0, all ones, MSB only, MSB−1 all ones, small).
    fn value(&mut self, w: u32) -> u128 {
        let m = if w >= 128 { u128::MAX } else { (1u128 << w) - 1 };
        let r = (self.next() as u128) << 64 | self.next() as u128;
        match self.next() % 16 {
            0 => 0,
            1 => m,
            2 => 1u128 << (w - 1),
            3 => m >> 1,
            4 => r & 0xff,
            5 => (r >> (r % w as u128)) & m,
            _ => r & m,
        }
    }
}

fn random(spec: &UnitSpec, count: usize, seed: u64) {
    let n = generate(spec).unwrap();
    let (iw, _) = port_widths(spec);
    let mut rng = Rng(seed ^ spec.width as u64);
    for _ in 0..count {
        let x: Vec<u128> = iw.iter().map(|&w| rng.value(w)).collect();
        check(spec, &n, &x);
    }
}

#[test]
fn exhaustive_width_2_to_6_every_adder_everywhere() {
    for w in [2, 3, 4, 5, 6] {
        for spec in specs(w, w <= 4) {
            exhaustive(&spec);
        }
    }
}

#[test]
fn exhaustive_width_8() {
    // Everything except the 16-bit-radicand square roots with large fan-in
    // (still exhaustive: 2^16 radicands) — all units fit in 2^17 inputs.
    for spec in specs(8, false) {
        exhaustive(&spec);
    }
}

#[test]
fn random_16_32_64() {
    for w in [16, 32, 64] {
        for spec in specs(w, false) {
            random(&spec, 10_000, 0x7051_u64);
        }
    }
}

#[test]
fn multipliers_with_every_final_adder_random() {
    for w in [16, 33] {
        for spec in specs(w, true) {
            if spec.final_adder.is_some() {
                random(&spec, 1_000, 0xfa);
            }
        }
    }
}

#[test]
fn division_by_zero_is_all_ones_and_a() {
    // Documented semantics (RISC-V): q = 2^n - 1, r = a.
    for arch in [Arch::Restoring, Arch::NonRestoring] {
        let spec = UnitSpec::new(Kind::Div, arch, 16);
        let n = generate(&spec).unwrap();
        for a in [0u128, 1, 12345, 0xffff] {
            assert_eq!(eval(&n, &[a, 0]), vec![0xffff, a]);
        }
        // Signed: q = -1 (all ones), r = a; MIN / -1 = MIN remainder 0 (RISC-V div/rem).
        let s = generate(&spec.signed(true)).unwrap();
        for a in [0u128, 1, 0x8000, 0xffff, 0x7fff] {
            assert_eq!(eval(&s, &[a, 0]), vec![0xffff, a]);
        }
        assert_eq!(eval(&s, &[0x8000, 0xffff]), vec![0x8000, 0]);
        // -7 / 2 = -3 remainder -1 (truncating): 0xfff9 / 2 -> 0xfffd, 0xffff.
        assert_eq!(eval(&s, &[0xfff9, 2]), vec![0xfffd, 0xffff]);
    }
}
