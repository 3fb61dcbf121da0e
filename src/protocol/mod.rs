//! How a request becomes (adapter, tool, args): one module per protocol.

pub mod grpc;
pub mod grpc_reflection;
pub mod grpc_schema;
pub mod http;
pub mod mcp;
pub mod sse;
