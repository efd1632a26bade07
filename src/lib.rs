//! sammen: a co-creation idea-matching API for Aalborg Kommune.

pub mod domain;
