//! A deterministic, fault-injecting cluster simulator that drives the [`paxos`](crate::paxos)
//! roles.
//!
//! - [`Sim`]: n [`Node`](crate::paxos::Node)s over a simulated network with loss, duplication,
//!   delay/reordering, partitions and crash/restart; API to propose, contend, run until decided
//!   or quiet, and inspect nodes, [`Stats`] and the trace.
//! - [`Checker`]: safety invariants checked on every step of every run; a broken one is a
//!   [`Violation`] value carrying the seed.
//! - [`Scenario`]: a random fault mix derived from a seed, for randomised testing and benches.
//! - [`SimRng`]: the one PRNG (xoshiro256** seeded by SplitMix64).
//!
//! # Determinism
//! A run is a function of its [`SimConfig`] (seed included) and the calls made: all randomness
//! comes from one [`SimRng`], the event queue breaks time ties by insertion order, and no hash
//! map iteration order or clock is ever consulted. Replaying a seed reproduces the trace byte
//! for byte.
//!
//! # Invariants checked
//! At most one value chosen (chosen = a quorum accepted it in one ballot); the chosen value was
//! proposed; every learner learns the chosen value; no acceptor accepts below its promise;
//! persisted acceptor state never goes backwards; no ballot carries two values.

mod checker;
mod cluster;
mod config;
mod error;
mod queue;
mod rng;
mod scenario;
pub mod trace;

pub use checker::{Checker, Violation, ViolationKind};
pub use cluster::{Fault, NodeStatus, Sim, Stats};
pub use config::{Network, SimConfig};
pub use error::SimError;
pub use rng::{SimRng, splitmix64};
pub use scenario::{RunReport, Scenario};
pub use trace::{DropReason, TraceEvent, TraceKind};
