//! The study's deterministic random numbers.

use tosim_sim::{splitmix64_at, standard_normal, unit_f64};

/// Output `i`, `i + 1`, … of SplitMix64 seeded with the study seed mixed
/// with a stream number (one independent sequence per swept stream).
pub(crate) struct Rng {
    seed: u64,
    i: u64,
}

impl Rng {
    pub(crate) fn new(seed: u64, stream: u64) -> Rng {
        Rng { seed: seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03), i: 0 }
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.i += 1;
        splitmix64_at(self.seed, self.i - 1)
    }

    /// Uniform below `n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift: bias below 2^-64 · n, irrelevant here.
        ((self.next() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in [0, 1) from the top 53 bits of the next output.
    pub(crate) fn unit(&mut self) -> f64 {
        unit_f64(self.next())
    }

    /// Standard normal from the next two outputs ([`tosim_sim::standard_normal`]).
    pub(crate) fn normal(&mut self) -> f64 {
        let z = standard_normal(self.seed, self.i);
        self.i += 2;
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_is_box_muller_on_the_next_two_outputs() {
        // The study's former sampler, written out: the draws must not change.
        let (mut a, mut b) = (Rng::new(1, 100), Rng::new(1, 100));
        for _ in 0..1000 {
            let u1 = 1.0 - b.unit();
            let u2 = b.unit();
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            assert_eq!(a.normal().to_bits(), z.to_bits());
            assert_eq!(a.next(), b.next());
        }
    }
}
