//! Percentiles, the one way every benchmark and report of the project computes them:
//! nearest rank on sorted values.

/// The `q` quantile (0..=1) of `sorted` (ascending) by nearest rank; `None` when empty.
pub fn percentile_sorted<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Sorts `values` and returns the `q` quantile of each of `qs` (nearest rank); empty
/// when there are no values.
pub fn percentiles(values: &mut [f64], qs: &[f64]) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    qs.iter().filter_map(|&q| percentile_sorted(values, q)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile_sorted(&v, 0.5), Some(5));
        assert_eq!(percentile_sorted(&v, 0.9), Some(9));
        assert_eq!(percentile_sorted(&v, 0.99), Some(10));
        assert_eq!(percentile_sorted(&v, 0.0), Some(1));
        assert_eq!(percentile_sorted::<u64>(&[], 0.5), None);
        let mut f = vec![3.0, 1.0, 2.0];
        assert_eq!(percentiles(&mut f, &[0.5, 1.0]), [2.0, 3.0]);
    }
}
