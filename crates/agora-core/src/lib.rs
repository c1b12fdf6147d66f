//! Agora's pure domain: the rules of the marketplace with no IO.
//!
//! Everything here is deterministic and testable without a database or a network: parsing of input
//! into types that carry their invariants, money arithmetic, state machines and the audit chain.

pub mod account;
pub mod audit;
pub mod catalog;
pub mod category;
pub mod common_passwords;
pub mod events;
pub mod invitation;
pub mod jobs;
pub mod money;
pub mod pricing;
pub mod shop;
pub mod text;
pub mod validation;

pub use validation::{FieldError, ValidationErrors};
