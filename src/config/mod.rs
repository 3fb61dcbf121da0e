//! Configuration: raw serde structs (`raw`) compile into an immutable [`Snapshot`] (`compile`,
//! one module per section); config owns every compiled spec (identity, limits, adapters,
//! upstream clients) and does the config-time I/O. The embedded quickstart lives in
//! `quickstart`.

pub mod adapters;
pub mod admin;
pub mod approvals;
pub mod audit;
pub mod compile;
pub mod egress;
pub mod error;
pub mod grpc;
pub mod identity;
pub mod limits;
pub mod listener;
pub mod pool;
pub mod quickstart;
pub mod raw;
pub mod reflection;
pub mod spans;
pub mod state;
pub mod upstream;
pub mod watch;

#[cfg(test)]
mod position_tests;

pub use crate::diag::{Diag, Diags};
pub use compile::{load_snapshot, Adapter, LoadedConfig, Snapshot, Tool, Upstream};
