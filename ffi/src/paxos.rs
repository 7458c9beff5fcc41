//! `ringpax_paxos`: a simulated Paxos cluster; `ringpax_paxos_node`: one sans-IO Paxos node for C
//! programs that bring their own network (messages and state in the versioned wire format of
//! `ringpax_core::paxos::wire`, `RINGPAX_PAXOS_WIRE_VERSION`).
//!
//! Values are byte strings, copied in and copied out into caller buffers. Like every ringpax
//! handle, both types may be used from any thread but not from two threads at once.
use std::collections::{BTreeMap, HashMap};
use std::ffi::c_char;

use ringpax_core::paxos::{AcceptorState, Config, Input, Node, NodeId, Output, wire};
use ringpax_core::sim::trace::{self, Label};
use ringpax_core::sim::{Network, NodeStatus, Sim, SimConfig, SimError};

use crate::error::{
    Failure, bytes, free_handle, guard, non_null, non_null_mut, put, ringpax_status, utf8,
};

/// The version byte of the wire format this library reads and writes (the first byte of every
/// message and state).
pub const RINGPAX_PAXOS_WIRE_VERSION: u8 = 1;
// cbindgen needs a literal; this keeps it equal to the core's.
const _: () = assert!(RINGPAX_PAXOS_WIRE_VERSION == wire::WIRE_VERSION);

/// Ballots one `ringpax_paxos_propose*` call may start before it gives up with
/// `RINGPAX_STATUS_NO_QUORUM`.
pub const RINGPAX_PAXOS_DEFAULT_MAX_ROUNDS: u64 = 1000;

/// Copy `value` into `(buf, cap)` (no terminator: values are bytes) and its length into
/// `len_out`. `buf` may be NULL to ask for the length only; otherwise `BUFFER_TOO_SMALL` when
/// `cap < value.len()` (the length is still written).
///
/// # Safety
/// `buf` is NULL or valid for `cap` bytes of writes; `len_out` is NULL or valid for a write.
unsafe fn write_bytes(
    value: &[u8],
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
) -> Result<(), Failure> {
    // SAFETY: NULL or writable, per the caller.
    unsafe { put(len_out, value.len()) };
    if buf.is_null() {
        return Ok(());
    }
    if cap < value.len() {
        return Err(Failure::new(
            ringpax_status::BufferTooSmall,
            format!("buffer of {cap} bytes cannot hold {} bytes", value.len()),
        ));
    }
    // SAFETY: `buf` has room for `value.len()` bytes, checked above.
    unsafe { std::ptr::copy_nonoverlapping(value.as_ptr(), buf, value.len()) };
    Ok(())
}

// ---- the simulator -----------------------------------------------------------------------------

/// A deterministic simulation of a Paxos cluster of named nodes over a faulty network. Opaque:
/// create with `ringpax_paxos_new`, destroy with `ringpax_paxos_free`.
pub struct ringpax_paxos {
    sim: Sim<Vec<u8>>,
    size: u32,
    names: Vec<String>,
    ids: HashMap<String, NodeId>,
}

/// What a node of a `ringpax_paxos` looks like from outside.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ringpax_paxos_state {
    /// Up, nothing promised.
    Idle = 0,
    /// Up, promised a ballot, nothing accepted.
    Promise = 1,
    /// Up, has accepted a proposal.
    Accept = 2,
    /// Crashed.
    Down = 3,
}

/// Counters of a `ringpax_paxos` since it was created.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ringpax_paxos_counters {
    /// Ballots started by all proposers.
    pub rounds: u64,
    /// Network messages sent (a node's messages to itself are not counted). A fault-free
    /// decision sends exactly `4 * (n - 1)`.
    pub sent: u64,
    /// Messages delivered, duplicate copies included.
    pub delivered: u64,
    /// Messages lost: randomly, across a partition, or to a down node.
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
    /// Simulated time, in ticks.
    pub ticks: u64,
}

impl ringpax_paxos {
    fn node_id(&self, name: &str) -> Result<NodeId, Failure> {
        self.ids.get(name).copied().ok_or_else(|| {
            Failure::new(
                ringpax_status::UnknownMember,
                format!("node {name:?} is not in the cluster"),
            )
        })
    }

    fn require_complete(&self) -> Result<(), Failure> {
        let added = self.names.len() as u32;
        if added < self.size {
            return Err(Failure::new(
                ringpax_status::ClusterIncomplete,
                format!(
                    "only {added} of {} nodes added: add the other {} before proposing",
                    self.size,
                    self.size - added
                ),
            ));
        }
        Ok(())
    }

    fn require_up(&self, id: NodeId) -> Result<(), Failure> {
        if self.sim.is_up(id).unwrap_or(false) {
            return Ok(());
        }
        Err(Failure::new(
            ringpax_status::NodeDown,
            format!("node {:?} is down", self.names[id as usize]),
        ))
    }

    /// Propose through `node`, run until decided and then until the network is quiet.
    fn propose(&mut self, node: NodeId, value: &[u8]) -> Result<Vec<u8>, Failure> {
        self.contend(vec![(node, value.to_vec())])
    }

    /// Submit every `(node, value)` at once, run until one of those nodes learns the chosen
    /// value and then until the network is quiet. A proposer cut off from a majority may keep
    /// retrying until the round bound; that does not undo the decision.
    fn contend(&mut self, proposals: Vec<(NodeId, Vec<u8>)>) -> Result<Vec<u8>, Failure> {
        self.require_complete()?;
        for &(node, _) in &proposals {
            self.require_up(node)?;
        }
        let chosen = self.sim.contend(&proposals)?;
        match self.sim.run_until_quiet() {
            Ok(_) | Err(SimError::NoQuorum { .. }) => Ok(chosen),
            Err(e) => Err(e.into()),
        }
    }
}

/// Options for `ringpax_paxos_new_with`. Start from `ringpax_paxos_options_default()`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ringpax_paxos_options {
    /// Seed of every random choice of the simulation (0 by default).
    pub seed: u64,
    /// Ballots one `ringpax_paxos_propose*` or `ringpax_paxos_contend` call may start before
    /// it gives up with `RINGPAX_STATUS_NO_QUORUM`: at least 1,
    /// `RINGPAX_PAXOS_DEFAULT_MAX_ROUNDS` by default.
    pub max_rounds: u64,
    /// Record every event for `ringpax_paxos_trace` (off by default: recording costs time and
    /// memory on long runs).
    pub trace: bool,
}

/// The default options: seed 0, `RINGPAX_PAXOS_DEFAULT_MAX_ROUNDS` ballots, no trace.
#[unsafe(no_mangle)]
pub extern "C" fn ringpax_paxos_options_default() -> ringpax_paxos_options {
    ringpax_paxos_options {
        seed: 0,
        max_rounds: RINGPAX_PAXOS_DEFAULT_MAX_ROUNDS,
        trace: false,
    }
}

/// Create a simulated cluster of `n` acceptors (1 to 10,000; quorum `n / 2 + 1`) whose random
/// choices all come from `seed`, on a reliable network, and store it in `*paxos_out`: the
/// default options (`ringpax_paxos_options_default`) with `seed`. Name the nodes with
/// `ringpax_paxos_add_node` before proposing. The caller owns the cluster and must release it
/// with `ringpax_paxos_free`; `*paxos_out` is written only on success.
/// Errors: `INVALID_ARGUMENT`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_new(
    n: u32,
    seed: u64,
    paxos_out: *mut *mut ringpax_paxos,
) -> ringpax_status {
    let mut options = ringpax_paxos_options_default();
    options.seed = seed;
    // SAFETY: forwarded; `options` lives for the call.
    unsafe { ringpax_paxos_new_with(n, &options, paxos_out) }
}

/// Like `ringpax_paxos_new`, with `*options` (read during the call only; the caller keeps
/// it). The caller owns the new cluster and must release it with `ringpax_paxos_free`;
/// `*paxos_out` is written only on success.
/// Errors: `INVALID_ARGUMENT` (`n` outside 1..=10000, `max_rounds` 0), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_new_with(
    n: u32,
    options: *const ringpax_paxos_options,
    paxos_out: *mut *mut ringpax_paxos,
) -> ringpax_status {
    guard(|| {
        // SAFETY: NULL or valid, per the contract above.
        let options = unsafe { non_null(options, "options") }?;
        let out = unsafe { non_null_mut(paxos_out, "paxos_out") }?;
        if n == 0 || n > 10_000 {
            return Err(Failure::new(
                ringpax_status::InvalidArgument,
                format!("n must be in 1..=10000, got {n}"),
            ));
        }
        if options.max_rounds == 0 {
            return Err(Failure::new(
                ringpax_status::InvalidArgument,
                "max_rounds must be at least 1, got 0",
            ));
        }
        let mut config = SimConfig::new(n, options.seed);
        config.trace = options.trace;
        config.max_rounds = options.max_rounds;
        let sim = Sim::new(config)?;
        *out = Box::into_raw(Box::new(ringpax_paxos {
            sim,
            size: n,
            names: Vec::new(),
            ids: HashMap::new(),
        }));
        Ok(())
    })
}

/// Destroy a cluster made by `ringpax_paxos_new`. NULL is a no-op; freeing twice is undefined
/// behaviour.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_free(paxos: *mut ringpax_paxos) {
    // SAFETY: `paxos` is NULL or came from `ringpax_paxos_new`, freed once (above).
    unsafe { free_handle(paxos) }
}

/// Name the next node (`name_len` bytes of UTF-8, copied). The first node added is the default
/// proposer. Errors: `DUPLICATE_MEMBER`, `INVALID_ARGUMENT` (empty name, or all `n` nodes are
/// already named), `INVALID_UTF8`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_add_node(
    paxos: *mut ringpax_paxos,
    name: *const c_char,
    name_len: usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null_mut(paxos, "paxos") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        if name.is_empty() {
            return Err(Failure::new(
                ringpax_status::InvalidArgument,
                "node name must not be empty",
            ));
        }
        if p.ids.contains_key(name) {
            return Err(Failure::new(
                ringpax_status::DuplicateMember,
                format!("node {name:?} is already in the cluster"),
            ));
        }
        let id = p.names.len() as NodeId;
        if id >= p.size {
            return Err(Failure::new(
                ringpax_status::InvalidArgument,
                format!(
                    "the cluster already has all {} nodes; cannot add {name:?}",
                    p.size
                ),
            ));
        }
        p.ids.insert(name.to_owned(), id);
        p.names.push(name.to_owned());
        Ok(())
    })
}

/// Propose `value` (`value_len` bytes; NULL allowed when 0) through the first node added, run
/// the simulation until a value is chosen and the network is quiet, and copy the chosen value
/// (which may be an earlier proposal's) into `out` (`cap` bytes; no terminator) and its length
/// into `*out_len` (both may be NULL). A too-small `out` gives `BUFFER_TOO_SMALL` with
/// `*out_len` set; the decision stands, fetch it with `ringpax_paxos_chosen`.
/// Errors: `CLUSTER_INCOMPLETE` (fewer than `n` nodes added), `NODE_DOWN`, `NO_QUORUM` (no
/// decision within the round bound; the cluster stays as it was), `BUFFER_TOO_SMALL`,
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_propose(
    paxos: *mut ringpax_paxos,
    value: *const u8,
    value_len: usize,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null_mut(paxos, "paxos") }?;
        let value = unsafe { bytes(value, value_len, "value") }?;
        let chosen = p.propose(0, value)?;
        // SAFETY: as documented above.
        unsafe { write_bytes(&chosen, out, cap, out_len) }
    })
}

/// Like `ringpax_paxos_propose`, through node `name` (`name_len` bytes of UTF-8).
/// Errors: those of `ringpax_paxos_propose`, `UNKNOWN_MEMBER`, `INVALID_UTF8`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_propose_from(
    paxos: *mut ringpax_paxos,
    name: *const c_char,
    name_len: usize,
    value: *const u8,
    value_len: usize,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null_mut(paxos, "paxos") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let value = unsafe { bytes(value, value_len, "value") }?;
        let node = p.node_id(name)?;
        let chosen = p.propose(node, value)?;
        // SAFETY: as documented above.
        unsafe { write_bytes(&chosen, out, cap, out_len) }
    })
}

/// One proposal of `ringpax_paxos_contend`: through node `node` (`node_len` bytes of UTF-8),
/// value `value` (`value_len` bytes; NULL allowed when 0). Read during the call only.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ringpax_paxos_proposal {
    /// The proposing node's name.
    pub node: *const c_char,
    /// Its length in bytes.
    pub node_len: usize,
    /// The proposed value.
    pub value: *const u8,
    /// Its length in bytes.
    pub value_len: usize,
}

/// Several proposers at once (duelling proposers): every proposal in `proposals[0..count]` is
/// submitted at the same simulated moment, then the simulation runs until one of those nodes
/// learns the chosen value and the network is quiet. The chosen value (exactly one of the
/// proposed ones, unless an earlier proposal was already chosen) is written as by
/// `ringpax_paxos_propose` into the caller's `out`. `proposals` and the names and values it
/// points to are read during the call only (values are copied); the caller keeps them. A node
/// may appear more than once. Nothing is submitted unless every proposal is valid.
/// Errors: those of `ringpax_paxos_propose_from`, and `INVALID_ARGUMENT` when `count` is 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_contend(
    paxos: *mut ringpax_paxos,
    proposals: *const ringpax_paxos_proposal,
    count: usize,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null_mut(paxos, "paxos") }?;
        let proposals = unsafe { non_null(proposals, "proposals") }?;
        if count == 0 {
            return Err(Failure::new(
                ringpax_status::InvalidArgument,
                "contend needs at least one proposal (count is 0)",
            ));
        }
        p.require_complete()?;
        // SAFETY: `proposals` points to `count` proposals, per the contract above.
        let all = unsafe { std::slice::from_raw_parts(proposals, count) };
        let mut pairs = Vec::with_capacity(count);
        for (i, prop) in all.iter().enumerate() {
            // SAFETY: each proposal's pointers are valid for their lengths (caller's contract).
            let what = format!("proposals[{i}].node");
            let name = unsafe { utf8(prop.node.cast(), prop.node_len, &what) }?;
            let what = format!("proposals[{i}].value");
            let value = unsafe { bytes(prop.value, prop.value_len, &what) }?;
            pairs.push((p.node_id(name)?, value.to_vec()));
        }
        let chosen = p.contend(pairs)?;
        // SAFETY: as documented above.
        unsafe { write_bytes(&chosen, out, cap, out_len) }
    })
}

/// Write the run so far as a text message-sequence chart (UTF-8, no terminator: the layout of
/// Python's `Paxos.trace()`, values shown as quoted bytes with non-printable ones escaped) into
/// `out` (`cap` bytes; NULL to get the length only) and its length into `*out_len` (may be
/// NULL). Needs a cluster made with `options.trace` on.
/// Errors: `INVALID_ARGUMENT` (tracing is off), `BUFFER_TOO_SMALL` (with `*out_len` set),
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_trace(
    paxos: *const ringpax_paxos,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null(paxos, "paxos") }?;
        if !p.sim.config().trace {
            return Err(Failure::new(
                ringpax_status::InvalidArgument,
                "tracing is off: create the cluster with ringpax_paxos_new_with and options.trace",
            ));
        }
        let label = |v: &Vec<u8>| Label(format!("'{}'", v.escape_ascii()));
        let events: Vec<_> = p.sim.trace().iter().map(|e| e.map_values(&label)).collect();
        let chart = trace::render_named(p.size as usize, &p.names, &events);
        // SAFETY: as documented above.
        unsafe { write_bytes(chart.as_bytes(), out.cast(), cap, out_len) }
    })
}

/// Copy the chosen value into `out` (`cap` bytes, may be NULL to get the length only) and its
/// length into `*out_len` (may be NULL). Errors: `NOT_DECIDED`, `BUFFER_TOO_SMALL`,
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_chosen(
    paxos: *const ringpax_paxos,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null(paxos, "paxos") }?;
        let chosen = p.sim.chosen().ok_or_else(|| {
            Failure::new(ringpax_status::NotDecided, "no value has been chosen yet")
        })?;
        // SAFETY: as documented above.
        unsafe { write_bytes(chosen, out, cap, out_len) }
    })
}

/// Write the state of node `name` to `*state_out`. Errors: `UNKNOWN_MEMBER`, `INVALID_UTF8`,
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_status(
    paxos: *const ringpax_paxos,
    name: *const c_char,
    name_len: usize,
    state_out: *mut ringpax_paxos_state,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null(paxos, "paxos") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let out = unsafe { non_null_mut(state_out, "state_out") }?;
        let id = p.node_id(name)?;
        *out = match p.sim.status(id)? {
            NodeStatus::Idle => ringpax_paxos_state::Idle,
            NodeStatus::Promised(_) => ringpax_paxos_state::Promise,
            NodeStatus::Accepted(..) => ringpax_paxos_state::Accept,
            NodeStatus::Down => ringpax_paxos_state::Down,
        };
        Ok(())
    })
}

/// Set the network's faults: each message is lost with probability `drop`, otherwise delivered
/// after `delay_min..=delay_max` ticks (a spread reorders messages), and duplicated with
/// probability `duplicate`. Errors: `INVALID_ARGUMENT` (probabilities outside `[0, 1]`,
/// `delay_min == 0` or `delay_max < delay_min`), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_set_network(
    paxos: *mut ringpax_paxos,
    drop: f64,
    duplicate: f64,
    delay_min: u64,
    delay_max: u64,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null_mut(paxos, "paxos") }?;
        p.sim.set_network(Network {
            drop,
            duplicate,
            delay_min,
            delay_max,
        })?;
        Ok(())
    })
}

/// Crash node `name`: it keeps only its persisted acceptor state; messages to it are lost until
/// it restarts. No-op if already down. Errors: `UNKNOWN_MEMBER`, `INVALID_UTF8`,
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_crash(
    paxos: *mut ringpax_paxos,
    name: *const c_char,
    name_len: usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null_mut(paxos, "paxos") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let id = p.node_id(name)?;
        Ok(p.sim.crash(id)?)
    })
}

/// Restart crashed node `name` from its persisted state. No-op if up. Errors: `UNKNOWN_MEMBER`,
/// `INVALID_UTF8`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_restart(
    paxos: *mut ringpax_paxos,
    name: *const c_char,
    name_len: usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null_mut(paxos, "paxos") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let id = p.node_id(name)?;
        Ok(p.sim.restart(id)?)
    })
}

/// Split the network: node `names[i]` (`name_lens[i]` bytes of UTF-8) goes to group `groups[i]`
/// (any numbers; equal numbers share a group); nodes not listed form one more group. Nodes in
/// different groups cannot talk. Replaces any earlier partition. The arrays have `count`
/// entries and are read during the call only (NULL allowed when `count` is 0, which heals).
/// Errors: `UNKNOWN_MEMBER`, `INVALID_ARGUMENT` (a node listed twice), `INVALID_UTF8`,
/// `NULL_ARGUMENT`; the partition is unchanged on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_partition(
    paxos: *mut ringpax_paxos,
    names: *const *const c_char,
    name_lens: *const usize,
    groups: *const u32,
    count: usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null_mut(paxos, "paxos") }?;
        if count == 0 {
            p.sim.heal();
            return Ok(());
        }
        if names.is_null() || name_lens.is_null() || groups.is_null() {
            return Err(Failure::new(
                ringpax_status::NullArgument,
                "names, name_lens or groups is NULL",
            ));
        }
        // SAFETY: each array has `count` entries per the contract.
        let (names, lens, groups) = unsafe {
            (
                std::slice::from_raw_parts(names, count),
                std::slice::from_raw_parts(name_lens, count),
                std::slice::from_raw_parts(groups, count),
            )
        };
        let mut by_group: BTreeMap<u32, Vec<NodeId>> = BTreeMap::new();
        for i in 0..count {
            // SAFETY: each name is valid for its length per the contract.
            let name = unsafe { utf8(names[i].cast(), lens[i], "a name") }?;
            by_group
                .entry(groups[i])
                .or_default()
                .push(p.node_id(name)?);
        }
        let groups: Vec<Vec<NodeId>> = by_group.into_values().collect();
        Ok(p.sim.partition(&groups)?)
    })
}

/// Remove all partitions. Errors: `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_heal(paxos: *mut ringpax_paxos) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null_mut(paxos, "paxos") }?;
        p.sim.heal();
        Ok(())
    })
}

/// Write the counters to `*stats_out`. Errors: `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_stats(
    paxos: *const ringpax_paxos,
    stats_out: *mut ringpax_paxos_counters,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let p = unsafe { non_null(paxos, "paxos") }?;
        let out = unsafe { non_null_mut(stats_out, "stats_out") }?;
        let s = p.sim.stats();
        *out = ringpax_paxos_counters {
            rounds: s.rounds,
            sent: s.sent,
            delivered: s.delivered,
            dropped: s.dropped,
            duplicated: s.duplicated,
            timeouts: s.timeouts,
            learned: s.learned,
            crashes: s.crashes,
            restarts: s.restarts,
            ticks: s.ticks,
        };
        Ok(())
    })
}

// ---- the sans-IO node --------------------------------------------------------------------------

/// One Paxos node (acceptor, proposer and learner) for a program with its own network, timers
/// and disk. Opaque: create with `ringpax_paxos_node_new`, destroy with
/// `ringpax_paxos_node_free`.
///
/// Each input (`_propose`, `_receive`, `_timeout`) is one step; its `ringpax_paxos_step` says
/// what to do, in this order: (1) if `persist`, durably store the bytes of
/// `ringpax_paxos_node_state` before sending anything; after a crash, pass them to
/// `ringpax_paxos_node_new` to restart; (2) send the step's `messages` (fetch each with
/// `ringpax_paxos_node_message`; loss, duplication and reordering are fine); (3) if
/// `has_timeout`, arm a timer for between `timeout_min_ticks` and `timeout_max_ticks` of your
/// ticks (pick at random in that range) and call `ringpax_paxos_node_timeout` with
/// `timeout_token` when it fires (a stale token is ignored); (4) if `learned`, the chosen value
/// is available from `ringpax_paxos_node_learned`. A step's messages are valid until the next
/// input.
pub struct ringpax_paxos_node {
    node: Node<Vec<u8>>,
    out: Output<Vec<u8>>,
    /// The encoded messages of the last step, back to back.
    wire: Vec<u8>,
    /// `(to, start, end)` of each message in `wire`.
    spans: Vec<(NodeId, usize, usize)>,
}

/// What a `ringpax_paxos_node` wants done after one input (see `ringpax_paxos_node`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ringpax_paxos_step {
    /// Persist `ringpax_paxos_node_state` before sending any message of this step.
    pub persist: bool,
    /// Number of messages to send, indexes `0..messages` of `ringpax_paxos_node_message`.
    pub messages: usize,
    /// Arm a timer.
    pub has_timeout: bool,
    /// Pass to `ringpax_paxos_node_timeout` when the timer fires.
    pub timeout_token: u64,
    /// Shortest delay, in your ticks.
    pub timeout_min_ticks: u64,
    /// Longest delay, in your ticks.
    pub timeout_max_ticks: u64,
    /// This step made the node learn the chosen value (`ringpax_paxos_node_learned`).
    pub learned: bool,
}

impl ringpax_paxos_node {
    fn step(&mut self, input: Input<Vec<u8>>) -> Result<ringpax_paxos_step, Failure> {
        self.out.clear();
        self.wire.clear();
        self.spans.clear();
        self.node.step(input, &mut self.out)?;
        for env in &self.out.send {
            let start = self.wire.len();
            wire::encode_envelope(env, &mut self.wire);
            self.spans.push((env.to, start, self.wire.len()));
        }
        let t = self.out.timeout;
        Ok(ringpax_paxos_step {
            persist: self.out.persist.is_some(),
            messages: self.spans.len(),
            has_timeout: t.is_some(),
            timeout_token: t.map_or(0, |t| t.token),
            timeout_min_ticks: t.map_or(0, |t| t.min_ticks),
            timeout_max_ticks: t.map_or(0, |t| t.max_ticks),
            learned: self.out.learned.is_some(),
        })
    }
}

/// Create node `id` of the cluster whose members are the `member_count` ids at `members` (any
/// order, `id` among them), with `quorum` acceptances per decision (0: a majority), and store it
/// in `*node_out`. To restart after a crash, pass the last persisted state bytes as `state`
/// (`state_len` bytes); NULL and 0 for a fresh node. The caller owns the node and must release
/// it with `ringpax_paxos_node_free`; the arrays are read during the call only.
/// Errors: `INVALID_ARGUMENT` (no members, a quorum that is not a majority or exceeds the
/// members), `DUPLICATE_MEMBER`, `UNKNOWN_MEMBER` (`id` not a member), `MALFORMED_MESSAGE` (bad
/// state bytes), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_node_new(
    id: u32,
    members: *const u32,
    member_count: usize,
    quorum: usize,
    state: *const u8,
    state_len: usize,
    node_out: *mut *mut ringpax_paxos_node,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let out = unsafe { non_null_mut(node_out, "node_out") }?;
        let members: &[u32] = if member_count == 0 {
            &[]
        } else if members.is_null() {
            return Err(Failure::new(
                ringpax_status::NullArgument,
                format!("members is NULL but member_count is {member_count}"),
            ));
        } else {
            // SAFETY: `members` has `member_count` entries per the contract.
            unsafe { std::slice::from_raw_parts(members, member_count) }
        };
        let state_bytes = unsafe { bytes(state, state_len, "state") }?;
        let mut config = Config::new(members.iter().copied())?;
        if quorum != 0 {
            config = config.with_quorum(quorum)?;
        }
        let state = if state_bytes.is_empty() {
            AcceptorState::new()
        } else {
            wire::decode_state(state_bytes)?
        };
        let node = Node::restore(id, config, state)?;
        *out = Box::into_raw(Box::new(ringpax_paxos_node {
            node,
            out: Output::new(),
            wire: Vec::new(),
            spans: Vec::new(),
        }));
        Ok(())
    })
}

/// Destroy a node made by `ringpax_paxos_node_new`. NULL is a no-op; freeing twice is undefined
/// behaviour.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_node_free(node: *mut ringpax_paxos_node) {
    // SAFETY: `node` is NULL or came from `ringpax_paxos_node_new`, freed once (above).
    unsafe { free_handle(node) }
}

/// Ask the node to get `value` (`value_len` bytes, copied) chosen; the first value given sticks.
/// What to do next goes to `*step_out` (may be NULL). Errors: `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_node_propose(
    node: *mut ringpax_paxos_node,
    value: *const u8,
    value_len: usize,
    step_out: *mut ringpax_paxos_step,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let n = unsafe { non_null_mut(node, "node") }?;
        let value = unsafe { bytes(value, value_len, "value") }?;
        let step = n.step(Input::Propose(value.to_vec()))?;
        // SAFETY: NULL or writable.
        unsafe { put(step_out, step) };
        Ok(())
    })
}

/// Handle one message received from the network (`len` bytes in the wire format, read during
/// the call only). What to do next goes to `*step_out` (may be NULL). On error the node is
/// unchanged and the step has no messages. Errors: `MALFORMED_MESSAGE`, `MISADDRESSED` (a
/// message for another node), `UNKNOWN_MEMBER` (a sender outside the cluster), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_node_receive(
    node: *mut ringpax_paxos_node,
    message: *const u8,
    len: usize,
    step_out: *mut ringpax_paxos_step,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let n = unsafe { non_null_mut(node, "node") }?;
        let message = unsafe { bytes(message, len, "message") }?;
        n.wire.clear();
        n.spans.clear();
        let env = wire::decode_envelope(message)?;
        let step = n.step(Input::Message(env))?;
        // SAFETY: NULL or writable.
        unsafe { put(step_out, step) };
        Ok(())
    })
}

/// The timer with `token` fired (stale tokens are ignored). What to do next goes to
/// `*step_out` (may be NULL). Errors: `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_node_timeout(
    node: *mut ringpax_paxos_node,
    token: u64,
    step_out: *mut ringpax_paxos_step,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let n = unsafe { non_null_mut(node, "node") }?;
        let step = n.step(Input::Timeout(token))?;
        // SAFETY: NULL or writable.
        unsafe { put(step_out, step) };
        Ok(())
    })
}

/// Message `index` (`0..step.messages`) of the last step: its destination node id goes to
/// `*to_out` (may be NULL), its wire bytes to `buf` (`cap` bytes; NULL to ask for the length
/// only) and their length to `*len_out` (may be NULL). Errors: `INVALID_ARGUMENT` (index out of
/// range), `BUFFER_TOO_SMALL` (`*len_out` still set), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_node_message(
    node: *const ringpax_paxos_node,
    index: usize,
    to_out: *mut u32,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let n = unsafe { non_null(node, "node") }?;
        let &(to, start, end) = n.spans.get(index).ok_or_else(|| {
            Failure::new(
                ringpax_status::InvalidArgument,
                format!(
                    "message index {index} is out of range (the last step has {} messages)",
                    n.spans.len()
                ),
            )
        })?;
        // SAFETY: as documented above.
        unsafe { write_bytes(&n.wire[start..end], buf, cap, len_out) }?;
        // SAFETY: NULL or writable.
        unsafe { put(to_out, to) };
        Ok(())
    })
}

/// The node's acceptor state in the wire format, into `buf` (`cap` bytes; NULL to ask for the
/// length only) with its length in `*len_out` (may be NULL). This is what a step with `persist`
/// asks you to store. Errors: `BUFFER_TOO_SMALL` (`*len_out` still set), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_node_state(
    node: *const ringpax_paxos_node,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let n = unsafe { non_null(node, "node") }?;
        let state = wire::state_to_bytes(n.node.acceptor().state());
        // SAFETY: as documented above.
        unsafe { write_bytes(&state, buf, cap, len_out) }
    })
}

/// The value this node learned was chosen, into `buf` (`cap` bytes; NULL to ask for the length
/// only) with its length in `*len_out` (may be NULL). Only a node whose ballot completed learns;
/// another node learns the decision by proposing. Errors: `NOT_DECIDED`, `BUFFER_TOO_SMALL`,
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_node_learned(
    node: *const ringpax_paxos_node,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let n = unsafe { non_null(node, "node") }?;
        let v = n.node.learned().ok_or_else(|| {
            Failure::new(
                ringpax_status::NotDecided,
                "this node has not learned a value",
            )
        })?;
        // SAFETY: as documented above.
        unsafe { write_bytes(v, buf, cap, len_out) }
    })
}

// ---- the wire format, field by field -----------------------------------------------------------

/// The kind of a Paxos message.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ringpax_paxos_kind {
    /// Phase 1a: a proposer asks acceptors to promise `ballot`.
    Prepare = 1,
    /// Phase 1b: an acceptor promised `ballot` (and reports what it accepted, if anything).
    Promise = 2,
    /// Phase 2a: a proposer asks acceptors to accept `value` in `ballot`.
    Accept = 3,
    /// Phase 2b: an acceptor accepted `value` in `ballot`.
    Accepted = 4,
    /// An acceptor refused `ballot` because it already promised `promised`.
    Nack = 5,
}

/// One Paxos message as plain fields: what `ringpax_paxos_message_decode` fills in and
/// `ringpax_paxos_message_encode` reads. Ballots are `(round, node)` pairs, ordered by round,
/// then node. Fields a kind does not use are ignored by `_encode` and zeroed by `_decode`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ringpax_paxos_message {
    /// The message kind, a `ringpax_paxos_kind` value (kept as an integer so that an unknown
    /// value is an error, not undefined behaviour).
    pub kind: u32,
    /// Sender node id.
    pub from: u32,
    /// Receiver node id.
    pub to: u32,
    /// The message's ballot: round.
    pub ballot_round: u64,
    /// The message's ballot: node.
    pub ballot_node: u32,
    /// Promise only: whether the acceptor had accepted a value (`accepted_*` and `value` then
    /// carry it).
    pub has_accepted: bool,
    /// Promise with `has_accepted`: the ballot of the accepted value, round.
    pub accepted_round: u64,
    /// Promise with `has_accepted`: the ballot of the accepted value, node.
    pub accepted_node: u32,
    /// Nack only: the higher ballot already promised, round.
    pub promised_round: u64,
    /// Nack only: the higher ballot already promised, node.
    pub promised_node: u32,
    /// Accept, Accepted, and Promise with `has_accepted`: the value bytes. After `_decode` this
    /// points into the caller's input bytes and is valid as long as they are; for `_encode` it
    /// is read during the call only (NULL allowed when `value_len` is 0).
    pub value: *const u8,
    /// Length of `value` in bytes.
    pub value_len: usize,
}

/// Decode one wire-format message (`len` bytes, read during the call) into `*message_out`,
/// written only on success; its `value` points into `bytes`. Malformed input (wrong version,
/// unknown kind, truncated, trailing bytes) returns `RINGPAX_STATUS_MALFORMED_MESSAGE` and
/// never reads past `len`. Errors: `MALFORMED_MESSAGE`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_message_decode(
    bytes_in: *const u8,
    len: usize,
    message_out: *mut ringpax_paxos_message,
) -> ringpax_status {
    use ringpax_core::paxos::Message;
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let input = unsafe { bytes(bytes_in, len, "bytes") }?;
        let out = unsafe { non_null_mut(message_out, "message_out") }?;
        let env = wire::decode_envelope::<Vec<u8>>(input)?;
        let mut m = ringpax_paxos_message {
            kind: ringpax_paxos_kind::Prepare as u32,
            from: env.from,
            to: env.to,
            ballot_round: env.msg.ballot().round,
            ballot_node: env.msg.ballot().node,
            has_accepted: false,
            accepted_round: 0,
            accepted_node: 0,
            promised_round: 0,
            promised_node: 0,
            value: std::ptr::null(),
            value_len: 0,
        };
        // Every value is the last field of its record, and trailing bytes are rejected, so a
        // value of `n` bytes is the input's last `n` bytes.
        let tail = |v: &Vec<u8>| input[input.len() - v.len()..].as_ptr();
        match &env.msg {
            Message::Prepare { .. } => {}
            Message::Promise { accepted, .. } => {
                m.kind = ringpax_paxos_kind::Promise as u32;
                if let Some((b, v)) = accepted {
                    m.has_accepted = true;
                    m.accepted_round = b.round;
                    m.accepted_node = b.node;
                    m.value = tail(v);
                    m.value_len = v.len();
                }
            }
            Message::Accept { value, .. } | Message::Accepted { value, .. } => {
                m.kind = if matches!(env.msg, Message::Accept { .. }) {
                    ringpax_paxos_kind::Accept as u32
                } else {
                    ringpax_paxos_kind::Accepted as u32
                };
                m.value = tail(value);
                m.value_len = value.len();
            }
            Message::Nack { promised, .. } => {
                m.kind = ringpax_paxos_kind::Nack as u32;
                m.promised_round = promised.round;
                m.promised_node = promised.node;
            }
        }
        *out = m;
        Ok(())
    })
}

/// Encode `*message` (read during the call) in the wire format into `buf` (`cap` bytes; NULL to
/// ask for the length only); the encoded length goes to `*len_out` (may be NULL), also when
/// `cap` is too small (`BUFFER_TOO_SMALL`). Errors: `INVALID_ARGUMENT` (an unknown kind, a
/// value longer than 4 GiB), `BUFFER_TOO_SMALL`, `NULL_ARGUMENT` (`message`, or `value` NULL with a length).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_paxos_message_encode(
    message: *const ringpax_paxos_message,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    use ringpax_core::paxos::{Ballot, Envelope, Message};
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null(message, "message") }?;
        let value = || -> Result<Vec<u8>, Failure> {
            if m.value_len > u32::MAX as usize {
                return Err(Failure::new(
                    ringpax_status::InvalidArgument,
                    format!("value of {} bytes is longer than 4 GiB", m.value_len),
                ));
            }
            // SAFETY: `value` is NULL or readable for `value_len` bytes, per the contract.
            Ok(unsafe { bytes(m.value, m.value_len, "value") }?.to_vec())
        };
        let ballot = Ballot {
            round: m.ballot_round,
            node: m.ballot_node,
        };
        const PREPARE: u32 = ringpax_paxos_kind::Prepare as u32;
        const PROMISE: u32 = ringpax_paxos_kind::Promise as u32;
        const ACCEPT: u32 = ringpax_paxos_kind::Accept as u32;
        const ACCEPTED: u32 = ringpax_paxos_kind::Accepted as u32;
        const NACK: u32 = ringpax_paxos_kind::Nack as u32;
        let msg = match m.kind {
            PREPARE => Message::Prepare { ballot },
            PROMISE => Message::Promise {
                ballot,
                accepted: if m.has_accepted {
                    Some((
                        Ballot {
                            round: m.accepted_round,
                            node: m.accepted_node,
                        },
                        value()?,
                    ))
                } else {
                    None
                },
            },
            ACCEPT => Message::Accept {
                ballot,
                value: value()?,
            },
            ACCEPTED => Message::Accepted {
                ballot,
                value: value()?,
            },
            NACK => Message::Nack {
                ballot,
                promised: Ballot {
                    round: m.promised_round,
                    node: m.promised_node,
                },
            },
            other => {
                return Err(Failure::new(
                    ringpax_status::InvalidArgument,
                    format!("unknown message kind {other} (expected 1..=5, ringpax_paxos_kind)"),
                ));
            }
        };
        let env = Envelope {
            from: m.from,
            to: m.to,
            msg,
        };
        let encoded = wire::envelope_to_bytes(&env);
        // SAFETY: buffer validity is the caller's contract.
        unsafe { write_bytes(&encoded, buf, cap, len_out) }
    })
}
