//! The OpenAPI schemas of money and volume prices. [`Money`] is a domain type without OpenAPI
//! knowledge; its JSON is `{"amount": <integer minor units>, "currency": "EUR"}`, and fields that
//! carry it name these schemas with `#[schema(value_type = MoneySchema)]`.
//!
//! [`Money`]: agora_core::money::Money

use std::borrow::Cow;

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, RefBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// The schema of [`agora_core::money::Money`], named `Money` in the document.
pub(crate) struct MoneySchema;

impl PartialSchema for MoneySchema {
    fn schema() -> RefOr<Schema> {
        let amount = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .description(Some(
                "Integer minor units of the currency (cents for EUR); never a fraction.",
            ))
            .examples([1250]);
        let currency = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(3))
            .max_length(Some(3))
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("ISO 4217 currency code."))
            .examples(["EUR"]);
        ObjectBuilder::new()
            .description(Some("An amount of money: integer minor units of an ISO 4217 currency."))
            .property("amount", amount)
            .required("amount")
            .property("currency", currency)
            .required("currency")
            .into()
    }
}

impl ToSchema for MoneySchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Money")
    }
}

/// The schema of [`agora_core::pricing::PriceTier`], named `PriceTier` in the document.
pub(crate) struct PriceTierSchema;

impl PartialSchema for PriceTierSchema {
    fn schema() -> RefOr<Schema> {
        let min_qty = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(1))
            .description(Some("The quantity from which this price applies."));
        ObjectBuilder::new()
            .description(Some(
                "A volume price: from `min_qty` units on, each costs `unit_price`.",
            ))
            .property("min_qty", min_qty)
            .required("min_qty")
            .property(
                "unit_price",
                RefBuilder::new()
                    .ref_location_from_schema_name(MoneySchema::name())
                    .description(Some("The price of each unit from `min_qty` on.")),
            )
            .required("unit_price")
            .into()
    }
}

impl ToSchema for PriceTierSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PriceTier")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((MoneySchema::name().into(), MoneySchema::schema()));
        MoneySchema::schemas(schemas);
    }
}
