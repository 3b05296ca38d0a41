//! The simulator's own random numbers: xoshiro256** seeded through SplitMix64.
//!
//! Self-written so that a seed gives the same sheets on every machine and with every version of
//! the dependencies, and seeded per sheet from `(seed, sheet index)` so that the result does not
//! depend on how many threads render.

use crate::rng::SplitMix64;

/// A xoshiro256** generator.
#[derive(Debug, Clone)]
pub struct SimRng {
    s: [u64; 4],
}

impl SimRng {
    pub fn new(seed: u64) -> SimRng {
        // SplitMix64: the standard way to spread a seed over xoshiro's state.
        let mut sm = SplitMix64::new(seed);
        let s = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        SimRng { s }
    }

    /// An independent stream for one purpose (`stream`) and one item (`index`) of a run.
    pub fn derived(seed: u64, stream: u64, index: u64) -> SimRng {
        let a = SplitMix64::new(seed).next_u64();
        let b = SplitMix64::new(a ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64();
        let c = SplitMix64::new(b ^ index.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7)).next_u64();
        SimRng::new(c)
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`, 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `[-a, a)`.
    pub fn sym(&mut self, a: f64) -> f64 {
        self.range(-a, a)
    }

    /// Uniform in `0..n` (`n > 0`), without modulo bias worth mentioning (n is small).
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Uniform integer in `lo..=hi`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Normal with deviation `sd`, cut at `±limit`.
    pub fn normal_clamped(&mut self, sd: f64, limit: f64) -> f64 {
        (self.normal() * sd).clamp(-limit, limit)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index drawn with the given (not necessarily normalised) weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// A stateless hash of a pixel position, for paper and pencil grain that does not depend on the
/// order in which strokes are drawn.
pub fn hash2(seed: u64, x: i64, y: i64) -> u64 {
    SplitMix64::new(
        seed ^ (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (y as u64).rotate_left(32),
    )
    .next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map(|_| SimRng::derived(7, 1, 3).next_u64())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            SimRng::derived(7, 1, 3).next_u64(),
            SimRng::derived(7, 1, 4).next_u64()
        );
        assert_ne!(
            SimRng::derived(7, 1, 3).next_u64(),
            SimRng::derived(8, 1, 3).next_u64()
        );
    }

    #[test]
    fn draws_stay_in_range() {
        let mut r = SimRng::new(1);
        let mut sum = 0.0;
        for _ in 0..10_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(r.below(3) < 3);
            let i = r.int(-2, 2);
            assert!((-2..=2).contains(&i));
            sum += r.normal();
        }
        assert!((sum / 10_000.0).abs() < 0.05);
    }
}
