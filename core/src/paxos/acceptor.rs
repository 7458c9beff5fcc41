use std::fmt::Debug;

use super::{Ballot, Envelope, Message, Mutation, NodeId, Output, PaxosError};

/// Everything an acceptor must keep across crashes, and nothing more.
///
/// Invariant (without a [`Mutation`]): `accepted.ballot <= promised`, and both only grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptorState<V> {
    /// The highest ballot promised (`None`: nothing promised yet).
    pub promised: Option<Ballot>,
    /// The last accepted ballot and its value (`None`: nothing accepted yet).
    pub accepted: Option<(Ballot, V)>,
}

impl<V> AcceptorState<V> {
    /// The state of a fresh acceptor.
    pub const fn new() -> AcceptorState<V> {
        AcceptorState {
            promised: None,
            accepted: None,
        }
    }

    /// The highest ballot this state mentions (promised or accepted).
    pub fn max_ballot(&self) -> Option<Ballot> {
        let acc = self.accepted.as_ref().map(|(b, _)| *b);
        self.promised.max(acc)
    }
}

impl<V> Default for AcceptorState<V> {
    fn default() -> AcceptorState<V> {
        AcceptorState::new()
    }
}

/// The acceptor role.
///
/// Rules:
/// - `Prepare(b)`: if `b >= promised`, promise `b` and reply `Promise(b, accepted)`; otherwise
///   reply `Nack(b, promised)`. A repeated `Prepare` of the promised ballot is answered again
///   without a new write.
/// - `Accept(b, v)`: if `b >= promised`, accept `(b, v)` (which also promises `b`) and reply
///   `Accepted(b, v)` to the sender; otherwise reply `Nack(b, promised)`.
///
/// Replies go to the sender only. Every state change comes back as
/// [`Output::persist`], which must be durable before the reply is sent (see [`Output`]):
/// that is what keeps a restarted acceptor from contradicting a promise it made before the
/// crash.
#[derive(Debug, Clone)]
pub struct Acceptor<V> {
    id: NodeId,
    state: AcceptorState<V>,
    mutation: Mutation,
}

impl<V: Clone + Eq + Debug> Acceptor<V> {
    /// A fresh acceptor on node `id`.
    pub fn new(id: NodeId) -> Acceptor<V> {
        Acceptor::restore(id, AcceptorState::new())
    }

    /// An acceptor on node `id` restarted from the last state it persisted.
    pub fn restore(id: NodeId, state: AcceptorState<V>) -> Acceptor<V> {
        Acceptor {
            id,
            state,
            mutation: Mutation::None,
        }
    }

    /// The same acceptor with a [`Mutation`] switched on (tests only; only
    /// [`Mutation::AcceptorIgnoresPromise`] affects acceptors).
    pub fn with_mutation(mut self, mutation: Mutation) -> Acceptor<V> {
        self.mutation = mutation;
        self
    }

    /// The node this acceptor runs on.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// Current state (equal to the last one handed out for persisting).
    pub fn state(&self) -> &AcceptorState<V> {
        &self.state
    }

    /// The highest ballot promised.
    pub fn promised(&self) -> Option<Ballot> {
        self.state.promised
    }

    /// The last accepted ballot and value.
    pub fn accepted(&self) -> Option<&(Ballot, V)> {
        self.state.accepted.as_ref()
    }

    /// Handle one message addressed to this acceptor. Messages for other roles (`Promise`,
    /// `Accepted`, `Nack`) are ignored.
    pub fn handle(&mut self, env: &Envelope<V>) -> Result<Output<V>, PaxosError> {
        if env.to != self.id {
            return Err(PaxosError::Misaddressed {
                node: self.id,
                to: env.to,
            });
        }
        let mut out = Output::new();
        self.receive(env.from, &env.msg, &mut out);
        Ok(out)
    }

    pub(crate) fn receive(&mut self, from: NodeId, msg: &Message<V>, out: &mut Output<V>) {
        let reply = match msg {
            Message::Prepare { ballot } => self.on_prepare(*ballot, out),
            Message::Accept { ballot, value } => self.on_accept(*ballot, value, out),
            _ => return,
        };
        out.send.push(Envelope::new(self.id, from, reply));
    }

    fn on_prepare(&mut self, ballot: Ballot, out: &mut Output<V>) -> Message<V> {
        match self.state.promised {
            Some(p) if ballot < p => Message::Nack {
                ballot,
                promised: p,
            },
            Some(p) if ballot == p => Message::Promise {
                ballot,
                accepted: self.state.accepted.clone(),
            },
            _ => {
                self.state.promised = Some(ballot);
                out.persist = Some(self.state.clone());
                Message::Promise {
                    ballot,
                    accepted: self.state.accepted.clone(),
                }
            }
        }
    }

    fn on_accept(&mut self, ballot: Ballot, value: &V, out: &mut Output<V>) -> Message<V> {
        let below = self.state.promised.is_some_and(|p| ballot < p);
        if below && self.mutation != Mutation::AcceptorIgnoresPromise {
            return Message::Nack {
                ballot,
                promised: self.state.promised.unwrap_or_default(),
            };
        }
        let promised = self.state.promised.max(Some(ballot));
        let same = self.state.promised == promised
            && matches!(&self.state.accepted, Some((b, v)) if *b == ballot && v == value);
        if !same {
            self.state.promised = promised;
            self.state.accepted = Some((ballot, value.clone()));
            out.persist = Some(self.state.clone());
        }
        Message::Accepted {
            ballot,
            value: value.clone(),
        }
    }
}
