//! Thousands of random carts, from a fixed seed, through [`checkout_totals`]: every figure is
//! checked against the rules recomputed here independently in `i128`, and every total against the
//! sum of its parts.

use super::*;
use crate::coupon::{CouponScope, CouponValue};
use crate::shipping::{cheapest, Destinations, ShippingRate, WeightBand};

/// xorshift64*: tiny, deterministic on every platform and every version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo) as u64 + 1)) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// A number from `lo` up to one of `highs`, picked first: spreads values over magnitudes.
    fn up_to_one_of(&mut self, lo: i64, highs: &[i64]) -> i64 {
        let hi = self.pick(highs);
        self.range(lo, hi)
    }
}

const RATES: [u32; 13] = [0, 1, 250, 550, 700, 1000, 1900, 2000, 2100, 2500, 2700, 9999, 10_000];
const CATEGORIES: [&str; 4] = ["standard", "reduced", "zero", "books"];
const SHOPS: [&str; 3] = ["shop-a", "shop-b", "shop-c"];

/// `num / den` rounded half up, for `num ≥ 0`, written differently from `rate::div_half_up`.
fn half_up(num: i128, den: i128) -> i128 {
    (2 * num + den) / (2 * den)
}

fn random_price(rng: &mut Rng, currency: Currency) -> Money {
    Money::new(
        rng.up_to_one_of(0, &[99, 9_999, 999_999, crate::pricing::MAX_PRICE_MINOR]),
        currency,
    )
}

fn random_shipping(rng: &mut Rng, currency: Currency) -> Option<ShippingMethod> {
    let rate = match rng.range(0, 2) {
        0 => return None,
        1 => ShippingRate::Flat {
            price: random_price(rng, currency),
        },
        _ => {
            let mut bands = Vec::new();
            let (mut grams, mut price) = (0u64, 0i64);
            for i in 0..rng.range(1, 5) {
                grams = if i == 4 {
                    u64::MAX
                } else {
                    grams + rng.range(1, 20_000) as u64
                };
                price += rng.range(0, 2_000);
                bands.push(WeightBand {
                    up_to_grams: grams,
                    price: Money::new(price, currency),
                });
            }
            bands.last_mut().unwrap().up_to_grams = u64::MAX;
            ShippingRate::ByWeight { bands }
        }
    };
    let free_from = rng.chance(40).then(|| random_price(rng, currency));
    Some(ShippingMethod {
        name: "Random".into(),
        rate,
        free_from,
        destinations: Destinations::Everywhere,
    })
}

fn random_coupon(rng: &mut Rng, currency: Currency) -> Option<Coupon> {
    let value = match rng.range(0, 2) {
        0 => return None,
        1 => CouponValue::Percentage(BasisPoints::new(rng.range(1, 10_000) as u32).unwrap()),
        _ => CouponValue::Fixed(random_price(rng, currency)),
    };
    Some(Coupon {
        code: "RANDOM".into(),
        value,
        min_spend: rng.chance(30).then(|| random_price(rng, currency)),
        valid_from_ms: None,
        valid_until_ms: None,
        max_uses: None,
        max_uses_per_buyer: None,
        scope: if rng.chance(50) {
            CouponScope::Operator
        } else {
            CouponScope::Shop(rng.pick(&SHOPS).to_owned())
        },
    })
}

/// The shipping charge by the rules, recomputed: the first band the weight fits in (or the flat
/// price), zero from the free threshold on.
fn expected_shipping(method: Option<&ShippingMethod>, grams: u64, goods: i64) -> i64 {
    let Some(m) = method else { return 0 };
    if m.free_from.is_some_and(|f| goods >= f.minor) {
        return 0;
    }
    match &m.rate {
        ShippingRate::Flat { price } => price.minor,
        ShippingRate::ByWeight { bands } => bands.iter().find(|b| grams <= b.up_to_grams).unwrap().price.minor,
    }
}

/// Checks one order's figures against its input and the discount it was given.
fn check_order(input: &OrderInput<'_>, t: &OrderTotals, discount: i64) {
    let n = input.lines.len();
    assert_eq!(t.lines.len(), n);
    let amounts: Vec<i128> = input
        .lines
        .iter()
        .map(|l| i128::from(l.unit_price.minor) * i128::from(l.quantity))
        .collect();
    let subtotal: i128 = amounts.iter().sum();
    assert_eq!(i128::from(t.subtotal.minor), subtotal);
    assert_eq!(t.discount.minor, discount);
    assert!(discount >= 0 && i128::from(discount) <= subtotal);
    for ((l, lt), &amount) in input.lines.iter().zip(&t.lines).zip(&amounts) {
        let rate = input.taxes.rate(input.destination, &l.tax_category).unwrap();
        assert_eq!(lt.tax_rate, rate);
        assert_eq!(i128::from(lt.amount.minor), amount);
        let d = i128::from(lt.discount.minor);
        assert!(d >= 0 && d <= amount, "a line's discount is within its amount");
        // Proportional to within one unit: |d × S − D × a| < S.
        assert!((d * subtotal - i128::from(discount) * amount).abs() < subtotal.max(1));
        let after = amount - d;
        let r = i128::from(rate.get());
        let expected_tax = match input.price_mode {
            PriceMode::TaxExclusive => half_up(after * r, 10_000),
            PriceMode::TaxInclusive => half_up(after * r, 10_000 + r),
        };
        assert_eq!(i128::from(lt.tax.minor), expected_tax);
        assert_eq!(lt.net.minor + lt.tax.minor, lt.gross.minor);
        assert!(lt.net.minor >= 0 && lt.tax.minor >= 0);
        let in_mode = match input.price_mode {
            PriceMode::TaxExclusive => lt.net,
            PriceMode::TaxInclusive => lt.gross,
        };
        assert_eq!(i128::from(in_mode.minor), after);
    }
    let sum = |f: fn(&LineTotals) -> Money| t.lines.iter().map(|l| i128::from(f(l).minor)).sum::<i128>();
    assert_eq!(sum(|l| l.discount), i128::from(t.discount.minor));
    let grams: u64 = input
        .lines
        .iter()
        .map(|l| u64::from(l.weight_grams) * u64::from(l.quantity))
        .sum();
    assert_eq!(t.weight_grams, grams);
    let ship = expected_shipping(input.shipping, grams, t.subtotal.minor - discount);
    let s = &t.shipping;
    assert_eq!(t.shipping_in_mode().minor, ship);
    assert_eq!(s.net.minor + s.tax.minor, s.gross.minor);
    assert!(s.net.minor >= 0 && s.tax.minor >= 0);
    assert_eq!(i128::from(t.tax.minor), sum(|l| l.tax) + i128::from(s.tax.minor));
    assert_eq!(i128::from(t.total.minor), sum(|l| l.gross) + i128::from(s.gross.minor));
    assert!(t.total.minor >= 0, "a total is never negative");
    let by_rate = t.tax_by_rate().unwrap();
    let nets: i128 = sum(|l| l.net) + if s.gross.minor > 0 { i128::from(s.net.minor) } else { 0 };
    assert_eq!(by_rate.iter().map(|r| i128::from(r.net.minor)).sum::<i128>(), nets);
    assert_eq!(
        by_rate.iter().map(|r| i128::from(r.tax.minor)).sum::<i128>(),
        i128::from(t.tax.minor)
    );
    assert!(by_rate.windows(2).all(|w| w[0].rate < w[1].rate));
    // The identities shared/API.md states.
    let wide = |m: Money| i128::from(m.minor);
    let identity = match input.price_mode {
        PriceMode::TaxExclusive => wide(t.subtotal) + wide(s.net) + wide(t.tax) - wide(t.discount),
        PriceMode::TaxInclusive => wide(t.subtotal) + wide(s.gross) - wide(t.discount),
    };
    assert_eq!(identity, wide(t.total));
}

#[test]
fn totals_add_up_exactly_for_thousands_of_random_carts() {
    let mut rng = Rng(0x5EED_0FA6_0A0A);
    let currencies = ["EUR", "JPY", "KWD"].map(|c| Currency::parse(c).unwrap());
    let (mut discounted, mut shipped, mut refused) = (0, 0, 0);
    let (mut by_weight, mut made_free) = (0, 0);
    for _ in 0..5_000 {
        let currency = rng.pick(&currencies);
        let country = Country::parse("DE").unwrap();
        let mut taxes = TaxTable::new();
        for name in CATEGORIES.iter().chain(&["shipping"]) {
            let rate = BasisPoints::new(rng.pick(&RATES)).unwrap();
            taxes.set(country, TaxCategory::parse(name).unwrap(), rate);
        }
        let shop_count = rng.range(1, 3) as usize;
        let mut carts = Vec::new();
        for &shop in &SHOPS[..shop_count] {
            let lines: Vec<CheckoutLine> = (0..rng.range(1, 8))
                .map(|_| CheckoutLine {
                    unit_price: random_price(&mut rng, currency),
                    quantity: rng.up_to_one_of(1, &[3, 20, 10_000]) as u32,
                    tax_category: TaxCategory::parse(rng.pick(&CATEGORIES)).unwrap(),
                    weight_grams: rng.range(0, 5_000) as u32,
                })
                .collect();
            let mode = rng.pick(&[PriceMode::TaxInclusive, PriceMode::TaxExclusive]);
            // Up to three methods; checkout's default is the cheapest for this parcel.
            let methods: Vec<ShippingMethod> = (0..rng.range(0, 3))
                .filter_map(|_| random_shipping(&mut rng, currency))
                .collect();
            let grams = parcel_weight(&lines).unwrap();
            let goods = Money::new(
                lines.iter().map(|l| l.unit_price.minor * i64::from(l.quantity)).sum(),
                currency,
            );
            let chosen = cheapest(&methods, grams, goods, country).map(|(i, price)| {
                for m in &methods {
                    assert!(
                        m.quote(grams, goods, country).unwrap().minor >= price.minor,
                        "the cheapest"
                    );
                }
                let m = &methods[i];
                let bands = matches!(m.rate, ShippingRate::ByWeight { .. });
                let freed = m.free_from.is_some_and(|f| goods.minor >= f.minor);
                (bands, freed, m.clone())
            });
            by_weight += usize::from(chosen.as_ref().is_some_and(|(b, _, _)| *b));
            made_free += usize::from(chosen.as_ref().is_some_and(|(_, f, _)| *f));
            carts.push((shop, lines, mode, chosen.map(|(_, _, m)| m)));
        }
        let orders: Vec<OrderInput<'_>> = carts
            .iter()
            .map(|(shop, lines, mode, shipping)| OrderInput {
                shop_id: shop,
                currency,
                lines,
                price_mode: *mode,
                taxes: &taxes,
                destination: country,
                shipping: shipping.as_ref(),
            })
            .collect();
        let coupon = random_coupon(&mut rng, currency);
        let usage = CouponUsage {
            now_ms: 0,
            uses_total: 0,
            uses_by_buyer: 0,
        };
        let at_checkout = coupon.as_ref().map(|coupon| CouponAtCheckout { coupon, usage });

        // What the coupon should take off, recomputed from its definition.
        let covered: Vec<bool> = orders
            .iter()
            .map(|o| coupon.as_ref().is_some_and(|c| c.covers_shop(o.shop_id)))
            .collect();
        let subtotals: Vec<i64> = orders.iter().map(|o| goods_subtotal(o).unwrap().minor).collect();
        let eligible: i64 = subtotals
            .iter()
            .zip(&covered)
            .filter(|(_, c)| **c)
            .map(|(s, _)| s)
            .sum();
        let expected_discount = match &coupon {
            None => Ok(0),
            Some(_) if !covered.contains(&true) => Err(CheckoutError::Coupon(CouponError::OtherShop)),
            Some(c) if c.min_spend.is_some_and(|m| eligible < m.minor) => Err(CheckoutError::Coupon(
                CouponError::BelowMinimumSpend(c.min_spend.unwrap()),
            )),
            Some(c) => Ok(match c.value {
                CouponValue::Percentage(bp) => half_up(i128::from(eligible) * i128::from(bp.get()), 10_000) as i64,
                CouponValue::Fixed(m) => m.minor.min(eligible),
            }),
        };

        match (checkout_totals(&orders, at_checkout), expected_discount) {
            (Ok(totals), Ok(discount)) => {
                assert_eq!(totals.len(), orders.len());
                let given: i64 = totals.iter().map(|t| t.discount.minor).sum();
                assert_eq!(given, discount, "the coupon's discount is given exactly once");
                for ((input, t), is_covered) in orders.iter().zip(&totals).zip(&covered) {
                    if !is_covered {
                        assert_eq!(t.discount.minor, 0, "an uncovered shop gets no discount");
                    }
                    // Orders share the discount by their goods amounts, to within one unit.
                    let share = i128::from(t.discount.minor) * i128::from(eligible.max(1));
                    let ideal = i128::from(discount) * i128::from(t.subtotal.minor);
                    assert!(!is_covered || (share - ideal).abs() < i128::from(eligible.max(1)));
                    check_order(input, t, t.discount.minor);
                    shipped += usize::from(t.shipping.gross.minor > 0);
                }
                discounted += usize::from(discount > 0);
            }
            (Err(got), Err(expected)) => {
                assert_eq!(got, expected);
                refused += 1;
            }
            (got, expected) => panic!("got {got:?}, expected a discount of {expected:?}"),
        }
    }
    // The generator reaches every path often enough for the checks above to mean something.
    assert!(discounted > 1_000, "{discounted} carts with a discount");
    assert!(shipped > 1_000, "{shipped} orders with a shipping charge");
    assert!(refused > 100, "{refused} carts whose coupon was refused");
    assert!(by_weight > 1_000, "{by_weight} orders shipped by weight band");
    assert!(
        made_free > 100,
        "{made_free} orders whose goods reached a free-shipping amount"
    );
}

#[test]
fn huge_random_carts_either_add_up_or_report_an_overflow() {
    let mut rng = Rng(0x0B16_CA27);
    let de = Country::parse("DE").unwrap();
    let (mut ok, mut overflowed) = (0, 0);
    for _ in 0..3_000 {
        let rate = BasisPoints::new(rng.pick(&RATES)).unwrap();
        let taxes = TaxTable::new().with(de, TaxCategory::standard(), rate);
        let lines: Vec<CheckoutLine> = (0..rng.range(1, 4))
            .map(|_| CheckoutLine {
                unit_price: Money::new(
                    rng.up_to_one_of(0, &[i64::MAX, i64::MAX / 3, i64::MAX / 8]),
                    Currency::EUR,
                ),
                quantity: rng.up_to_one_of(1, &[1, 3, 1_000_000]) as u32,
                tax_category: TaxCategory::standard(),
                weight_grams: rng.range(0, i64::from(u32::MAX)) as u32,
            })
            .collect();
        let input = OrderInput {
            shop_id: "shop-a",
            currency: Currency::EUR,
            lines: &lines,
            price_mode: rng.pick(&[PriceMode::TaxInclusive, PriceMode::TaxExclusive]),
            taxes: &taxes,
            destination: de,
            shipping: None,
        };
        let exact: i128 = lines
            .iter()
            .map(|l| i128::from(l.unit_price.minor) * i128::from(l.quantity))
            .sum();
        let discount = match goods_subtotal(&input) {
            Ok(s) => rng.range(0, s.minor),
            Err(_) => 0,
        };
        match order_totals(&input, Money::new(discount, Currency::EUR)) {
            Ok(t) => {
                check_order(&input, &t, discount);
                ok += 1;
            }
            Err(e) => {
                assert_eq!(e, CheckoutError::Overflow);
                // Below half the range, even a 100 % tax on top fits: an overflow there is a bug.
                assert!(exact > i128::from(i64::MAX / 2), "{exact} overflowed");
                overflowed += 1;
            }
        }
    }
    assert!(ok > 300 && overflowed > 300, "{ok} fitted, {overflowed} overflowed");
}
