//! Facet families: price buckets, and turning counts into sorted [`FacetCount`] lists.

use std::collections::HashMap;

use crate::model::{FacetCount, FACET_LIMIT};

/// Lower bounds of the price buckets in minor units; each bucket runs up to the next bound
/// (exclusive), the last one is open. Negative prices fall into the first bucket.
pub const PRICE_BUCKETS: [i64; 6] = [0, 1_000, 5_000, 10_000, 25_000, 50_000];

/// The index of the bucket holding `price`.
pub(crate) fn price_bucket(price: i64) -> usize {
    PRICE_BUCKETS.iter().rposition(|&lower| price >= lower).unwrap_or(0)
}

/// The facet value of bucket `i`: `"lo-hi"`, or `"lo-"` for the last one.
pub(crate) fn price_bucket_label(i: usize) -> String {
    match (PRICE_BUCKETS.get(i), PRICE_BUCKETS.get(i + 1)) {
        (Some(lo), Some(hi)) => format!("{lo}-{hi}"),
        (Some(lo), None) => format!("{lo}-"),
        _ => String::new(),
    }
}

/// The non-empty price buckets, cheapest first.
pub(crate) fn price_facets(counts: &[u64; PRICE_BUCKETS.len()]) -> Vec<FacetCount> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, &count)| count > 0)
        .map(|(i, &count)| FacetCount {
            value: price_bucket_label(i),
            count,
        })
        .collect()
}

/// The most frequent values first (ties by value), at most [`FACET_LIMIT`].
pub(crate) fn top_values(counts: HashMap<String, u64>) -> Vec<FacetCount> {
    let mut facets: Vec<FacetCount> = counts
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    facets.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    facets.truncate(FACET_LIMIT);
    facets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_fall_into_half_open_buckets() {
        assert_eq!(price_bucket(-5), 0);
        assert_eq!(price_bucket(0), 0);
        assert_eq!(price_bucket(999), 0);
        assert_eq!(price_bucket(1_000), 1);
        assert_eq!(price_bucket(49_999), 4);
        assert_eq!(price_bucket(i64::MAX), 5);
        assert_eq!(price_bucket_label(0), "0-1000");
        assert_eq!(price_bucket_label(1), "1000-5000");
        assert_eq!(price_bucket_label(5), "50000-");
    }

    #[test]
    fn facet_values_sort_by_count_then_value() {
        let counts = HashMap::from([
            ("b".to_string(), 2),
            ("a".to_string(), 2),
            ("c".to_string(), 5),
            ("z".to_string(), 0),
        ]);
        let values: Vec<_> = top_values(counts).into_iter().map(|f| f.value).collect();
        assert_eq!(values, vec!["c", "a", "b"]);
    }
}
