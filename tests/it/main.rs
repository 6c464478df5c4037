//! The integration tests: one binary, a module per concern.

mod common;
mod edge_cases;
mod worked_example;
