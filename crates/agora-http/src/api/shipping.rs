//! Shipping: a shop's shipping methods (its staff set them, anyone reads them), what each costs
//! for the buyer's cart, and the weight of a variant's unit that shipping by weight counts.

use agora_app::shipping_methods::{self, MethodInput, MethodView, ShopShipping};
use agora_app::{variants, AppError};
use agora_core::country::Country;
use agora_core::money::Money;
use agora_core::shipping::{Destinations, ShippingRate, WeightBand};
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::bodies::money::MoneySchema;
use super::bodies::products::VariantView;
use crate::extract::{ApiJson, Auth, Query};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// Parcels up to `up_to_grams` (inclusive) cost `price`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WeightBandBody {
    up_to_grams: u64,
    #[schema(value_type = MoneySchema)]
    price: Money,
}

/// How a method prices a parcel: `{"kind": "flat", "price": …}` or
/// `{"kind": "by_weight", "bands": [{"up_to_grams": 1000, "price": …}, …]}` (bands rising; a
/// parcel heavier than the last band cannot go by this method).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RateBody {
    Flat {
        #[schema(value_type = MoneySchema)]
        price: Money,
    },
    ByWeight {
        bands: Vec<WeightBandBody>,
    },
}

/// A shipping method. Prices are written like the shop's product prices (tax-inclusive when the
/// shop's prices are).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShippingMethodBody {
    /// Leave out for a new method; give it to keep a method's id when replacing the list.
    id: Option<String>,
    /// What the buyer picks: "Standard", "Express".
    name: String,
    rate: RateBody,
    /// Orders whose goods (after any coupon) reach this amount ship for free.
    #[schema(value_type = Option<MoneySchema>)]
    free_from: Option<Money>,
    /// ISO 3166-1 alpha-2 codes of the countries it delivers to; `null` or left out for everywhere.
    countries: Option<Vec<String>>,
}

impl From<MethodView> for ShippingMethodBody {
    fn from(m: MethodView) -> Self {
        let rate = match m.method.rate {
            ShippingRate::Flat { price } => RateBody::Flat { price },
            ShippingRate::ByWeight { bands } => RateBody::ByWeight {
                bands: bands
                    .into_iter()
                    .map(|b| WeightBandBody {
                        up_to_grams: b.up_to_grams,
                        price: b.price,
                    })
                    .collect(),
            },
        };
        ShippingMethodBody {
            id: Some(m.id),
            name: m.method.name,
            rate,
            free_from: m.method.free_from,
            countries: match m.method.destinations {
                Destinations::Everywhere => None,
                Destinations::Only(list) => Some(list.iter().map(|c| c.code().to_owned()).collect()),
            },
        }
    }
}

impl From<ShippingMethodBody> for MethodInput {
    fn from(b: ShippingMethodBody) -> Self {
        let rate = match b.rate {
            RateBody::Flat { price } => ShippingRate::Flat { price },
            RateBody::ByWeight { bands } => ShippingRate::ByWeight {
                bands: bands
                    .into_iter()
                    .map(|b| WeightBand {
                        up_to_grams: b.up_to_grams,
                        price: b.price,
                    })
                    .collect(),
            },
        };
        MethodInput {
            id: b.id,
            name: b.name,
            rate,
            free_from: b.free_from,
            countries: b.countries,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShippingMethodList {
    /// In the order the shop lists them.
    items: Vec<ShippingMethodBody>,
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShippingMethodsBody {
    /// The shop's methods, in the order buyers see them (at most 20; empty: ship by the shop's
    /// shipping rates). Bad fields are named `methods[i].…`.
    methods: Vec<ShippingMethodBody>,
}

fn list_of(methods: Vec<MethodView>) -> Json<ShippingMethodList> {
    Json(ShippingMethodList {
        items: methods.into_iter().map(Into::into).collect(),
        next_cursor: None,
    })
}

/// A shop's shipping methods (anyone).
#[utoipa::path(get, path = "/shops/{id}/shipping-methods", tag = "shops", params(("id" = String, Path)),
    responses((status = 200, body = ShippingMethodList), (status = 404, body = Problem)))]
pub async fn shipping_methods(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ShippingMethodList>> {
    Ok(list_of(shipping_methods::list(&state.app, &id).await?))
}

/// Replace a shop's shipping methods (the shop's owner and managers).
#[utoipa::path(put, path = "/shops/{id}/shipping-methods", tag = "shops", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ShippingMethodsBody,
    responses((status = 200, body = ShippingMethodList), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_shipping_methods(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ShippingMethodsBody>,
) -> ApiResult<Json<ShippingMethodList>> {
    let inputs = body.methods.into_iter().map(Into::into).collect();
    Ok(list_of(
        shipping_methods::replace(&state.app, &actor, &id, inputs).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OptionsParams {
    /// The destination, like `DE`.
    country: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShippingOptionBody {
    /// The method's id for `shipping_method` in `POST /checkout`; `null` for a shop's plain
    /// shipping rate (nothing to choose).
    id: Option<String>,
    name: String,
    /// Before any coupon (which may bring the goods below a free-shipping amount).
    #[schema(value_type = MoneySchema)]
    price: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShopShippingBody {
    shop_id: String,
    shop_name: String,
    /// Cheapest first; empty when the shop cannot ship this cart there.
    options: Vec<ShippingOptionBody>,
    /// The method checkout uses when you choose none.
    default_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShippingOptionsReply {
    /// One per shop in your cart.
    shops: Vec<ShopShippingBody>,
}

impl From<ShopShipping> for ShopShippingBody {
    fn from(s: ShopShipping) -> Self {
        ShopShippingBody {
            shop_id: s.shop_id,
            shop_name: s.shop_name,
            options: s
                .options
                .into_iter()
                .map(|o| ShippingOptionBody {
                    id: o.id,
                    name: o.name,
                    price: o.price,
                })
                .collect(),
            default_id: s.default_id,
        }
    }
}

/// How each shop in your cart can ship it to a country, with prices.
#[utoipa::path(get, path = "/checkout/shipping-options", tag = "orders", security(("bearer" = [])), params(OptionsParams),
    responses((status = 200, body = ShippingOptionsReply), (status = 422, body = Problem)))]
pub async fn shipping_options(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<OptionsParams>,
) -> ApiResult<Json<ShippingOptionsReply>> {
    let country = Country::parse(&q.country).map_err(|m| AppError::invalid("country", m))?;
    let shops = shipping_methods::options_for_cart(&state.app, &actor, country).await?;
    Ok(Json(ShippingOptionsReply {
        shops: shops.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct WeightBody {
    /// The weight of one unit in grams (0 to 1 000 000), counted by shipping methods priced by weight.
    weight_grams: i64,
}

/// Set the weight of one unit of a variant (its shop's staff).
#[utoipa::path(put, path = "/variants/{id}/weight", tag = "catalog", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = WeightBody,
    responses((status = 200, body = VariantView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_weight(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WeightBody>,
) -> ApiResult<Json<VariantView>> {
    Ok(Json(
        variants::set_weight(&state.app, &actor, &id, body.weight_grams)
            .await?
            .into(),
    ))
}
