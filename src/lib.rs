//! factorscore: exact ledger metrics and scorecards per person and period for factoring companies.
//!
//! The flow of a run: [`config`] reads and checks a pipeline into a [`config::Plan`];
//! [`sources`] reads the files into Polars and checks them into a typed [`model::Ledger`];
//! [`ledger`] applies each invoice's events; [`metrics`] computes every metric for every
//! employee and period in one pass; [`scorecards`] and [`output`] write the Parquet tables.

pub mod buckets;
pub mod cards;
pub mod catalogue;
pub mod checkpoint;
pub mod cli;
pub mod compare;
pub mod config;
pub mod diag;
pub mod error;
pub mod explain;
pub mod frame;
pub mod generate;
pub mod kpi_scores;
pub mod ledger;
pub mod manifest;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod money;
pub mod numbers;
pub mod output;
pub mod outputs;
pub mod partials;
pub mod periods;
pub mod problems;
pub mod raw;
pub mod reconcile;
pub mod rejects;
pub mod report;
pub mod rollups;
pub mod run;
pub mod runlog;
pub mod scorecards;
pub mod scoring;
pub mod sources;
pub mod stats;
pub mod storage;
pub mod suggest;
pub mod tables;
pub mod timings;

pub use error::Error;
