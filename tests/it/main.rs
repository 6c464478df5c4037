//! The integration tests: one binary, a module per concern.

mod cli;
mod common;
mod crash;
mod differential;
mod docs;
mod duckdb;
mod edge_cases;
mod messages;
mod property;
mod readers;
mod score_messages;
mod scoring;
mod worked_example;
