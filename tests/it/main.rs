//! The integration tests: one binary, a module per concern.

mod approval;
mod browser;
mod catalogue;
mod cli;
mod common;
mod crash;
mod custom_metrics;
mod differential;
mod docs;
mod duckdb;
mod edge_cases;
mod first_use;
mod fuzz;
mod messages;
mod object_store;
mod pool;
mod property;
mod quarantine;
mod readers;
mod reconcile;
mod report;
mod rule_catalogue;
mod schedule;
mod score_messages;
mod scoring;
mod worked_example;
