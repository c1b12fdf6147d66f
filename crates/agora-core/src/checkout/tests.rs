use super::*;
use crate::coupon::{CouponScope, CouponValue};
use crate::shipping::{Destinations, ShippingRate, WeightBand};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn bp(v: u32) -> BasisPoints {
    BasisPoints::new(v).unwrap()
}

fn c(code: &str) -> Country {
    Country::parse(code).unwrap()
}

fn cat(name: &str) -> TaxCategory {
    TaxCategory::parse(name).unwrap()
}

/// Germany: 19 % standard and shipping, 7 % reduced.
fn german_taxes() -> TaxTable {
    TaxTable::new()
        .with(c("DE"), TaxCategory::standard(), bp(1900))
        .with(c("DE"), cat("reduced"), bp(700))
        .with(c("DE"), TaxCategory::shipping(), bp(1900))
}

fn line(unit: i64, quantity: u32, category: &str, weight_grams: u32) -> CheckoutLine {
    CheckoutLine {
        unit_price: eur(unit),
        quantity,
        tax_category: cat(category),
        weight_grams,
    }
}

fn flat(price: i64, free_from: Option<i64>) -> ShippingMethod {
    ShippingMethod {
        name: "Parcel".into(),
        rate: ShippingRate::Flat { price: eur(price) },
        free_from: free_from.map(eur),
        destinations: Destinations::Only([c("DE")].into()),
    }
}

fn order<'a>(
    shop_id: &'a str,
    lines: &'a [CheckoutLine],
    price_mode: PriceMode,
    taxes: &'a TaxTable,
    shipping: Option<&'a ShippingMethod>,
) -> OrderInput<'a> {
    OrderInput {
        shop_id,
        currency: Currency::EUR,
        lines,
        price_mode,
        taxes,
        destination: c("DE"),
        shipping,
    }
}

fn percent_off(bp_value: u32, scope: CouponScope) -> Coupon {
    Coupon {
        code: "TEN".into(),
        value: CouponValue::Percentage(bp(bp_value)),
        min_spend: None,
        valid_from_ms: None,
        valid_until_ms: None,
        max_uses: None,
        max_uses_per_buyer: None,
        scope,
    }
}

const NOW: CouponUsage = CouponUsage {
    now_ms: 0,
    uses_total: 0,
    uses_by_buyer: 0,
};

#[test]
fn a_tax_exclusive_order_adds_tax_per_line_and_on_shipping() {
    let taxes = german_taxes();
    let lines = [line(333, 3, "standard", 200), line(1000, 1, "reduced", 500)];
    let parcel = flat(490, None);
    let t = order_totals(
        &order("s", &lines, PriceMode::TaxExclusive, &taxes, Some(&parcel)),
        eur(0),
    )
    .unwrap();
    // 9.99 → 1.8981 → 1.90 tax; 10.00 → 0.70; shipping 4.90 → 0.931 → 0.93.
    assert_eq!(t.lines[0].tax, eur(190));
    assert_eq!(t.lines[0].gross, eur(1189));
    assert_eq!(t.lines[1].tax, eur(70));
    assert_eq!(
        (t.shipping.net, t.shipping.tax, t.shipping.gross),
        (eur(490), eur(93), eur(583))
    );
    assert_eq!((t.subtotal, t.tax, t.total), (eur(1999), eur(353), eur(2842)));
    assert_eq!(t.weight_grams, 1100);
    assert_eq!(t.shipping_in_mode(), eur(490));
    // subtotal + shipping + tax − discount = total
    assert_eq!(1999 + 490 + 353, t.total.minor);
    // Shipping joins the goods at 19 %.
    let by_rate = t.tax_by_rate().unwrap();
    assert_eq!(
        by_rate,
        [
            TaxAtRate {
                rate: bp(700),
                net: eur(1000),
                tax: eur(70)
            },
            TaxAtRate {
                rate: bp(1900),
                net: eur(1489),
                tax: eur(283)
            },
        ]
    );
}

#[test]
fn a_tax_inclusive_order_contains_its_tax_and_the_discount_lowers_the_base() {
    let taxes = german_taxes();
    let lines = [line(595, 2, "standard", 100), line(810, 1, "reduced", 100)];
    let parcel = flat(490, Some(2000));
    let input = order("s", &lines, PriceMode::TaxInclusive, &taxes, Some(&parcel));
    let coupon = percent_off(1000, CouponScope::Operator);
    let t = checkout_totals(
        &[input],
        Some(CouponAtCheckout {
            coupon: &coupon,
            usage: NOW,
        }),
    )
    .unwrap();
    let t = &t[0];
    // 10 % of 20.00 = 2.00, spread 1.19 / 0.81 by the line amounts 11.90 / 8.10.
    assert_eq!(t.discount, eur(200));
    assert_eq!((t.lines[0].discount, t.lines[1].discount), (eur(119), eur(81)));
    // 10.71 gross at 19 % contains 1.71; 7.29 at 7 % contains 0.4769… → 0.48.
    assert_eq!(
        (t.lines[0].net, t.lines[0].tax, t.lines[0].gross),
        (eur(900), eur(171), eur(1071))
    );
    assert_eq!(
        (t.lines[1].net, t.lines[1].tax, t.lines[1].gross),
        (eur(681), eur(48), eur(729))
    );
    // After the discount the goods (18.00) are below the free-shipping threshold (20.00).
    assert_eq!((t.shipping.gross, t.shipping.tax), (eur(490), eur(78)));
    assert_eq!((t.tax, t.total), (eur(297), eur(2290)));
    // subtotal + shipping − discount = total
    assert_eq!(
        t.subtotal.minor + t.shipping_in_mode().minor - t.discount.minor,
        t.total.minor
    );

    let without = order_totals(&input, eur(0)).unwrap();
    assert_eq!(without.shipping.gross, eur(0), "20.00 of goods ship free");
    assert_eq!(without.shipping_tax_rate, BasisPoints::ZERO);
    assert_eq!(without.total, eur(2000));
}

#[test]
fn a_coupon_is_spread_over_the_shops_it_covers_and_used_once() {
    let taxes = german_taxes();
    let a_lines = [line(1000, 3, "standard", 0)];
    let b_lines = [line(1000, 1, "standard", 0)];
    let a = order("shop-a", &a_lines, PriceMode::TaxInclusive, &taxes, None);
    let b = order("shop-b", &b_lines, PriceMode::TaxExclusive, &taxes, None);
    let ten_euros = Coupon {
        value: CouponValue::Fixed(eur(1000)),
        ..percent_off(1, CouponScope::Operator)
    };
    let t = checkout_totals(
        &[a, b],
        Some(CouponAtCheckout {
            coupon: &ten_euros,
            usage: NOW,
        }),
    )
    .unwrap();
    assert_eq!((t[0].discount, t[1].discount), (eur(750), eur(250)));

    let only_b = Coupon {
        scope: CouponScope::Shop("shop-b".into()),
        ..ten_euros.clone()
    };
    let t = checkout_totals(
        &[a, b],
        Some(CouponAtCheckout {
            coupon: &only_b,
            usage: NOW,
        }),
    )
    .unwrap();
    assert_eq!((t[0].discount, t[1].discount), (eur(0), eur(1000)));
    assert_eq!(t[1].total, eur(0), "the discount takes the goods to zero, never below");

    let only_c = Coupon {
        scope: CouponScope::Shop("shop-c".into()),
        ..ten_euros
    };
    let err = checkout_totals(
        &[a, b],
        Some(CouponAtCheckout {
            coupon: &only_c,
            usage: NOW,
        }),
    )
    .unwrap_err();
    assert_eq!(err, CheckoutError::Coupon(CouponError::OtherShop));
    assert_eq!(err.field().as_deref(), Some("coupon"));
}

#[test]
fn the_minimum_spend_of_an_operator_coupon_counts_every_shop() {
    let taxes = german_taxes();
    let a_lines = [line(3000, 1, "standard", 0)];
    let b_lines = [line(2000, 1, "standard", 0)];
    let a = order("shop-a", &a_lines, PriceMode::TaxInclusive, &taxes, None);
    let b = order("shop-b", &b_lines, PriceMode::TaxInclusive, &taxes, None);
    let coupon = Coupon {
        min_spend: Some(eur(5000)),
        ..percent_off(1000, CouponScope::Operator)
    };
    let both = checkout_totals(
        &[a, b],
        Some(CouponAtCheckout {
            coupon: &coupon,
            usage: NOW,
        }),
    )
    .unwrap();
    assert_eq!((both[0].discount, both[1].discount), (eur(300), eur(200)));
    let one = checkout_totals(
        &[a],
        Some(CouponAtCheckout {
            coupon: &coupon,
            usage: NOW,
        }),
    );
    assert_eq!(
        one,
        Err(CheckoutError::Coupon(CouponError::BelowMinimumSpend(eur(5000))))
    );
}

#[test]
fn missing_rates_and_unshippable_orders_name_the_field_to_fix() {
    let taxes = german_taxes();
    let lines = [line(100, 1, "standard", 10), line(100, 1, "books", 10)];
    let input = order("s", &lines, PriceMode::TaxInclusive, &taxes, None);
    let err = order_totals(&input, eur(0)).unwrap_err();
    assert!(matches!(err, CheckoutError::Tax(_)));
    assert_eq!(err.field().as_deref(), Some("shipping_address.country"));

    let lines = [line(100, 1, "standard", 10)];
    let parcel = flat(490, None);
    let taxes = german_taxes().with(c("FR"), TaxCategory::standard(), bp(2000));
    let to_france = OrderInput {
        destination: c("FR"),
        ..order("s", &lines, PriceMode::TaxInclusive, &taxes, Some(&parcel))
    };
    let err = order_totals(&to_france, eur(0)).unwrap_err();
    assert_eq!(err, CheckoutError::Shipping(NotAvailable::Country(c("FR"))));
    assert_eq!(err.field().as_deref(), Some("shipping_address.country"));

    let small = ShippingMethod {
        rate: ShippingRate::ByWeight {
            bands: vec![WeightBand {
                up_to_grams: 1_000,
                price: eur(490),
            }],
        },
        ..flat(0, None)
    };
    let heavy = [line(100, 11, "standard", 100)];
    let err = order_totals(
        &order("s", &heavy, PriceMode::TaxInclusive, &taxes, Some(&small)),
        eur(0),
    )
    .unwrap_err();
    assert_eq!(
        err,
        CheckoutError::Shipping(NotAvailable::TooHeavy { max_grams: 1_000 })
    );
    assert_eq!(err.field().as_deref(), Some("shipping_method"));

    let no_shipping_rate = TaxTable::new().with(c("DE"), TaxCategory::standard(), bp(1900));
    let err = order_totals(
        &order("s", &lines, PriceMode::TaxInclusive, &no_shipping_rate, Some(&parcel)),
        eur(0),
    );
    assert!(matches!(err, Err(CheckoutError::Tax(NoTaxRate { .. }))));
}

#[test]
fn bad_lines_are_refused_with_their_index() {
    let taxes = german_taxes();
    let check =
        |lines: &[CheckoutLine]| order_totals(&order("s", lines, PriceMode::TaxExclusive, &taxes, None), eur(0));
    assert_eq!(check(&[]).unwrap_err().field().as_deref(), Some("lines"));
    let err = check(&[line(100, 1, "standard", 0), line(100, 0, "standard", 0)]).unwrap_err();
    assert_eq!(err, CheckoutError::ZeroQuantity { line: 1 });
    assert_eq!(err.field().as_deref(), Some("lines[1].quantity"));
    let err = check(&[line(-1, 1, "standard", 0)]).unwrap_err();
    assert_eq!(err.field().as_deref(), Some("lines[0].unit_price"));
    let usd = CheckoutLine {
        unit_price: Money::new(100, Currency::parse("USD").unwrap()),
        ..line(0, 1, "standard", 0)
    };
    assert_eq!(
        check(&[usd]),
        Err(CheckoutError::LineCurrency {
            line: 0,
            currency: "EUR"
        })
    );
}

#[test]
fn a_discount_outside_the_goods_amount_is_refused() {
    let taxes = german_taxes();
    let lines = [line(100, 2, "standard", 0)];
    let input = order("s", &lines, PriceMode::TaxExclusive, &taxes, None);
    assert_eq!(order_totals(&input, eur(201)), Err(CheckoutError::BadDiscount));
    assert_eq!(order_totals(&input, eur(-1)), Err(CheckoutError::BadDiscount));
    assert_eq!(
        order_totals(&input, Money::new(1, Currency::parse("USD").unwrap())),
        Err(CheckoutError::BadDiscount)
    );
    let all = order_totals(&input, eur(200)).unwrap();
    assert_eq!((all.tax, all.total), (eur(0), eur(0)));
}

#[test]
fn amounts_beyond_range_are_errors_not_wrapped_numbers() {
    let taxes = german_taxes();
    let check = |lines: &[CheckoutLine], mode| order_totals(&order("s", lines, mode, &taxes, None), eur(0));
    let half = i64::MAX / 2;
    assert_eq!(
        check(&[line(half, 3, "standard", 0)], PriceMode::TaxInclusive),
        Err(CheckoutError::Overflow)
    );
    assert_eq!(
        check(
            &[
                line(half, 1, "standard", 0),
                line(half, 1, "standard", 0),
                line(2, 1, "standard", 0)
            ],
            PriceMode::TaxInclusive
        ),
        Err(CheckoutError::Overflow)
    );
    // Fits as a net amount, but not once 19 % is added.
    assert_eq!(
        check(&[line(half, 2, "standard", 0)], PriceMode::TaxExclusive),
        Err(CheckoutError::Overflow)
    );
    assert!(check(&[line(half, 2, "standard", 0)], PriceMode::TaxInclusive).is_ok());
    let heavy = line(1, u32::MAX, "standard", u32::MAX);
    assert!(
        check(std::slice::from_ref(&heavy), PriceMode::TaxInclusive).is_ok(),
        "u32 × u32 grams fit into u64"
    );
    assert_eq!(
        check(&[heavy.clone(), heavy], PriceMode::TaxInclusive),
        Err(CheckoutError::Overflow)
    );
}

#[test]
fn a_cart_splits_into_one_group_per_shop_in_first_seen_order() {
    let cart = [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)];
    let groups = split_by_shop(cart, |l| l.0);
    let shape: Vec<(&str, Vec<i32>)> = groups
        .iter()
        .map(|(shop, lines)| (shop.as_str(), lines.iter().map(|l| l.1).collect()))
        .collect();
    assert_eq!(shape, [("b", vec![1, 3]), ("a", vec![2, 5]), ("c", vec![4])]);
    assert!(split_by_shop(Vec::<(&str, i32)>::new(), |l| l.0).is_empty());
}
