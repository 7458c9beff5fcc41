//! Single-decree Paxos as sans-IO state machines.
//!
//! Each role is a deterministic state machine: an input (a message, a client request or a timer
//! firing) goes in, an [`Output`] comes out — acceptor state to persist, messages to send, a
//! timer to arm, a value learned. No role reads a clock, a socket, a disk or a random number
//! generator; the caller (the [`sim`](crate::sim) simulator, the C ABI, the Python binding or a
//! real server) does all of that, which is what lets them all drive the same code.
//!
//! - [`Acceptor`]: promises and accepts; its [`AcceptorState`] is all that must survive a crash.
//! - [`Proposer`]: runs ballots (prepare → adopt → accept) and retries with a higher ballot after
//!   a `Nack` (randomised backoff) or a timeout.
//! - [`Learner`]: learns a value once a quorum accepted it in one ballot.
//! - [`Node`]: the three on one node id; self-addressed messages stay local.
//! - [`wire`]: a versioned binary encoding of messages and acceptor state.
//!
//! # Invariants kept
//! - Safety: at most one value is chosen (accepted by a quorum in one ballot), and it is a value
//!   some proposer proposed. It holds under message loss, duplication, reordering and crashes,
//!   provided the persistence contract on [`Output`] is honoured.
//! - An acceptor never accepts a ballot below its promise and its persisted state never goes
//!   backwards (unless a test [`Mutation`] is switched on).
//!
//! # Persistence contract
//! `Output::persist`, when present, must be durable before any message of the same `Output` is
//! sent. A restarted node is rebuilt from the last persisted state alone
//! ([`Node::restore`]).

mod acceptor;
mod ballot;
mod config;
mod error;
mod learner;
mod message;
mod node;
mod output;
mod proposer;
mod small;
pub mod wire;

pub use acceptor::{Acceptor, AcceptorState};
pub use ballot::{Ballot, NodeId};
pub(crate) use config::Votes;
pub use config::{Config, Mutation, Timing};
pub use error::{PaxosError, WireError};
pub use learner::Learner;
pub use message::{Envelope, Message};
pub use node::{Input, Node};
pub use output::{Output, Timeout};
pub use proposer::{Proposer, ProposerPhase};
pub(crate) use small::OneOrMore;
