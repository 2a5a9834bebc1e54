//! Black-box tests of the HTTP API: a real nats-server, the app on 127.0.0.1:0, an HTTP client.
#![allow(clippy::unwrap_used)]

mod bad_inputs;
mod commands;
mod events;
mod helpers;
mod ops;
mod queries;
