//! The event trace of a simulation and its rendering as a message-sequence chart.

use std::fmt::{Debug, Write};

use super::Network;
use crate::paxos::{Envelope, Message, NodeId};

/// Why a message did not arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DropReason {
    /// The network lost it (the `drop` probability).
    Random = 0,
    /// Sender and receiver were in different partition groups when it arrived.
    Partition = 1,
    /// The receiver was down when it arrived.
    Down = 2,
}

/// One thing that happened in a simulation.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceKind<V> {
    /// A client asked `node` to propose `value`.
    Propose {
        /// The node asked.
        node: NodeId,
        /// The value.
        value: V,
    },
    /// A message arrived.
    Deliver {
        /// The message.
        env: Envelope<V>,
        /// When it was sent.
        sent_at: u64,
    },
    /// A message was lost.
    Drop {
        /// The message.
        env: Envelope<V>,
        /// When it was sent.
        sent_at: u64,
        /// Why.
        reason: DropReason,
    },
    /// The network will deliver a second copy of this message.
    Duplicate {
        /// The message.
        env: Envelope<V>,
    },
    /// A proposer's timer fired and it started a new ballot.
    Retry {
        /// The node.
        node: NodeId,
    },
    /// The node crashed (volatile state lost).
    Crash {
        /// The node.
        node: NodeId,
    },
    /// The node restarted from its persisted acceptor state.
    Restart {
        /// The node.
        node: NodeId,
    },
    /// The network was split into these groups.
    Partition {
        /// Nodes that can talk to each other.
        groups: Vec<Vec<NodeId>>,
    },
    /// All partitions removed.
    Heal,
    /// Network fault knobs changed.
    Network(Network),
    /// The learner on `node` learned `value`.
    Learn {
        /// The node.
        node: NodeId,
        /// The value chosen.
        value: V,
    },
}

/// A [`TraceKind`] with its simulated time.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEvent<V> {
    /// Simulated time.
    pub tick: u64,
    /// What happened.
    pub kind: TraceKind<V>,
}

fn map_message<V, W>(msg: &Message<V>, f: &impl Fn(&V) -> W) -> Message<W> {
    match msg {
        Message::Prepare { ballot } => Message::Prepare { ballot: *ballot },
        Message::Promise { ballot, accepted } => Message::Promise {
            ballot: *ballot,
            accepted: accepted.as_ref().map(|(b, v)| (*b, f(v))),
        },
        Message::Accept { ballot, value } => Message::Accept {
            ballot: *ballot,
            value: f(value),
        },
        Message::Accepted { ballot, value } => Message::Accepted {
            ballot: *ballot,
            value: f(value),
        },
        Message::Nack { ballot, promised } => Message::Nack {
            ballot: *ballot,
            promised: *promised,
        },
    }
}

fn map_envelope<V, W>(env: &Envelope<V>, f: &impl Fn(&V) -> W) -> Envelope<W> {
    Envelope::new(env.from, env.to, map_message(&env.msg, f))
}

impl<V> TraceEvent<V> {
    /// The same event with every value replaced by `f(value)`: how a face shows its own values
    /// (a Python repr, escaped bytes) in a chart.
    pub fn map_values<W>(&self, f: &impl Fn(&V) -> W) -> TraceEvent<W> {
        let kind = match &self.kind {
            TraceKind::Propose { node, value } => TraceKind::Propose {
                node: *node,
                value: f(value),
            },
            TraceKind::Deliver { env, sent_at } => TraceKind::Deliver {
                env: map_envelope(env, f),
                sent_at: *sent_at,
            },
            TraceKind::Drop {
                env,
                sent_at,
                reason,
            } => TraceKind::Drop {
                env: map_envelope(env, f),
                sent_at: *sent_at,
                reason: *reason,
            },
            TraceKind::Duplicate { env } => TraceKind::Duplicate {
                env: map_envelope(env, f),
            },
            TraceKind::Retry { node } => TraceKind::Retry { node: *node },
            TraceKind::Crash { node } => TraceKind::Crash { node: *node },
            TraceKind::Restart { node } => TraceKind::Restart { node: *node },
            TraceKind::Partition { groups } => TraceKind::Partition {
                groups: groups.clone(),
            },
            TraceKind::Heal => TraceKind::Heal,
            TraceKind::Network(n) => TraceKind::Network(*n),
            TraceKind::Learn { node, value } => TraceKind::Learn {
                node: *node,
                value: f(value),
            },
        };
        TraceEvent {
            tick: self.tick,
            kind,
        }
    }
}

/// A value label printed as is in a chart (the face has already formatted it).
#[derive(Clone, PartialEq, Eq)]
pub struct Label(pub String);

impl Debug for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const LANE: usize = 6;

fn describe<V: Debug>(msg: &Message<V>) -> String {
    match msg {
        Message::Prepare { ballot } => format!("Prepare {ballot}"),
        Message::Promise {
            ballot,
            accepted: None,
        } => format!("Promise {ballot}"),
        Message::Promise {
            ballot,
            accepted: Some((b, v)),
        } => format!("Promise {ballot} accepted {b}={v:?}"),
        Message::Accept { ballot, value } => format!("Accept {ballot}={value:?}"),
        Message::Accepted { ballot, value } => format!("Accepted {ballot}={value:?}"),
        Message::Nack { ballot, promised } => format!("Nack {ballot} (promised {promised})"),
    }
}

fn lanes(up: &[bool]) -> Vec<u8> {
    let mut row = vec![b' '; up.len() * LANE];
    for (i, &u) in up.iter().enumerate() {
        row[i * LANE + 1] = if u { b'|' } else { b':' };
    }
    row
}

fn arrow(row: &mut [u8], from: usize, to: usize, head: u8) {
    let (a, b) = (from * LANE + 1, to * LANE + 1);
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    for c in &mut row[lo + 1..hi] {
        *c = b'-';
    }
    row[a] = b'o';
    row[b] = head;
}

/// [`render`] under a legend line `nodes: n0=<name> n1=<name> ...` naming node `i`
/// `names[i]`.
pub fn render_named<V: Debug>(
    nodes: usize,
    names: &[impl AsRef<str>],
    events: &[TraceEvent<V>],
) -> String {
    let mut s = String::from("nodes:");
    for (i, name) in names.iter().enumerate() {
        let _ = write!(s, " n{i}={}", name.as_ref());
    }
    s.push('\n');
    s + &render(nodes, events)
}

/// Render a trace of a cluster of `nodes` nodes as a text message-sequence chart: one lane per
/// node (`|` up, `:` down), one line per event, arrows from sender (`o`) to receiver (`>`/`<`,
/// `x` when lost), node markers `*` propose, `T` retry, `X` crash, `R` restart, `!` learn.
pub fn render<V: Debug>(nodes: usize, events: &[TraceEvent<V>]) -> String {
    let mut s = String::new();
    let mut up = vec![true; nodes];
    let _ = write!(s, "{:>7} ", "tick");
    for i in 0..nodes {
        let _ = write!(s, " {:<w$}", format!("n{i}"), w = LANE - 1);
    }
    s.push('\n');
    for ev in events {
        let mut row = lanes(&up);
        let text = match &ev.kind {
            TraceKind::Propose { node, value } => {
                mark(&mut row, *node, b'*');
                format!("n{node} propose {value:?}")
            }
            TraceKind::Deliver { env, sent_at } => {
                if (env.from as usize) < nodes && (env.to as usize) < nodes {
                    let head = if env.to > env.from { b'>' } else { b'<' };
                    arrow(&mut row, env.from as usize, env.to as usize, head);
                }
                format!("{} (sent {sent_at})", describe(&env.msg))
            }
            TraceKind::Drop {
                env,
                sent_at,
                reason,
            } => {
                if (env.from as usize) < nodes && (env.to as usize) < nodes {
                    arrow(&mut row, env.from as usize, env.to as usize, b'x');
                }
                let why = match reason {
                    DropReason::Random => "lost",
                    DropReason::Partition => "partitioned",
                    DropReason::Down => "receiver down",
                };
                format!("{} (sent {sent_at}) {why}", describe(&env.msg))
            }
            TraceKind::Duplicate { env } => {
                format!(
                    "n{}->n{} {} duplicated",
                    env.from,
                    env.to,
                    describe(&env.msg)
                )
            }
            TraceKind::Retry { node } => {
                mark(&mut row, *node, b'T');
                format!("n{node} timer: new ballot")
            }
            TraceKind::Crash { node } => {
                mark(&mut row, *node, b'X');
                if let Some(u) = up.get_mut(*node as usize) {
                    *u = false;
                }
                format!("n{node} crashes")
            }
            TraceKind::Restart { node } => {
                mark(&mut row, *node, b'R');
                if let Some(u) = up.get_mut(*node as usize) {
                    *u = true;
                }
                format!("n{node} restarts from disk")
            }
            TraceKind::Partition { groups } => format!("partition {groups:?}"),
            TraceKind::Heal => "heal".to_string(),
            TraceKind::Network(n) => format!(
                "network: drop {} duplicate {} delay {}..={}",
                n.drop, n.duplicate, n.delay_min, n.delay_max
            ),
            TraceKind::Learn { node, value } => {
                mark(&mut row, *node, b'!');
                format!("n{node} learns {value:?}")
            }
        };
        let _ = write!(s, "{:>7}  ", ev.tick);
        s.push_str(std::str::from_utf8(&row).unwrap_or(""));
        s.push(' ');
        s.push_str(&text);
        s.push('\n');
    }
    s
}

fn mark(row: &mut [u8], node: NodeId, c: u8) {
    if let Some(cell) = row.get_mut(node as usize * LANE + 1) {
        *cell = c;
    }
}
