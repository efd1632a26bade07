//! Background jobs that run inside every service process.

pub mod retention;
