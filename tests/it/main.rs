//! The integration tests: one binary, a module per concern.

mod cli;
mod common;
mod differential;
mod duckdb;
mod edge_cases;
mod messages;
mod property;
mod worked_example;
