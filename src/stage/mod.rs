//! The pipeline stages, one file each: the order they run in is written once, in `pipeline`.

pub mod approval;
pub mod args;
pub mod audit;
pub mod classify;
pub mod forward;
pub mod idempotency;
pub mod identify;
pub mod limits;
pub mod policy;
pub mod record;
pub mod redact;
pub mod response;
pub mod schema;
