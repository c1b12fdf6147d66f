//! Buyers' ratings of shops: one per completed order, a score of 1 to 5 stars with an optional
//! comment, and the shop's average in hundredths of a star (what the quote comparison sorts by).

use crate::order::OrderStatus;
use crate::text;
use crate::validation::ValidationErrors;

/// The longest comment, in characters.
pub const COMMENT_MAX: usize = 2000;

/// A rating as a buyer gave it, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    /// 1 to 5 stars.
    pub score: i64,
    /// `None` when left blank.
    pub comment: Option<String>,
}

impl Rating {
    /// Checks a score (1 to 5) and a comment (at most [`COMMENT_MAX`] characters; blank means none).
    pub fn parse(score: i64, comment: Option<&str>) -> Result<Rating, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if !(1..=5).contains(&score) {
            errors.add("score", "must be a whole number of stars from 1 to 5");
        }
        let comment = match comment.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(raw) => text::bounded(raw, 1, COMMENT_MAX, true)
                .map_err(|m| errors.add("comment", m))
                .ok(),
        };
        if errors.0.is_empty() {
            Ok(Rating { score, comment })
        } else {
            Err(errors)
        }
    }
}

/// Why an order cannot be rated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingRefusal {
    #[error("an order can be rated once it is completed; this one is {0}")]
    NotCompleted(OrderStatus),
}

/// A shop is rated for an order once the buyer has it: the order must be completed.
pub fn may_rate(status: OrderStatus) -> Result<(), RatingRefusal> {
    match status {
        OrderStatus::Completed => Ok(()),
        other => Err(RatingRefusal::NotCompleted(other)),
    }
}

/// The average of `count` scores adding up to `sum`, in hundredths of a star, rounded half up;
/// `None` without ratings.
pub fn average_hundredths(sum: i64, count: i64) -> Option<i64> {
    if count <= 0 {
        return None;
    }
    let scaled = sum.checked_mul(100)?;
    Some((scaled + count / 2) / count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_from_one_to_five_are_taken_and_others_refused() {
        assert_eq!(
            Rating::parse(5, Some("  quick  ")).unwrap().comment.as_deref(),
            Some("quick")
        );
        assert_eq!(Rating::parse(1, Some("   ")).unwrap().comment, None);
        for bad in [0, 6, -1, i64::MAX] {
            let e = Rating::parse(bad, None).unwrap_err();
            assert_eq!(e.0[0].field, "score");
        }
        let long = "x".repeat(COMMENT_MAX + 1);
        assert_eq!(Rating::parse(3, Some(&long)).unwrap_err().0[0].field, "comment");
    }

    #[test]
    fn only_a_completed_order_is_rated() {
        assert_eq!(may_rate(OrderStatus::Completed), Ok(()));
        for s in [OrderStatus::Shipped, OrderStatus::Paid, OrderStatus::Cancelled] {
            assert_eq!(may_rate(s), Err(RatingRefusal::NotCompleted(s)));
        }
    }

    #[test]
    fn the_average_is_kept_in_hundredths_of_a_star() {
        assert_eq!(average_hundredths(0, 0), None);
        assert_eq!(average_hundredths(9, 2), Some(450));
        assert_eq!(average_hundredths(13, 3), Some(433));
        assert_eq!(average_hundredths(14, 3), Some(467));
        assert_eq!(average_hundredths(5, 1), Some(500));
    }
}
