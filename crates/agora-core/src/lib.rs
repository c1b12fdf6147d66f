//! Agora's pure domain: the rules of the marketplace with no IO.
//!
//! Everything here is deterministic and testable without a database or a network: parsing of input
//! into types that carry their invariants, money arithmetic, state machines and the audit chain.

pub mod account;
pub mod address;
pub mod allocation;
pub mod audit;
pub mod buyer;
pub mod cart;
pub mod catalog;
pub mod category;
pub mod checkout;
pub mod common_passwords;
pub mod conversation;
pub mod country;
pub mod coupon;
pub mod events;
pub mod gateway;
pub mod invitation;
pub mod jobs;
pub mod ledger;
pub mod money;
pub mod negotiation;
pub mod negotiation_event;
pub mod order;
pub mod payment;
pub mod payout;
pub mod pricing;
pub mod product;
pub mod product_import;
pub mod rate;
pub mod rfq;
pub mod session;
pub mod shipping;
pub mod shop;
pub mod shop_rating;
pub mod tax;
pub mod text;
pub mod validation;
pub mod variant;

pub use validation::{FieldError, ValidationErrors};
