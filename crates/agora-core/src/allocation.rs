//! Splitting an amount over parts in proportion to their weights, so that the shares add up to the
//! amount exactly: the largest-remainder rule (Hamilton's method), used to spread a discount over
//! the lines of an order and over the orders of a checkout.

/// Why an amount cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("an amount or a weight to split by is negative")]
    Negative,
    #[error("a positive amount cannot be split over weights that are all zero")]
    NoWeight,
}

/// Splits `amount` over `weights`: each part first gets `floor(amount × weight / Σweights)`, then
/// the units still left go one each to the parts with the largest remainders (the earlier part
/// first on a tie). The shares add up to `amount` exactly, each share is within one unit of its
/// exact proportion, and when `amount ≤ Σweights` no share exceeds its weight.
pub fn allocate(amount: i64, weights: &[i64]) -> Result<Vec<i64>, AllocationError> {
    if amount < 0 || weights.iter().any(|w| *w < 0) {
        return Err(AllocationError::Negative);
    }
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum == 0 {
        return if amount == 0 {
            Ok(vec![0; weights.len()])
        } else {
            Err(AllocationError::NoWeight)
        };
    }
    let amount = i128::from(amount);
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given: i128 = 0;
    for (i, w) in weights.iter().enumerate() {
        let exact = amount * i128::from(*w);
        // Each floor is at most `amount`, which came from an i64.
        let share = (exact / sum) as i64;
        shares.push(share);
        remainders.push((exact % sum, i));
        given += i128::from(share);
    }
    // Fewer units are left than parts with a non-zero remainder, so each gets at most one.
    let left = (amount - given) as usize;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(left) {
        shares[i] += 1;
    }
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_weights_and_add_up_exactly() {
        assert_eq!(allocate(100, &[1, 1, 1]), Ok(vec![34, 33, 33]));
        assert_eq!(allocate(10, &[500, 300, 200]), Ok(vec![5, 3, 2]));
        // 7 × (1/6, 2/6, 3/6) = 1.17, 2.33, 3.5 → 1, 2, 3 and the one left goes to the .5.
        assert_eq!(allocate(7, &[1, 2, 3]), Ok(vec![1, 2, 4]));
        assert_eq!(allocate(0, &[5, 5]), Ok(vec![0, 0]));
        assert_eq!(allocate(5, &[0, 7, 0]), Ok(vec![0, 5, 0]));
        assert_eq!(allocate(0, &[]), Ok(vec![]));
        assert_eq!(allocate(0, &[0, 0]), Ok(vec![0, 0]));
    }

    #[test]
    fn ties_go_to_the_earlier_part() {
        assert_eq!(allocate(1, &[1, 1]), Ok(vec![1, 0]));
        assert_eq!(allocate(2, &[1, 1, 1]), Ok(vec![1, 1, 0]));
    }

    #[test]
    fn nothing_negative_and_nothing_over_zero_weights() {
        assert_eq!(allocate(-1, &[1]), Err(AllocationError::Negative));
        assert_eq!(allocate(1, &[1, -1]), Err(AllocationError::Negative));
        assert_eq!(allocate(1, &[0, 0]), Err(AllocationError::NoWeight));
        assert_eq!(allocate(1, &[]), Err(AllocationError::NoWeight));
    }

    #[test]
    fn huge_amounts_do_not_overflow() {
        let shares = allocate(i64::MAX, &[i64::MAX, i64::MAX, 1]).unwrap();
        assert_eq!(
            shares.iter().map(|s| i128::from(*s)).sum::<i128>(),
            i128::from(i64::MAX)
        );
        // Its exact share is just under one half, the largest remainder of the three.
        assert_eq!(shares[2], 1);
    }

    #[test]
    fn no_share_exceeds_its_weight_when_the_amount_fits() {
        // A deterministic sweep over small cases: exactness, bounds, and closeness to the ideal.
        for total_weight in 1..=12i64 {
            for a in 0..=total_weight {
                for w0 in 0..=total_weight {
                    let weights = [w0, total_weight - w0, 1];
                    let sum: i64 = weights.iter().sum();
                    for amount in [a, a * 3 / 4, sum] {
                        let shares = allocate(amount, &weights).unwrap();
                        assert_eq!(shares.iter().sum::<i64>(), amount);
                        for (s, w) in shares.iter().zip(weights) {
                            assert!(*s >= 0 && *s <= w, "{amount} over {weights:?}: {shares:?}");
                            let ideal = amount as f64 * w as f64 / sum as f64;
                            assert!((*s as f64 - ideal).abs() < 1.0);
                        }
                    }
                }
            }
        }
    }
}
