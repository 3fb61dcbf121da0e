//! The pipeline stages, one file each, called in order by `pipeline::run`.

pub mod args;
pub mod audit;
pub mod classify;
pub mod forward;
pub mod identify;
pub mod limits;
pub mod policy;
pub mod redact;
pub mod response;
pub mod schema;
