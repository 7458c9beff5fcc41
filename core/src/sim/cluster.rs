use std::fmt::{self, Debug};

use super::queue::EventQueue;

use super::trace::{self, DropReason, TraceEvent, TraceKind};
use super::{Checker, Network, SimConfig, SimError, SimRng, Violation};
use crate::paxos::{AcceptorState, Ballot, Config, Envelope, Input, Node, NodeId, Output, Timing};

/// A fault to inject, now ([`Sim::apply`]) or at a given tick ([`Sim::schedule`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Crash a node: it loses everything but its persisted acceptor state. No-op if down.
    Crash(NodeId),
    /// Restart a crashed node from its persisted state. No-op if up.
    Restart(NodeId),
    /// Split the network into groups that cannot talk to each other (see [`Sim::partition`]).
    Partition(Vec<Vec<NodeId>>),
    /// Remove all partitions.
    Heal,
    /// Change the loss, duplication and delay knobs.
    Network(Network),
}

/// What a node looks like from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeStatus<V> {
    /// Up, nothing promised.
    Idle,
    /// Up, promised this ballot, nothing accepted.
    Promised(Ballot),
    /// Up, accepted this ballot and value.
    Accepted(Ballot, V),
    /// Crashed.
    Down,
}

/// Counters over the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Ballots started by all proposers.
    pub rounds: u64,
    /// Network messages sent (self-addressed messages stay inside a node and are not counted).
    pub sent: u64,
    /// Messages delivered, copies included.
    pub delivered: u64,
    /// Messages lost (randomly, to a partition, or to a down node).
    pub dropped: u64,
    /// Extra copies made by the network.
    pub duplicated: u64,
    /// Proposer timers that fired.
    pub timeouts: u64,
    /// Times a node learned the chosen value.
    pub learned: u64,
    /// Node crashes.
    pub crashes: u64,
    /// Node restarts.
    pub restarts: u64,
    /// Simulated time now.
    pub ticks: u64,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} rounds, {} sent, {} delivered, {} dropped, {} duplicated, {} timeouts, \
             {} learned, {} crashes, {} restarts, {} ticks",
            self.rounds,
            self.sent,
            self.delivered,
            self.dropped,
            self.duplicated,
            self.timeouts,
            self.learned,
            self.crashes,
            self.restarts,
            self.ticks
        )
    }
}

enum EventKind<V> {
    Deliver {
        env: Envelope<V>,
        sent_at: u64,
    },
    Timer {
        node: NodeId,
        incarnation: u64,
        token: u64,
    },
    Fault(Fault),
    Request {
        node: NodeId,
        value: V,
    },
}

struct Slot<V> {
    node: Option<Node<V>>,
    /// The acceptor state as last persisted: all that survives a crash.
    disk: AcceptorState<V>,
    /// Bumped on crash and restart, so timers armed before are ignored.
    incarnation: u64,
    /// A client request not yet answered; re-submitted when the node restarts.
    request: Option<V>,
    /// The value this node last learned (the answer its client saw).
    learned: Option<V>,
}

/// A deterministic simulation of a Paxos cluster of [`Node`]s over a faulty network.
///
/// One seeded [`SimRng`] drives every random choice, an event queue ordered by
/// `(tick, sequence number)` drives time, and a [`Checker`] watches every step. The
/// persistence contract is enforced: a node's output state is "written" before its messages
/// are queued, and a crash keeps only what was written.
///
/// A client request submitted to a node that later crashes is re-submitted when the node
/// restarts (the client outlives the node). Every `run_*` call is bounded by
/// [`SimConfig::max_rounds`] and [`SimConfig::max_ticks`], so it never hangs.
///
/// # Liveness
/// Safety never depends on timing; progress does. Once faults stop (every node up, no
/// partition, no loss), proposers retry with randomised, exponentially growing backoff, so
/// dueling proposers drift apart and one of them completes both phases alone.
///
/// Bound (tested in `tests/sim_liveness.rs`): with 2–3 proposers kept apart by a total
/// partition during a random fault period, the first decision comes within **K = 8 ballots**
/// (all proposers together) after the heal. Measured over 10,000 seeds: at most 5, and 86%
/// within 2 (the ballot in flight at the heal often finishes by itself). In ticks it is a few
/// round trips plus at most one backoff (`Timing::backoff_max`). With loss `p` continuing, each
/// ballot still succeeds with a probability bounded away from 0, so the number of ballots is
/// geometric; `SimConfig::max_rounds` turns a hopeless run into [`SimError::NoQuorum`].
pub struct Sim<V> {
    config: SimConfig,
    paxos: Config,
    rng: SimRng,
    now: u64,
    queue: EventQueue<EventKind<V>>,
    in_flight: usize,
    pending_faults: usize,
    slots: Vec<Slot<V>>,
    /// Partition group of each node; empty when the network is whole.
    groups: Vec<u32>,
    stats: Stats,
    checker: Checker<V>,
    violations: Vec<Violation>,
    trace: Vec<TraceEvent<V>>,
    /// The reused `send` buffer of every step's [`Output`] (kept apart so a step builds its
    /// `Output` in place instead of moving a whole one in and out of the simulator).
    send_buf: Vec<Envelope<V>>,
    started: bool,
}

impl<V: Clone + Eq + Debug> Sim<V> {
    /// A cluster of `config.nodes` fresh nodes.
    pub fn new(config: SimConfig) -> Result<Sim<V>, SimError> {
        config.network.validate()?;
        let paxos = Self::build_paxos_config(&config, config.nodes)?;
        let mut sim = Self::without_nodes(config, paxos);
        sim.build_nodes()?;
        Ok(sim)
    }

    /// [`new`](Sim::new), built in a box. A `Sim` is over a kilobyte: built where it will live,
    /// it is not copied through the `Result` and into the box (bindings keep it boxed).
    pub fn new_boxed(config: SimConfig) -> Result<Box<Sim<V>>, SimError> {
        config.network.validate()?;
        let paxos = Self::build_paxos_config(&config, config.nodes)?;
        let mut sim = Box::new(Self::without_nodes(config, paxos));
        sim.build_nodes()?;
        Ok(sim)
    }

    #[inline(always)]
    fn without_nodes(config: SimConfig, paxos: Config) -> Sim<V> {
        let nodes = config.nodes as usize;
        // Room for a fault-free decision's events (about 4 per node) without regrowing.
        let trace_room = if config.trace {
            (4 * nodes + 8).min(config.trace_limit).min(1024)
        } else {
            0
        };
        Sim {
            rng: SimRng::new(config.seed),
            checker: Checker::new(config.seed, paxos.clone()),
            paxos,
            config,
            now: 0,
            // A fault-free decision peaks at about 1.5 events per node; 2 per node keeps small
            // clusters' slab small enough for the allocator's per-thread cache.
            queue: EventQueue::with_capacity((2 * nodes + 2).min(1024)),
            in_flight: 0,
            pending_faults: 0,
            slots: Vec::with_capacity(nodes.min(1024)),
            groups: Vec::new(),
            stats: Stats::default(),
            violations: Vec::new(),
            trace: Vec::with_capacity(trace_room),
            send_buf: Vec::with_capacity((nodes + 1).min(1024)),
            started: false,
        }
    }

    fn build_paxos_config(config: &SimConfig, nodes: u32) -> Result<Config, SimError> {
        let mut c = Config::with_size(nodes)?.with_mutation(config.mutation);
        if let Some(q) = config.quorum {
            c = c.with_quorum(q)?;
        }
        let timing = config
            .timing
            .unwrap_or_else(|| Timing::for_max_delay(config.network.delay_max));
        Ok(c.with_timing(timing)?)
    }

    fn build_nodes(&mut self) -> Result<(), SimError> {
        debug_assert_eq!(
            self.paxos.members(),
            &(0..self.config.nodes).collect::<Vec<_>>()
        );
        self.slots.clear();
        // Every id in 0..nodes is a member of `paxos` (built with that size), and building
        // each node in place spares moving it through a `Result` and a push.
        let mut id = 0;
        let paxos = &self.paxos;
        self.slots.resize_with(self.config.nodes as usize, || {
            let slot = Slot {
                node: Some(Node::restore_member(
                    id,
                    paxos.clone(),
                    AcceptorState::new(),
                )),
                disk: AcceptorState::new(),
                incarnation: 0,
                request: None,
                learned: None,
            };
            id += 1;
            slot
        });
        Ok(())
    }

    /// Add one more node (id = the current size) and return its id. Only before the first
    /// proposal: changing membership under a running decree is unsafe.
    pub fn add_node(&mut self) -> Result<NodeId, SimError> {
        if self.started {
            return Err(SimError::MembershipFrozen);
        }
        let n = self.config.nodes + 1;
        self.paxos = Self::build_paxos_config(&self.config, n)?;
        self.config.nodes = n;
        self.checker = Checker::new(self.config.seed, self.paxos.clone());
        self.build_nodes()?;
        Ok(n - 1)
    }

    /// The configuration (with the current network knobs).
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The Paxos configuration every node runs with.
    pub fn paxos_config(&self) -> &Config {
        &self.paxos
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    /// Number of nodes.
    pub fn size(&self) -> usize {
        self.slots.len()
    }

    /// Simulated time.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        Stats {
            ticks: self.now,
            ..self.stats
        }
    }

    /// Messages sent but not yet delivered or dropped.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The value chosen in this run (a quorum accepted it in one ballot), if any.
    pub fn chosen(&self) -> Option<&V> {
        self.checker.chosen().map(|(_, v)| v)
    }

    /// Violations the checker found (empty in a correct run).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Recorded events (empty when [`SimConfig::trace`] is off).
    pub fn trace(&self) -> &[TraceEvent<V>] {
        &self.trace
    }

    /// The trace as a text message-sequence chart (see [`trace::render`]).
    pub fn render_trace(&self) -> String {
        trace::render(self.slots.len(), &self.trace)
    }

    fn slot(&self, node: NodeId) -> Result<&Slot<V>, SimError> {
        self.slots
            .get(node as usize)
            .ok_or(SimError::UnknownNode(node))
    }

    /// What `node` looks like: down, or its acceptor's promise/acceptance.
    pub fn status(&self, node: NodeId) -> Result<NodeStatus<V>, SimError> {
        let slot = self.slot(node)?;
        let Some(n) = &slot.node else {
            return Ok(NodeStatus::Down);
        };
        let st = n.acceptor().state();
        Ok(match (&st.accepted, st.promised) {
            (Some((b, v)), _) => NodeStatus::Accepted(*b, v.clone()),
            (None, Some(p)) => NodeStatus::Promised(p),
            (None, None) => NodeStatus::Idle,
        })
    }

    /// True when `node` is up.
    pub fn is_up(&self, node: NodeId) -> Result<bool, SimError> {
        Ok(self.slot(node)?.node.is_some())
    }

    /// The value `node` learned (kept across its crashes: its client saw it).
    pub fn learned(&self, node: NodeId) -> Result<Option<&V>, SimError> {
        Ok(self.slot(node)?.learned.as_ref())
    }

    /// The node itself, if up (read-only; for inspecting roles).
    pub fn node(&self, node: NodeId) -> Result<Option<&Node<V>>, SimError> {
        Ok(self.slot(node)?.node.as_ref())
    }

    /// The acceptor state `node` last persisted.
    pub fn persisted(&self, node: NodeId) -> Result<&AcceptorState<V>, SimError> {
        Ok(&self.slot(node)?.disk)
    }

    #[inline]
    fn record(&mut self, kind: TraceKind<V>) {
        if self.config.trace && self.trace.len() < self.config.trace_limit {
            self.trace.push(TraceEvent {
                tick: self.now,
                kind,
            });
        }
    }
    /// `record` of a delivery, out of line so the event is built straight into the trace.
    #[inline(never)]
    fn record_deliver(&mut self, env: &Envelope<V>, sent_at: u64) {
        let kind = || TraceKind::Deliver {
            env: env.clone(),
            sent_at,
        };
        let len = self.trace.len();
        if self.config.trace && len < self.trace.capacity() && len < self.config.trace_limit {
            // Known not to grow: the event is written in place, not staged on the stack.
            self.trace.push(TraceEvent {
                tick: self.now,
                kind: kind(),
            });
        } else {
            self.record(kind());
        }
    }

    #[inline]
    fn push(&mut self, at: u64, kind: EventKind<V>) {
        self.queue.push(at, kind);
    }

    // ---- faults ----------------------------------------------------------------------------

    /// Apply a fault now.
    pub fn apply(&mut self, fault: Fault) -> Result<(), SimError> {
        match fault {
            Fault::Crash(n) => self.crash(n),
            Fault::Restart(n) => self.restart(n),
            Fault::Partition(groups) => self.partition(&groups),
            Fault::Heal => {
                self.heal();
                Ok(())
            }
            Fault::Network(net) => self.set_network(net),
        }
    }

    /// Apply `fault` at tick `at` (now, if `at` is in the past). It is validated when applied;
    /// an invalid scheduled fault makes that run call return the error.
    pub fn schedule(&mut self, at: u64, fault: Fault) {
        self.pending_faults += 1;
        self.push(at.max(self.now), EventKind::Fault(fault));
    }

    /// Crash `node`: everything but its persisted acceptor state (proposer, learner, timers) is
    /// lost, and messages to it are dropped until it restarts. No-op if already down.
    pub fn crash(&mut self, node: NodeId) -> Result<(), SimError> {
        self.slot(node)?;
        let slot = &mut self.slots[node as usize];
        if slot.node.take().is_some() {
            slot.incarnation += 1;
            self.stats.crashes += 1;
            self.record(TraceKind::Crash { node });
        }
        Ok(())
    }

    /// Restart a crashed `node` from its persisted acceptor state, and re-submit its client's
    /// unanswered request. No-op if up.
    pub fn restart(&mut self, node: NodeId) -> Result<(), SimError> {
        self.slot(node)?;
        let slot = &mut self.slots[node as usize];
        if slot.node.is_some() {
            return Ok(());
        }
        slot.node = Some(Node::restore(node, self.paxos.clone(), slot.disk.clone())?);
        slot.incarnation += 1;
        let request = slot.request.clone();
        self.stats.restarts += 1;
        self.record(TraceKind::Restart { node });
        if let Some(v) = request {
            self.node_step(node, Input::Propose(v))?;
        }
        Ok(())
    }

    /// Split the network: nodes in the same group talk, nodes in different groups do not.
    /// Nodes not listed form one more group together. Messages already in flight across groups
    /// are dropped when they arrive. Replaces any earlier partition.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) -> Result<(), SimError> {
        let n = self.slots.len();
        let rest = groups.len() as u32;
        let mut assign = vec![rest; n];
        let mut seen = vec![false; n];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                self.slot(m)?;
                if std::mem::replace(&mut seen[m as usize], true) {
                    return Err(SimError::DuplicateInPartition(m));
                }
                assign[m as usize] = g as u32;
            }
        }
        self.groups = assign;
        self.record(TraceKind::Partition {
            groups: groups.to_vec(),
        });
        Ok(())
    }

    /// Remove all partitions.
    pub fn heal(&mut self) {
        self.groups.clear();
        self.record(TraceKind::Heal);
    }

    /// Change the network's loss, duplication and delays. Unless [`SimConfig::timing`] was
    /// given, proposer timing follows the new `delay_max`.
    pub fn set_network(&mut self, network: Network) -> Result<(), SimError> {
        network.validate()?;
        self.config.network = network;
        if self.config.timing.is_none() {
            let timing = Timing::for_max_delay(network.delay_max);
            self.paxos = self.paxos.clone().with_timing(timing)?;
            for slot in &mut self.slots {
                if let Some(node) = &mut slot.node {
                    node.set_timing(timing)?;
                }
            }
        }
        self.record(TraceKind::Network(network));
        Ok(())
    }

    fn partitioned(&self, a: NodeId, b: NodeId) -> bool {
        !self.groups.is_empty() && self.groups[a as usize] != self.groups[b as usize]
    }

    // ---- proposals and running -------------------------------------------------------------

    /// A client asks `node` to get `value` chosen; nothing runs yet.
    pub fn submit(&mut self, node: NodeId, value: V) -> Result<(), SimError> {
        let slot = self.slot(node)?;
        if slot.node.is_none() {
            return Err(SimError::NodeDown(node));
        }
        self.started = true;
        self.request(node, value)
    }

    /// A client asks `node` to propose `value` at tick `at` (now, if in the past). If the node
    /// is down then, the request waits for its restart.
    pub fn schedule_submit(&mut self, at: u64, node: NodeId, value: V) -> Result<(), SimError> {
        self.slot(node)?;
        self.started = true;
        self.pending_faults += 1;
        self.push(at.max(self.now), EventKind::Request { node, value });
        Ok(())
    }

    fn request(&mut self, node: NodeId, value: V) -> Result<(), SimError> {
        self.checker.on_propose(&value);
        self.record(TraceKind::Propose {
            node,
            value: value.clone(),
        });
        let slot = &mut self.slots[node as usize];
        if slot.learned.is_none() {
            slot.request = Some(value.clone());
        }
        if slot.node.is_some() {
            self.node_step(node, Input::Propose(value))?;
        }
        Ok(())
    }

    /// Propose `value` at `node` and run until that node learns the chosen value, which is
    /// returned (it may be another node's value).
    pub fn propose(&mut self, node: NodeId, value: V) -> Result<V, SimError> {
        self.submit(node, value)?;
        self.run_until_decided(&[node])
    }

    /// Several proposers at once: submit every `(node, value)` in order, then run until one of
    /// those nodes learns the chosen value.
    pub fn contend(&mut self, proposals: &[(NodeId, V)]) -> Result<V, SimError> {
        for (node, value) in proposals {
            self.submit(*node, value.clone())?;
        }
        let nodes: Vec<NodeId> = proposals.iter().map(|(n, _)| *n).collect();
        self.run_until_decided(&nodes)
    }

    /// Run until one of `nodes` (any node, if empty) has learned the chosen value.
    pub fn run_until_decided(&mut self, nodes: &[NodeId]) -> Result<V, SimError> {
        for &n in nodes {
            self.slot(n)?;
        }
        let decided = |sim: &Sim<V>| -> Option<V> {
            if nodes.is_empty() {
                sim.slots.iter().find_map(|s| s.learned.clone())
            } else {
                nodes
                    .iter()
                    .find_map(|&n| sim.slots[n as usize].learned.clone())
            }
        };
        let (t0, r0) = (self.now, self.stats.rounds);
        let mut result = decided(self);
        self.run_while(|sim| {
            if result.is_none() {
                result = decided(sim);
            }
            result.is_none()
        })?;
        // `None` here means the queue ran dry: nothing left that could decide.
        result.ok_or_else(|| self.no_quorum(t0, r0))
    }

    /// Run until the network is quiet: no message in flight, no scheduled fault pending and no
    /// up node with a ballot in flight or a retry pending. Returns the chosen value, if any, or
    /// [`SimError::NoQuorum`] if some proposer is still trying when the call's bound is hit
    /// (e.g. it is cut off from a majority).
    pub fn run_until_quiet(&mut self) -> Result<Option<V>, SimError> {
        self.run_while(|sim| !sim.is_quiet())?;
        Ok(self.chosen().cloned())
    }

    /// True when nothing more will happen on its own (see [`run_until_quiet`](Sim::run_until_quiet)).
    pub fn is_quiet(&self) -> bool {
        self.in_flight == 0
            && self.pending_faults == 0
            && self
                .slots
                .iter()
                .all(|s| s.node.as_ref().is_none_or(|n| !n.is_active()))
    }

    /// Process every event up to and including tick `at`, then set the clock to `at`. Bounded
    /// by time, so not by [`SimConfig::max_rounds`].
    pub fn run_until_tick(&mut self, at: u64) -> Result<(), SimError> {
        while self.queue.peek_at().is_some_and(|t| t <= at) {
            self.step()?;
        }
        self.now = self.now.max(at);
        self.queue.advance(self.now);
        Ok(())
    }

    /// Run while `go(self)` holds, within the call's bounds.
    fn run_while(&mut self, mut go: impl FnMut(&Sim<V>) -> bool) -> Result<(), SimError> {
        let (t0, r0) = (self.now, self.stats.rounds);
        while go(self) {
            let Some(next) = self.queue.peek_at() else {
                return Ok(());
            };
            let rounds = self.stats.rounds - r0;
            if next - t0 > self.config.max_ticks || rounds > self.config.max_rounds {
                return Err(self.no_quorum(t0, r0));
            }
            self.step()?;
        }
        Ok(())
    }

    fn no_quorum(&self, t0: u64, r0: u64) -> SimError {
        SimError::NoQuorum {
            seed: self.config.seed,
            rounds: self.stats.rounds - r0,
            ticks: self.now - t0,
        }
    }

    /// Process the next event. Returns false when there was none.
    pub fn step(&mut self) -> Result<bool, SimError> {
        let Some((at, kind)) = self.queue.pop() else {
            return Ok(false);
        };
        self.now = at;
        match kind {
            EventKind::Deliver { env, sent_at } => {
                self.in_flight -= 1;
                let reason = if self.slots[env.to as usize].node.is_none() {
                    Some(DropReason::Down)
                } else if self.partitioned(env.from, env.to) {
                    Some(DropReason::Partition)
                } else {
                    None
                };
                if let Some(reason) = reason {
                    self.stats.dropped += 1;
                    self.record(TraceKind::Drop {
                        env,
                        sent_at,
                        reason,
                    });
                } else {
                    self.stats.delivered += 1;
                    if self.config.trace {
                        self.record_deliver(&env, sent_at);
                    }
                    self.node_step(env.to, Input::Message(env))?;
                }
            }
            EventKind::Timer {
                node,
                incarnation,
                token,
            } => {
                let slot = &self.slots[node as usize];
                if slot.node.is_some() && slot.incarnation == incarnation {
                    self.stats.timeouts += 1;
                    let (rounds, mark) = (self.stats.rounds, self.trace.len());
                    self.node_step(node, Input::Timeout(token))?;
                    if self.stats.rounds > rounds
                        && self.config.trace
                        && self.trace.len() < self.config.trace_limit
                    {
                        // Before whatever the new ballot sent.
                        let tick = self.now;
                        let kind = TraceKind::Retry { node };
                        self.trace.insert(mark, TraceEvent { tick, kind });
                    }
                }
            }
            EventKind::Fault(f) => {
                self.pending_faults -= 1;
                self.apply(f)?;
            }
            EventKind::Request { node, value } => {
                self.pending_faults -= 1;
                self.request(node, value)?;
            }
        }
        Ok(true)
    }

    /// Feed one input to an up node and carry out its output: persist, check, then send.
    fn node_step(&mut self, id: NodeId, input: Input<V>) -> Result<(), SimError> {
        let mut send = std::mem::take(&mut self.send_buf);
        send.clear();
        let mut out = Output {
            persist: None,
            send,
            timeout: None,
            learned: None,
        };
        // Only the error path moves the (large) error; the common path checks a tag.
        if let Err(e) = self.node_step_with(id, input, &mut out) {
            out.send.clear();
            self.send_buf = out.send;
            return Err(e);
        }
        out.send.clear();
        self.send_buf = out.send;
        Ok(())
    }

    fn node_step_with(
        &mut self,
        id: NodeId,
        input: Input<V>,
        out: &mut Output<V>,
    ) -> Result<(), SimError> {
        let slot = &mut self.slots[id as usize];
        let Some(node) = slot.node.as_mut() else {
            return Ok(());
        };
        let before = node.proposer().rounds();
        node.step(input, out)?;
        self.stats.rounds += node.proposer().rounds() - before;
        if let Some(state) = out.persist.take() {
            let checked = self.checker.on_persist(self.now, id, &slot.disk, &state);
            slot.disk = state;
            checked.map_err(|v| self.violation(v))?;
        }
        if let Some(v) = out.learned.take() {
            let slot = &mut self.slots[id as usize];
            slot.request = None;
            slot.learned = Some(v.clone());
            self.stats.learned += 1;
            let checked = self.checker.on_learn(self.now, id, &v);
            self.record(TraceKind::Learn { node: id, value: v });
            checked.map_err(|v| self.violation(v))?;
        }
        if let Some(t) = out.timeout {
            let delay = self.rng.between(t.min_ticks, t.max_ticks).max(1);
            let incarnation = self.slots[id as usize].incarnation;
            self.push(
                self.now + delay,
                EventKind::Timer {
                    node: id,
                    incarnation,
                    token: t.token,
                },
            );
        }
        for env in out.send.drain(..) {
            self.send(env);
        }
        Ok(())
    }

    fn violation(&mut self, v: Violation) -> SimError {
        self.violations.push(v.clone());
        SimError::Violation(Box::new(v))
    }

    #[inline]
    fn send(&mut self, env: Envelope<V>) {
        self.stats.sent += 1;
        let net = self.config.network;
        let sent_at = self.now;
        if self.rng.chance(net.drop) {
            self.stats.dropped += 1;
            self.record(TraceKind::Drop {
                env,
                sent_at,
                reason: DropReason::Random,
            });
            return;
        }
        if self.rng.chance(net.duplicate) {
            self.stats.duplicated += 1;
            self.record(TraceKind::Duplicate { env: env.clone() });
            let delay = self.rng.between(net.delay_min, net.delay_max);
            self.in_flight += 1;
            self.push(
                sent_at + delay,
                EventKind::Deliver {
                    env: env.clone(),
                    sent_at,
                },
            );
        }
        let delay = self.rng.between(net.delay_min, net.delay_max);
        self.in_flight += 1;
        self.push(sent_at + delay, EventKind::Deliver { env, sent_at });
    }
}
