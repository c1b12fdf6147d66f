use std::collections::HashMap;

use serde_json::json;

use super::*;
use crate::money::Currency;
use crate::pricing::PriceTier;

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn req(variant_id: &str, quantity: i64) -> RequestedLine {
    RequestedLine {
        variant_id: variant_id.into(),
        quantity,
    }
}

/// "bolt": 1–9 at 1.00, 10+ at 0.80, at least 2 per order, 25 in stock (shop-a).
/// "nut": 0.10 each, 0 in stock (shop-b). "washer": 0.05, 1000 in stock, at least 100 (shop-b).
fn catalog() -> HashMap<&'static str, VariantOffer> {
    let offer = |shop: &str, base: i64, tiers: Vec<PriceTier>, min_order_qty: u32, available: u32| VariantOffer {
        shop_id: shop.into(),
        price: PriceRules {
            base: eur(base),
            tiers,
            min_order_qty,
            company_price: None,
        },
        available,
    };
    HashMap::from([
        (
            "bolt",
            offer(
                "shop-a",
                100,
                vec![PriceTier {
                    min_qty: 10,
                    unit_price: eur(80),
                }],
                2,
                25,
            ),
        ),
        ("nut", offer("shop-b", 10, vec![], 1, 0)),
        ("washer", offer("shop-b", 5, vec![], 100, 1_000)),
    ])
}

fn check(lines: &[RequestedLine]) -> Result<Vec<PricedLine>, ValidationErrors> {
    let catalog = catalog();
    price_lines("lines", lines, |id| catalog.get(id))
}

fn fields(errors: &ValidationErrors) -> Vec<(&str, &str)> {
    errors
        .0
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect()
}

#[test]
fn quantities_are_whole_numbers_from_one() {
    assert_eq!(Quantity::new(1).map(Quantity::get), Ok(1));
    assert_eq!(Quantity::new(0), Err("must be at least 1".into()));
    assert_eq!(Quantity::new(-3), Err("must be at least 1".into()));
    assert!(Quantity::new(i64::from(MAX_QUANTITY) + 1).is_err());
    assert_eq!(Quantity::from_json(&json!(3)).map(Quantity::get), Ok(3));
    for bad in [
        json!(1.5),
        json!(2.0),
        json!("3"),
        json!(null),
        json!(-1),
        json!(u64::MAX),
    ] {
        assert!(Quantity::from_json(&bad).is_err(), "{bad}");
    }
    assert_eq!(Quantity::parse(" 12 ").map(Quantity::get), Ok(12));
    assert!(Quantity::parse("1.5").is_err());
    assert!(Quantity::parse("").is_err());
}

#[test]
fn lines_of_the_same_variant_merge_in_first_seen_order() {
    let merged = merge_by_variant(&[req("b", 1), req("a", 2), req("b", 3)]);
    assert_eq!(
        merged,
        [
            MergedLine {
                variant_id: "b".into(),
                quantity: 4,
                lines: vec![0, 2]
            },
            MergedLine {
                variant_id: "a".into(),
                quantity: 2,
                lines: vec![1]
            },
        ]
    );
    assert_eq!(
        merge_by_variant(&[req("a", i64::MAX), req("a", 1)])[0].quantity,
        i64::MAX
    );
}

#[test]
fn prices_come_from_the_tier_of_the_whole_quantity() {
    let priced = check(&[req("bolt", 6), req("washer", 100), req("bolt", 4)]).unwrap();
    assert_eq!(priced.len(), 2);
    let bolt = &priced[0];
    assert_eq!(
        (bolt.quantity.get(), bolt.unit_price, bolt.line_total),
        (10, eur(80), eur(800))
    );
    assert_eq!(bolt.lines, [0, 2]);
    assert_eq!(bolt.shop_id, "shop-a");
    assert_eq!((priced[1].line_total, priced[1].lines.clone()), (eur(500), vec![1]));
}

#[test]
fn two_lines_of_one_variant_cannot_together_exceed_its_stock() {
    assert!(check(&[req("bolt", 25)]).is_ok());
    let errors = check(&[req("bolt", 20), req("washer", 100), req("bolt", 6)]).unwrap_err();
    let why = "only 25 left in stock (the cart asks for 26 across 2 lines)";
    assert_eq!(
        fields(&errors),
        [("lines[0].quantity", why), ("lines[2].quantity", why)]
    );
    let errors = check(&[req("nut", 1)]).unwrap_err();
    assert_eq!(fields(&errors), [("lines[0].quantity", "is out of stock")]);
}

#[test]
fn the_minimum_order_quantity_counts_the_merged_lines() {
    let errors = check(&[req("washer", 99)]).unwrap_err();
    assert_eq!(
        fields(&errors),
        [("lines[0].quantity", "the minimum order quantity is 100")]
    );
    assert!(check(&[req("washer", 60), req("washer", 40)]).is_ok());
    let errors = check(&[req("bolt", 1)]).unwrap_err();
    assert_eq!(
        fields(&errors),
        [("lines[0].quantity", "the minimum order quantity is 2")]
    );
}

#[test]
fn every_bad_line_is_named_and_good_lines_are_still_checked() {
    let errors = check(&[
        req("bolt", 0),
        req("ghost", 1),
        req("bolt", -2),
        req("washer", 5),
        req("bolt", 30),
    ])
    .unwrap_err();
    assert_eq!(
        fields(&errors),
        [
            ("lines[0].quantity", "must be at least 1"),
            ("lines[1].variant_id", "is not on sale"),
            ("lines[2].quantity", "must be at least 1"),
            ("lines[3].quantity", "the minimum order quantity is 100"),
            ("lines[4].quantity", "only 25 left in stock"),
        ]
    );
}

#[test]
fn an_empty_cart_prices_to_nothing() {
    assert_eq!(check(&[]), Ok(vec![]));
}

#[test]
fn a_line_says_when_its_price_moved_since_it_was_added() {
    assert_eq!(PriceChange::between(eur(100), eur(100)), None);
    let up = PriceChange::between(eur(100), eur(120)).unwrap();
    assert!(up.rose());
    assert!(!PriceChange::between(eur(100), eur(80)).unwrap().rose());
    let usd = Money::new(100, Currency::parse("USD").unwrap());
    assert!(PriceChange::between(eur(100), usd).unwrap().rose());
}
