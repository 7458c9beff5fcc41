use super::{AcceptorState, Envelope};

/// A timer request: "call `timeout(token)` after `d` ticks", with `d` chosen by the caller in
/// `[min_ticks, max_ticks]` (uniformly at random in the simulator).
///
/// Only the most recently requested token is live; a proposer ignores a timeout whose token is
/// stale, so callers may let old timers fire instead of cancelling them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeout {
    /// Pass this back to `timeout`.
    pub token: u64,
    /// Shortest delay.
    pub min_ticks: u64,
    /// Longest delay (`>= min_ticks`).
    pub max_ticks: u64,
}

/// What a role or [`Node`](super::Node) wants done after one input.
///
/// # Contract
/// 1. If `persist` is `Some`, write it to durable storage **before** sending any message in
///    `send`. (It is the acceptor's whole state after the input; writing the latest one is
///    enough, since acceptor state only grows.) A node that crashes must restart from the last
///    state it persisted, with [`Node::restore`](super::Node::restore) or
///    [`Acceptor::restore`](super::Acceptor::restore); nothing else needs to survive.
/// 2. Then send every envelope in `send`, in any order; messages may be lost, duplicated or
///    reordered.
/// 3. If `timeout` is `Some`, arm that timer (replacing any earlier one).
/// 4. `learned` is the decided value, reported once, when this node first learns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output<V> {
    /// Acceptor state to make durable before any message in `send` leaves the node.
    pub persist: Option<AcceptorState<V>>,
    /// Messages to send to other nodes.
    pub send: Vec<Envelope<V>>,
    /// A timer to arm.
    pub timeout: Option<Timeout>,
    /// The value this node just learned was chosen.
    pub learned: Option<V>,
}

impl<V> Output<V> {
    /// Nothing to do.
    pub fn new() -> Output<V> {
        Output {
            persist: None,
            send: Vec::new(),
            timeout: None,
            learned: None,
        }
    }

    /// True when there is nothing to persist, send, arm or report.
    pub fn is_empty(&self) -> bool {
        self.persist.is_none()
            && self.send.is_empty()
            && self.timeout.is_none()
            && self.learned.is_none()
    }

    /// Empty it, keeping the `send` buffer's capacity for reuse.
    pub fn clear(&mut self) {
        self.persist = None;
        self.send.clear();
        self.timeout = None;
        self.learned = None;
    }
}

impl<V> Default for Output<V> {
    fn default() -> Output<V> {
        Output::new()
    }
}
