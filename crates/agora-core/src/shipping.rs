//! Shipping methods a shop offers: a flat rate or a price by weight band, optionally free from an
//! order amount on, restricted to destination countries; and what one costs for one order.
//!
//! A shipping price is written in the shop's price mode, like its product prices (gross for a
//! tax-inclusive shop), and is taxed as the category [`crate::tax::TaxCategory::shipping`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::country::Country;
use crate::money::{Currency, Money};
use crate::pricing::check_price;
use crate::text;
use crate::ValidationErrors;

/// Parcels up to `up_to_grams` (inclusive) cost `price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightBand {
    pub up_to_grams: u64,
    pub price: Money,
}

/// How a method prices a parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ShippingRate {
    /// One price whatever the parcel weighs.
    Flat { price: Money },
    /// The first band the parcel's weight fits in; heavier than the last band cannot go.
    ByWeight { bands: Vec<WeightBand> },
}

/// Where a method delivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "countries")]
pub enum Destinations {
    Everywhere,
    Only(BTreeSet<Country>),
}

impl Destinations {
    pub fn includes(&self, country: Country) -> bool {
        match self {
            Destinations::Everywhere => true,
            Destinations::Only(list) => list.contains(&country),
        }
    }
}

/// One way a shop ships, checked by [`ShippingMethod::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingMethod {
    /// What the buyer picks: "Standard parcel", "Express".
    pub name: String,
    pub rate: ShippingRate,
    /// Orders whose goods amount reaches this ship for free.
    pub free_from: Option<Money>,
    pub destinations: Destinations,
}

/// Why a method cannot ship an order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAvailable {
    #[error("this shipping method does not deliver to {0}")]
    Country(Country),
    #[error("this shipping method takes parcels up to {max_grams} g")]
    TooHeavy { max_grams: u64 },
    #[error("this shipping method charges in {0}")]
    Currency(&'static str),
}

/// The heaviest unit a variant may weigh: 1 000 kg.
pub const MAX_UNIT_GRAMS: u32 = 1_000_000;

/// Checks the weight of one unit a seller gives, in grams: 0 (not counted) up to [`MAX_UNIT_GRAMS`].
pub fn check_weight(grams: i64) -> Result<u32, String> {
    u32::try_from(grams)
        .ok()
        .filter(|g| *g <= MAX_UNIT_GRAMS)
        .ok_or_else(|| format!("must be a whole number of grams from 0 to {MAX_UNIT_GRAMS}"))
}

/// The most bands one method may have.
pub const MAX_BANDS: usize = 50;

impl ShippingMethod {
    /// The currency every price of the method is in.
    pub fn currency(&self) -> Currency {
        match &self.rate {
            ShippingRate::Flat { price } => price.currency,
            ShippingRate::ByWeight { bands } => bands.first().map_or(Currency::EUR, |b| b.price.currency),
        }
    }

    /// Checks a method a seller sets up, naming each bad field: a name; prices from zero to the
    /// price cap, all in one currency; 1 to [`MAX_BANDS`] weight bands whose upper bounds rise
    /// and whose prices never fall (a heavier parcel never costs less); at least one country.
    pub fn check(mut self) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if let Some(name) = errors.check("name", text::bounded(&self.name, 1, 100, false)) {
            self.name = name;
        }
        let currency = self.currency();
        let price_ok = |p: Money| match check_price(p) {
            Ok(_) if p.currency != currency => Err(format!("must be in {}", currency.code())),
            other => other.map(|_| ()),
        };
        match &self.rate {
            ShippingRate::Flat { price } => {
                errors.check("rate.price", price_ok(*price));
            }
            ShippingRate::ByWeight { bands } => {
                if bands.is_empty() || bands.len() > MAX_BANDS {
                    errors.add("rate.bands", format!("must have 1 to {MAX_BANDS} weight bands"));
                }
                let mut previous: Option<&WeightBand> = None;
                for (i, band) in bands.iter().enumerate() {
                    let price_valid = errors
                        .check(&format!("rate.bands[{i}].price"), price_ok(band.price))
                        .is_some();
                    if let Some(prev) = previous {
                        if band.up_to_grams <= prev.up_to_grams {
                            errors.add(
                                &format!("rate.bands[{i}].up_to_grams"),
                                "must be above the band before it",
                            );
                        }
                        if price_valid && band.price.minor < prev.price.minor {
                            errors.add(
                                &format!("rate.bands[{i}].price"),
                                "must not be below the band before it",
                            );
                        }
                    } else if band.up_to_grams == 0 {
                        errors.add(&format!("rate.bands[{i}].up_to_grams"), "must be more than 0 g");
                    }
                    previous = Some(band);
                }
            }
        }
        if let Some(free_from) = self.free_from {
            errors.check("free_from", price_ok(free_from));
        }
        if matches!(&self.destinations, Destinations::Only(list) if list.is_empty()) {
            errors.add("destinations", "must name at least one country");
        }
        errors.into_result().map(|()| self)
    }

    /// What shipping an order costs, in the shop's price mode: `weight_grams` of goods whose
    /// amount after any discount is `goods` (also in the shop's price mode), to `country`.
    /// Free when `goods` reaches [`ShippingMethod::free_from`].
    pub fn quote(&self, weight_grams: u64, goods: Money, country: Country) -> Result<Money, NotAvailable> {
        let currency = self.currency();
        if goods.currency != currency {
            return Err(NotAvailable::Currency(currency.code()));
        }
        if !self.destinations.includes(country) {
            return Err(NotAvailable::Country(country));
        }
        let price = match &self.rate {
            ShippingRate::Flat { price } => *price,
            ShippingRate::ByWeight { bands } => {
                bands
                    .iter()
                    .find(|b| weight_grams <= b.up_to_grams)
                    .ok_or(NotAvailable::TooHeavy {
                        max_grams: bands.last().map_or(0, |b| b.up_to_grams),
                    })?
                    .price
            }
        };
        match self.free_from {
            Some(threshold) if goods.minor >= threshold.minor => Ok(Money::zero(currency)),
            _ => Ok(price),
        }
    }
}

/// The cheapest of `methods` that can ship `weight_grams` of goods worth `goods` to `country`, with
/// its price: the earliest of equally cheap ones (a shop lists its preferred method first). `None`
/// when none of them can.
pub fn cheapest<'m>(
    methods: impl IntoIterator<Item = &'m ShippingMethod>,
    weight_grams: u64,
    goods: Money,
    country: Country,
) -> Option<(usize, Money)> {
    let mut best: Option<(usize, Money)> = None;
    for (i, m) in methods.into_iter().enumerate() {
        if let Ok(price) = m.quote(weight_grams, goods, country) {
            if best.is_none_or(|(_, b)| price.minor < b.minor) {
                best = Some((i, price));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    fn c(code: &str) -> Country {
        Country::parse(code).unwrap()
    }

    fn band(up_to_grams: u64, minor: i64) -> WeightBand {
        WeightBand {
            up_to_grams,
            price: eur(minor),
        }
    }

    /// Up to 1 kg 4.90, up to 5 kg 6.90, up to 31.5 kg 14.90; free from 50.00; DE and AT only.
    fn parcel() -> ShippingMethod {
        ShippingMethod {
            name: " Parcel ".into(),
            rate: ShippingRate::ByWeight {
                bands: vec![band(1_000, 490), band(5_000, 690), band(31_500, 1490)],
            },
            free_from: Some(eur(5000)),
            destinations: Destinations::Only([c("DE"), c("AT")].into()),
        }
        .check()
        .unwrap()
    }

    #[test]
    fn the_weight_picks_the_first_band_it_fits_in() {
        let m = parcel();
        assert_eq!(m.name, "Parcel");
        for (grams, expected) in [
            (0, 490),
            (1, 490),
            (1_000, 490),
            (1_001, 690),
            (5_000, 690),
            (31_500, 1490),
        ] {
            assert_eq!(m.quote(grams, eur(1000), c("DE")), Ok(eur(expected)), "{grams} g");
        }
        assert_eq!(
            m.quote(31_501, eur(1000), c("DE")),
            Err(NotAvailable::TooHeavy { max_grams: 31_500 })
        );
    }

    #[test]
    fn shipping_is_free_from_the_threshold_on() {
        let m = parcel();
        assert_eq!(m.quote(2_000, eur(4999), c("AT")), Ok(eur(690)));
        assert_eq!(m.quote(2_000, eur(5000), c("AT")), Ok(eur(0)));
        assert!(
            m.quote(40_000, eur(9999), c("AT")).is_err(),
            "free does not lift the weight limit"
        );
    }

    #[test]
    fn a_method_ships_only_to_its_countries_and_in_its_currency() {
        let m = parcel();
        assert_eq!(m.quote(10, eur(10), c("FR")), Err(NotAvailable::Country(c("FR"))));
        let usd = Money::new(10, Currency::parse("USD").unwrap());
        assert_eq!(m.quote(10, usd, c("DE")), Err(NotAvailable::Currency("EUR")));
        let flat = ShippingMethod {
            name: "Letter".into(),
            rate: ShippingRate::Flat { price: eur(180) },
            free_from: None,
            destinations: Destinations::Everywhere,
        }
        .check()
        .unwrap();
        assert_eq!(flat.quote(99_999_999, eur(1_000_000), c("JP")), Ok(eur(180)));
    }

    #[test]
    fn a_badly_set_up_method_names_every_bad_field() {
        let usd = Money::new(100, Currency::parse("USD").unwrap());
        let m = ShippingMethod {
            name: "  ".into(),
            rate: ShippingRate::ByWeight {
                bands: vec![
                    band(0, 490),
                    band(5_000, 300),
                    band(5_000, 900),
                    WeightBand {
                        up_to_grams: 9_000,
                        price: usd,
                    },
                    band(10_000, -1),
                ],
            },
            free_from: Some(eur(-5)),
            destinations: Destinations::Only(BTreeSet::new()),
        };
        let errors = m.check().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "rate.bands[0].up_to_grams",
                "rate.bands[1].price",
                "rate.bands[2].up_to_grams",
                "rate.bands[3].price",
                "rate.bands[4].price",
                "free_from",
                "destinations",
            ]
        );
        let empty = ShippingMethod {
            rate: ShippingRate::ByWeight { bands: vec![] },
            ..parcel()
        };
        assert_eq!(
            empty.check().unwrap_err().message_for("rate.bands"),
            Some("must have 1 to 50 weight bands")
        );
    }

    #[test]
    fn methods_travel_as_tagged_json() {
        let json = serde_json::to_value(parcel()).unwrap();
        assert_eq!(json["rate"]["kind"], "by_weight");
        assert_eq!(json["destinations"]["countries"], serde_json::json!(["AT", "DE"]));
        let back: ShippingMethod = serde_json::from_value(json).unwrap();
        assert_eq!(back, parcel());
    }

    #[test]
    fn the_cheapest_method_that_can_ship_is_the_default() {
        let express = ShippingMethod {
            name: "Express".into(),
            rate: ShippingRate::Flat { price: eur(1290) },
            free_from: None,
            destinations: Destinations::Everywhere,
        };
        let letter = ShippingMethod {
            name: "Letter".into(),
            rate: ShippingRate::ByWeight {
                bands: vec![band(500, 180)],
            },
            free_from: None,
            destinations: Destinations::Only([c("DE")].into()),
        };
        let methods = [express.clone(), parcel(), letter];
        // Light, to DE: the letter; at the free threshold the parcel costs nothing.
        assert_eq!(cheapest(&methods, 500, eur(1000), c("DE")), Some((2, eur(180))));
        assert_eq!(cheapest(&methods, 500, eur(5000), c("DE")), Some((1, eur(0))));
        // Too heavy for the letter: the parcel's band; to FR only express goes.
        assert_eq!(cheapest(&methods, 501, eur(1000), c("DE")), Some((1, eur(490))));
        assert_eq!(cheapest(&methods, 501, eur(1000), c("FR")), Some((0, eur(1290))));
        // Ties go to the method listed first.
        assert_eq!(cheapest([&express, &express], 1, eur(1), c("FR")), Some((0, eur(1290))));
        assert_eq!(cheapest(&methods[1..], 40_000, eur(1), c("FR")), None);
    }
}
