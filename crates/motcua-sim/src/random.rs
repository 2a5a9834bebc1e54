//! Seeded randomness: one ChaCha stream per day and per dossier, derived from the settings' seed,
//! so that a dossier's life does not depend on how many dossiers came before it.

use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator every random choice is drawn from.
pub(crate) type Rng = ChaCha8Rng;

/// A generator for the stream named by `parts` (the seed, then e.g. a date and an index).
pub(crate) fn stream(parts: &[u64]) -> Rng {
    let mut h: u64 = 0x6d6f_7463_7561_7369; // "motcuasi"
    for p in parts {
        h = splitmix(h ^ splitmix(*p));
    }
    Rng::seed_from_u64(h)
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `true` with probability `p`.
pub(crate) fn chance(rng: &mut Rng, p: f64) -> bool {
    p > 0.0 && rng.random::<f64>() < p
}

/// Uniform in `[lo, hi)`.
pub(crate) fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

/// Exponential with this mean.
pub(crate) fn exponential(rng: &mut Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

/// Standard normal (Box–Muller).
pub(crate) fn normal(rng: &mut Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson count with this mean: exact for small means, the normal approximation above 50.
pub(crate) fn poisson(rng: &mut Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 50.0 {
        let x = (mean + mean.sqrt() * normal(rng)).round();
        // Saturating float-to-int conversion is what is wanted for absurd means.
        return x.max(0.0) as u32;
    }
    let limit = (-mean).exp();
    let mut k = 0u32;
    let mut p = rng.random::<f64>();
    while p > limit {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}

/// Ten random bytes, for the random part of a UUID v7.
pub(crate) fn uuid_bytes(rng: &mut Rng) -> [u8; 10] {
    let mut b = [0u8; 10];
    rng.fill(&mut b);
    b
}

/// A discrete distribution over `0..n` by weights.
#[derive(Debug, Clone)]
pub(crate) struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    /// `None` when no weight is positive.
    pub(crate) fn new(weights: impl IntoIterator<Item = f64>) -> Option<Weighted> {
        let mut total = 0.0;
        let cumulative: Vec<f64> = weights
            .into_iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        (total > 0.0).then_some(Weighted { cumulative })
    }

    /// Sum of the weights.
    pub(crate) fn total(&self) -> f64 {
        self.cumulative.last().copied().unwrap_or(0.0)
    }

    /// The probability of index `i`.
    pub(crate) fn probability(&self, i: usize) -> f64 {
        let below = if i == 0 { 0.0 } else { self.cumulative[i - 1] };
        (self.cumulative[i] - below) / self.total()
    }

    /// Draws an index; never one of weight 0.
    pub(crate) fn pick(&self, rng: &mut Rng) -> usize {
        let x = rng.random::<f64>() * self.total();
        let i = self.cumulative.partition_point(|c| *c <= x);
        i.min(self.cumulative.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| stream(&[1, 2]).random()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            stream(&[1, 2]).random::<u64>(),
            stream(&[2, 1]).random::<u64>()
        );
    }

    #[test]
    fn weighted_never_picks_a_zero_weight() {
        let w = Weighted::new([0.0, 1.0, 0.0, 3.0, 0.0]).unwrap();
        let mut rng = stream(&[7]);
        let mut counts = [0u32; 5];
        for _ in 0..40_000 {
            counts[w.pick(&mut rng)] += 1;
        }
        assert_eq!(counts[0] + counts[2] + counts[4], 0, "{counts:?}");
        let share = f64::from(counts[3]) / 40_000.0;
        assert!((share - 0.75).abs() < 0.01, "{share}");
        assert!((w.probability(3) - 0.75).abs() < 1e-12);
        assert!(Weighted::new([0.0, 0.0]).is_none());
    }

    #[test]
    fn poisson_has_its_mean() {
        let mut rng = stream(&[3]);
        for mean in [0.5, 7.0, 400.0] {
            let n = 20_000;
            let sum: u64 = (0..n).map(|_| u64::from(poisson(&mut rng, mean))).sum();
            let got = sum as f64 / f64::from(n);
            assert!((got - mean).abs() < 0.05 * mean.max(1.0), "{mean}: {got}");
        }
    }
}
