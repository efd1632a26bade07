//! Routes for municipal staff, with an `admin` API key.

pub mod audit;
pub mod catalog;
pub mod ideas;
pub mod keys;
pub mod stats;
