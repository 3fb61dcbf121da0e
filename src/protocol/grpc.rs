//! gRPC on the wire, for the gRPC front end: the codec lives in `crate::proto` (below
//! `config`, which reads a reflection service's answers with it).

pub use crate::proto::wire::*;
pub use crate::proto::{from_json, to_json, Descriptors};
