//! Integration tests: one binary, real sockets on 127.0.0.1.
mod cases;
mod common;
