//! Bit-matrix transposition: operands (one word per operation) to bit planes
//! (one word per bit, one lane per operation) and back.

/// Transposes a 64×64 bit matrix in place: afterwards bit `j` of `a[i]` is
/// the former bit `i` of `a[j]`. Recursive block swaps (Hacker's Delight §7-3),
/// 6 rounds of 32 masked swaps.
#[inline]
pub fn transpose64(a: &mut [u64; 64]) {
    let mut j = 32usize;
    let mut m: u64 = 0x0000_0000_FFFF_FFFF;
    while j != 0 {
        let mut k = 0usize;
        while k < 64 {
            let t = ((a[k] >> j) ^ a[k + j]) & m;
            a[k] ^= t << j;
            a[k + j] ^= t;
            k = (k + j + 1) & !j;
        }
        j >>= 1;
        m ^= m << j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_definition() {
        let mut a = [0u64; 64];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for v in a.iter_mut() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *v = x ^ (x >> 29);
        }
        let orig = a;
        transpose64(&mut a);
        for i in 0..64 {
            for j in 0..64 {
                assert_eq!(a[i] >> j & 1, orig[j] >> i & 1, "bit {j} of row {i}");
            }
        }
        transpose64(&mut a);
        assert_eq!(a, orig);
    }
}
