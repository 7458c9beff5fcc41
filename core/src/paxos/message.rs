use super::{Ballot, NodeId};

/// A Paxos message. Acceptors receive [`Prepare`](Message::Prepare) and
/// [`Accept`](Message::Accept); proposers receive [`Promise`](Message::Promise),
/// [`Nack`](Message::Nack) and [`Accepted`](Message::Accepted); learners receive
/// [`Accepted`](Message::Accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<V> {
    /// Phase 1a: "promise to ignore ballots below `ballot`".
    Prepare {
        /// The proposer's new ballot.
        ballot: Ballot,
    },
    /// Phase 1b: the acceptor promised `ballot` and reports what it accepted so far.
    Promise {
        /// The ballot promised (the one from the `Prepare`).
        ballot: Ballot,
        /// The highest-ballot value this acceptor has accepted, if any.
        accepted: Option<(Ballot, V)>,
    },
    /// Phase 2a: "accept `value` in `ballot`".
    Accept {
        /// The proposer's ballot.
        ballot: Ballot,
        /// The value: adopted from the highest accepted ballot among the promises, else the
        /// proposer's own.
        value: V,
    },
    /// Phase 2b: the acceptor accepted `value` in `ballot`. Sent to the proposer of `ballot`
    /// only; the learner on that node counts them.
    Accepted {
        /// The ballot accepted.
        ballot: Ballot,
        /// The value accepted (so the learner knows what was chosen).
        value: V,
    },
    /// Refusal of a `Prepare` or `Accept` for `ballot`, because the acceptor has already promised
    /// the higher ballot `promised`.
    Nack {
        /// The ballot refused.
        ballot: Ballot,
        /// The ballot the acceptor has promised (`promised > ballot`).
        promised: Ballot,
    },
}

impl<V> Message<V> {
    /// The ballot this message is about.
    pub fn ballot(&self) -> Ballot {
        match self {
            Message::Prepare { ballot }
            | Message::Promise { ballot, .. }
            | Message::Accept { ballot, .. }
            | Message::Accepted { ballot, .. }
            | Message::Nack { ballot, .. } => *ballot,
        }
    }

    /// The message's name: `"Prepare"`, `"Promise"`, `"Accept"`, `"Accepted"` or `"Nack"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Prepare { .. } => "Prepare",
            Message::Promise { .. } => "Promise",
            Message::Accept { .. } => "Accept",
            Message::Accepted { .. } => "Accepted",
            Message::Nack { .. } => "Nack",
        }
    }
}

/// A message with its sender and receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<V> {
    /// The sending node.
    pub from: NodeId,
    /// The receiving node.
    pub to: NodeId,
    /// The message.
    pub msg: Message<V>,
}

impl<V> Envelope<V> {
    /// An envelope from `from` to `to`.
    pub fn new(from: NodeId, to: NodeId, msg: Message<V>) -> Envelope<V> {
        Envelope { from, to, msg }
    }
}
