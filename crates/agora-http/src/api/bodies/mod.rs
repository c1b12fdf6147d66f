//! The JSON the API answers with, and its OpenAPI schemas. The use cases return plain domain
//! types; each body here is built from one of them, field for field, so that the wire format is
//! decided in one place.

pub(crate) mod accounts;
pub(crate) mod categories;
pub(crate) mod companies;
pub(crate) mod conversations;
pub(crate) mod deals;
pub(crate) mod money;
pub(crate) mod offers;
pub(crate) mod payments;
pub(crate) mod payouts;
pub(crate) mod products;
pub(crate) mod search;
pub(crate) mod shops;

/// Converts each item of a list into its body.
pub(crate) fn each<A, B: From<A>>(items: Vec<A>) -> Vec<B> {
    items.into_iter().map(B::from).collect()
}
