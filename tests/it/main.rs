//! The integration tests: one binary, a module per concern.

mod common;
mod worked_example;
