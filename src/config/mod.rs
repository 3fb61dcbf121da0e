//! Configuration: raw serde structs (`raw`) compile into an immutable [`Snapshot`] (`compile`);
//! the embedded quickstart lives in `quickstart`.

pub mod compile;
pub mod error;
pub mod quickstart;
pub mod raw;
pub mod spans;

#[cfg(test)]
mod position_tests;

pub use crate::diag::{Diag, Diags};
pub use compile::{load_snapshot, Adapter, LoadedConfig, Snapshot, Tool, Upstream};
