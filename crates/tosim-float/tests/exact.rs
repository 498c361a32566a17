//! Bit-exact checks of the floating-point units against Rust arithmetic.

use tosim_float::{generate, reference, Batch, FloatKind, FloatSpec, Format};

fn splitmix(z: &mut u64) -> u64 {
    *z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut x = *z;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn check(spec: FloatSpec, ops: &[Vec<u128>]) -> usize {
    let n = generate(&spec).unwrap();
    let b = Batch::new(&n).unwrap();
    let got = b.eval(ops);
    let mut bad = 0;
    for (op, g) in ops.iter().zip(&got) {
        let want = reference(&spec, op).unwrap();
        if &want != g {
            if bad < 10 {
                eprintln!("{} {:x?}: got {:x?} want {:x?}", spec.design_name(), op, g, want);
            }
            bad += 1;
        }
    }
    bad
}

#[test]
fn quick() {
    let mut seed = 1u64;
    for f in Format::ALL {
        let w = f.width();
        for k in [FloatKind::Add, FloatKind::Sub, FloatKind::Mul] {
            let ops: Vec<Vec<u128>> = (0..5000)
                .map(|_| {
                    let r = splitmix(&mut seed);
                    vec![(r as u128) & ((1 << w) - 1), ((r >> 32) as u128) & ((1 << w) - 1)]
                })
                .collect();
            let bad = check(FloatSpec::new(k, *f), &ops);
            assert_eq!(bad, 0, "{k} {f}");
        }
    }
}
