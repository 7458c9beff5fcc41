//! ringpax-core: the logic of ringpax, in pure Rust.
//!
//! - [`ring`]: consistent-hash placement (the ringpax ring spec), key tracking and migration plans.
//! - [`paxos`]: single-decree Paxos roles as sans-IO state machines.
//! - [`sim`]: a deterministic, fault-injecting cluster simulator that drives the Paxos roles.
//!
//! No `unsafe` outside `ring::blake3_lanes` (SIMD intrinsics behind a CPU-feature check).
//! Nothing here does FFI, talks to Python, reads a clock or touches a socket; the `ffi` and
//! `python` crates translate types, errors and ownership around this crate.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod paxos;
pub mod ring;
pub mod sim;
