use std::collections::VecDeque;
use std::fmt::Debug;

use super::{
    Acceptor, AcceptorState, Config, Envelope, Learner, Message, NodeId, Output, PaxosError,
    Proposer, Timing,
};

/// One input to a [`Node`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<V> {
    /// A client asks this node to get a value chosen.
    Propose(V),
    /// A message arrived from the network.
    Message(Envelope<V>),
    /// A timer requested through [`Output::timeout`] fired.
    Timeout(u64),
}

/// Acceptor, proposer and learner of one node, wired together.
///
/// Messages the node sends to itself (its proposer's `Prepare`/`Accept` to its own acceptor and
/// the replies) are handled inside the same [`step`](Node::step) and never appear in
/// [`Output::send`], so a fault-free decision by one proposer costs exactly `4 (n - 1)` network
/// messages: `Prepare`, `Promise`, `Accept` and `Accepted` to or from each other node. Only the
/// proposing node's learner learns (see [`Learner`]).
///
/// The persistence contract is the one on [`Output`]: `persist` (the acceptor state after the
/// step) must be durable before anything in `send` leaves. Because the local `Prepare` is
/// handled before the step returns, that persisted state also bounds every ballot the proposer
/// has sent, which is what [`restore`](Node::restore) relies on to never reuse a ballot.
#[derive(Debug, Clone)]
pub struct Node<V> {
    id: NodeId,
    acceptor: Acceptor<V>,
    proposer: Proposer<V>,
    learner: Learner<V>,
    /// Messages to itself not handled yet, in order: the oldest one inline (usually the only
    /// one, so no allocation), the rest after it.
    local_next: Option<Envelope<V>>,
    local: VecDeque<Envelope<V>>,
}

impl<V: Clone + Eq + Debug> Node<V> {
    /// A fresh node `id`, which must be a member of `config`.
    pub fn new(id: NodeId, config: Config) -> Result<Node<V>, PaxosError> {
        Node::restore(id, config, AcceptorState::new())
    }

    /// Node `id` restarted after a crash from the last acceptor state it persisted. Everything
    /// else (proposer, learner) starts fresh; the proposer's next round is above any ballot in
    /// `state`.
    pub fn restore(
        id: NodeId,
        config: Config,
        state: AcceptorState<V>,
    ) -> Result<Node<V>, PaxosError> {
        config.require(id)?;
        Ok(Node::restore_member(id, config, state))
    }

    /// [`restore`](Node::restore) for an `id` known to be a member of `config`; infallible, so
    /// a caller can build the node straight into its place.
    #[inline]
    pub(crate) fn restore_member(id: NodeId, config: Config, state: AcceptorState<V>) -> Node<V> {
        let mut proposer = Proposer::new_member(id, config.clone());
        if let Some(b) = state.max_ballot() {
            proposer.observe(b);
        }
        let mutation = config.mutation();
        Node {
            id,
            acceptor: Acceptor::restore(id, state).with_mutation(mutation),
            proposer,
            learner: Learner::new(config),
            local_next: None,
            local: VecDeque::new(),
        }
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The cluster configuration.
    pub fn config(&self) -> &Config {
        self.proposer.config()
    }

    /// The acceptor role.
    pub fn acceptor(&self) -> &Acceptor<V> {
        &self.acceptor
    }

    /// The proposer role.
    pub fn proposer(&self) -> &Proposer<V> {
        &self.proposer
    }

    /// The learner role.
    pub fn learner(&self) -> &Learner<V> {
        &self.learner
    }

    /// The chosen value, if this node has learned it.
    pub fn learned(&self) -> Option<&V> {
        self.learner.learned()
    }

    /// True while this node's proposer has a ballot in flight or a retry pending.
    pub fn is_active(&self) -> bool {
        self.proposer.is_active()
    }

    /// Replace the proposer's timing.
    pub fn set_timing(&mut self, timing: Timing) -> Result<(), PaxosError> {
        self.proposer.set_timing(timing)
    }

    /// Ask this node to get `value` chosen (see [`Proposer::propose`]).
    pub fn propose(&mut self, value: V) -> Output<V> {
        let mut out = Output::new();
        self.propose_into(value, &mut out);
        out
    }

    /// Handle a message from the network.
    pub fn handle(&mut self, env: Envelope<V>) -> Result<Output<V>, PaxosError> {
        let mut out = Output::new();
        self.step(Input::Message(env), &mut out)?;
        Ok(out)
    }

    /// A timer fired.
    pub fn timeout(&mut self, token: u64) -> Output<V> {
        let mut out = Output::new();
        self.proposer.timeout_into(token, &mut out);
        self.route_all(&mut out);
        out
    }

    /// Feed one input and append what to do to `out` (which the caller normally clears first;
    /// reusing one `Output` avoids allocating per step). On error nothing changed.
    pub fn step(&mut self, input: Input<V>, out: &mut Output<V>) -> Result<(), PaxosError> {
        match input {
            Input::Propose(value) => self.propose_into(value, out),
            Input::Timeout(token) => {
                self.proposer.timeout_into(token, out);
                self.route_all(out);
            }
            Input::Message(env) => {
                if env.to != self.id {
                    return Err(PaxosError::Misaddressed {
                        node: self.id,
                        to: env.to,
                    });
                }
                let from = self.proposer.config().require(env.from)?;
                let start = out.send.len();
                self.dispatch(from, env, out);
                self.route(out, start);
                self.drain_local(out);
            }
        }
        Ok(())
    }

    fn propose_into(&mut self, value: V, out: &mut Output<V>) {
        if let Some(v) = self.learner.learned() {
            // Already decided: make sure the proposer knows and stays quiet.
            if self.proposer.chosen().is_none() {
                self.proposer.learned(v.clone());
            }
            return;
        }
        self.proposer.propose_into(value, out);
        self.route_all(out);
    }

    fn route_all(&mut self, out: &mut Output<V>) {
        self.route(out, 0);
        self.drain_local(out);
    }

    /// Move envelopes addressed to this node (from `start` on) to the local queue.
    fn route(&mut self, out: &mut Output<V>, start: usize) {
        let mut i = start;
        while i < out.send.len() {
            if out.send[i].to == self.id {
                let env = out.send.remove(i);
                if self.local_next.is_none() && self.local.is_empty() {
                    self.local_next = Some(env);
                } else {
                    self.local.push_back(env);
                }
            } else {
                i += 1;
            }
        }
    }

    fn drain_local(&mut self, out: &mut Output<V>) {
        while let Some(env) = self.local_next.take().or_else(|| self.local.pop_front()) {
            let start = out.send.len();
            let from = self.proposer.config().index_of(env.from).unwrap_or(0);
            self.dispatch(from, env, out);
            self.route(out, start);
        }
    }

    fn dispatch(&mut self, from_index: usize, env: Envelope<V>, out: &mut Output<V>) {
        match &env.msg {
            Message::Prepare { .. } | Message::Accept { .. } => {
                self.acceptor.receive(env.from, &env.msg, out)
            }
            Message::Promise { .. } | Message::Nack { .. } => {
                self.proposer.receive(from_index, &env.msg, out)
            }
            Message::Accepted { .. } => {
                self.proposer.receive(from_index, &env.msg, out);
                if let Some(v) = self.learner.receive(from_index, &env.msg) {
                    self.proposer.learned(v.clone());
                    out.timeout = None;
                    out.learned = Some(v);
                }
            }
        }
    }
}
