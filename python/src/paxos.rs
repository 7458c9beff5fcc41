//! The Paxos classes of `ringpax._native`: the simulator behind the article's `Paxos`
//! (`PaxosSim`), the sans-IO node over the wire format (`PaxosNode`), the rules behind the
//! composable_paxos-compatible classes (`paxos_compare`, `paxos_acceptor_receive`) and the soak
//! runner (`paxos_soak`).
//!
//! Python objects never enter the core. The simulator runs on `u64` value ids (a table of the
//! proposed Python values, equal values sharing one id); the sans-IO node carries `bytes`; the
//! composable rules see ballots whose node ids are the ranks of the uids involved in one step.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};
use ringpax_core::paxos::{
    Acceptor, AcceptorState, Ballot, Config, Envelope, Input, Message, Mutation, Node, NodeId,
    Output, wire,
};
use ringpax_core::sim::trace::Label;
use ringpax_core::sim::{
    Network, NodeStatus, Scenario, Sim, SimConfig, SimError, TraceEvent, trace,
};

use crate::errors;

/// Add this module's classes and functions to `ringpax._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PaxosSim>()?;
    m.add_class::<PaxosNode>()?;
    m.add_function(wrap_pyfunction!(paxos_compare, m)?)?;
    m.add_function(wrap_pyfunction!(paxos_acceptor_receive, m)?)?;
    m.add_function(wrap_pyfunction!(paxos_soak, m)?)?;
    m.add("WIRE_VERSION", wire::WIRE_VERSION)?;
    Ok(())
}

// ---- argument checking -------------------------------------------------------------------------

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// An int in `lo..=hi`: `TypeError` for anything but an int, `InvalidArgumentError` out of range.
fn int_arg(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str, lo: u64, hi: u64) -> PyResult<u64> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            type_name(obj)
        )));
    }
    match obj.extract::<u64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(errors::invalid(
            py,
            format!("{what} must be in {lo}..={hi}, got {}", obj.repr()?),
        )),
    }
}

/// A probability in `[0, 1]` (int or float).
fn probability(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    if obj.is_instance_of::<PyBool>()
        || !(obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>())
    {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a float, not {}",
            type_name(obj)
        )));
    }
    let p: f64 = obj.extract()?;
    if !(0.0..=1.0).contains(&p) {
        return Err(errors::invalid(
            py,
            format!("{what} must be a probability in [0, 1], got {p}"),
        ));
    }
    Ok(p)
}

fn mutation_arg(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Mutation> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Mutation::None);
    };
    let name = obj.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "_mutation must be a str or None, not {}",
            type_name(obj)
        ))
    })?;
    match name.to_str()? {
        "none" => Ok(Mutation::None),
        "acceptor_ignores_promise" => Ok(Mutation::AcceptorIgnoresPromise),
        "proposer_ignores_accepted" => Ok(Mutation::ProposerIgnoresAccepted),
        other => Err(errors::invalid(
            py,
            format!(
                "unknown mutation {other:?} (expected 'acceptor_ignores_promise' or \
                 'proposer_ignores_accepted')"
            ),
        )),
    }
}

/// One-way delays are drawn from `1..=delay_max`; `reorder` in `[0, 1]` widens that range to at
/// most 10 ticks, and the wider it is, the more often a message overtakes an earlier one.
fn delay_max_for(reorder: f64) -> u64 {
    1 + (reorder * 9.0).ceil() as u64
}

fn bytes_arg<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<&'a [u8]> {
    obj.cast::<PyBytes>()
        .map(|b| b.as_bytes())
        .map_err(|_| PyTypeError::new_err(format!("{what} must be bytes, not {}", type_name(obj))))
}

// ---- the simulator -----------------------------------------------------------------------------

/// Up to this many keys, a key table is searched linearly (hash first, then `==`) instead of
/// through a dict: a simulation usually holds a handful of names and one or two values, and a
/// dict per table costs more to build and free than those few comparisons.
const LINEAR_MAX: usize = 16;

/// Dict lookup rules over a short list: the key itself, or an equal hash and `==` (the stored
/// key on the left, as a dict compares). Errors from `==` propagate, as from a dict.
fn find_linear<'a, T: 'a>(
    py: Python<'_>,
    entries: impl IntoIterator<Item = (&'a Py<T>, isize, u64)>,
    key: &Bound<'_, PyAny>,
    hash: isize,
) -> PyResult<Option<u64>> {
    for (k, h, id) in entries {
        let k = k.bind(py).as_any();
        if k.is(key) || (h == hash && k.eq(key)?) {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// The Python values proposed to one simulation, by id. Hashable values are found the way a
/// dict finds keys (by a dict once there are more than [`LINEAR_MAX`] of them), unhashable ones
/// by `==` against the earlier unhashable values.
struct Values {
    objects: Vec<Py<PyAny>>,
    /// `(hash, id)` of each hashable value, while there is no `hashable` dict.
    hashes: Vec<(isize, u64)>,
    hashable: Option<Py<PyDict>>,
    unhashable: Vec<u64>,
}

impl Values {
    fn new() -> Values {
        Values {
            objects: Vec::new(),
            hashes: Vec::new(),
            hashable: None,
            unhashable: Vec::new(),
        }
    }

    /// The id of a hashable value equal to `value`, if any (errors as a dict lookup's).
    fn find_hashable(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
        match &self.hashable {
            Some(dict) => match dict.bind(py).get_item(value)? {
                Some(id) => Ok(Some(id.extract()?)),
                None => Ok(None),
            },
            None => {
                let hash = value.hash()?;
                let entries = self
                    .hashes
                    .iter()
                    .map(|&(h, id)| (&self.objects[id as usize], h, id));
                find_linear(py, entries, value, hash)
            }
        }
    }

    fn add_hashable(&mut self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<u64> {
        let id = self.objects.len() as u64;
        match &self.hashable {
            Some(dict) => dict.bind(py).set_item(value, id)?,
            None if self.hashes.len() < LINEAR_MAX => self.hashes.push((value.hash()?, id)),
            None => {
                let dict = PyDict::new(py);
                for &(_, old) in &self.hashes {
                    dict.set_item(self.objects[old as usize].bind(py), old)?;
                }
                dict.set_item(value, id)?;
                self.hashes = Vec::new();
                self.hashable = Some(dict.unbind());
            }
        }
        self.objects.push(value.clone().unbind());
        Ok(id)
    }

    fn intern(&mut self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<u64> {
        match self.find_hashable(py, value) {
            Ok(Some(id)) => Ok(id),
            Ok(None) => self.add_hashable(py, value),
            Err(e) if e.is_instance_of::<PyTypeError>(py) => {
                for &id in &self.unhashable {
                    if self.objects[id as usize].bind(py).eq(value)? {
                        return Ok(id);
                    }
                }
                let id = self.objects.len() as u64;
                self.objects.push(value.clone().unbind());
                self.unhashable.push(id);
                Ok(id)
            }
            Err(e) => Err(e),
        }
    }

    /// The value with this id (`None` only after the garbage collector cleared a cycle).
    fn get(&self, py: Python<'_>, id: u64) -> Py<PyAny> {
        self.objects
            .get(id as usize)
            .map_or_else(|| py.None(), |o| o.clone_ref(py))
    }
}

/// A simulated Paxos cluster of `n` named nodes (`ringpax.paxos.Paxos` adds the Python sugar).
#[pyclass(subclass, module = "ringpax._native")]
pub struct PaxosSim {
    /// Boxed: the Python object stays small (pymalloc-sized) and is built without copying the
    /// whole simulator through each layer of construction.
    sim: Box<Sim<u64>>,
    size: u32,
    reorder: f64,
    names: Vec<Py<PyString>>,
    /// The hash of each name (str caches it), while there is no `ids` dict.
    name_hashes: Vec<isize>,
    /// `{name: node id}`, once there are more than [`LINEAR_MAX`] names.
    ids: Option<Py<PyDict>>,
    values: Values,
}

impl PaxosSim {
    fn node_id(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<NodeId> {
        if !name.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(format!(
                "node name must be str, not {}",
                type_name(name)
            )));
        }
        match self.find_name(py, name)? {
            Some(id) => Ok(id),
            None => Err(errors::raise(
                py,
                "UnknownNodeError",
                format!(
                    "node {} is not in the cluster (nodes: {})",
                    name.repr()?,
                    self.nodes(py)?.repr()?
                ),
            )),
        }
    }

    /// The id of the node named `name` (a str), if any: dict lookup rules.
    fn find_name(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<Option<NodeId>> {
        match &self.ids {
            Some(ids) => match ids.bind(py).get_item(name)? {
                Some(id) => Ok(Some(id.extract()?)),
                None => Ok(None),
            },
            None => {
                let hash = name.hash()?;
                let entries = self
                    .names
                    .iter()
                    .zip(&self.name_hashes)
                    .enumerate()
                    .map(|(i, (n, &h))| (n, h, i as u64));
                Ok(find_linear(py, entries, name, hash)?.map(|id| id as NodeId))
            }
        }
    }

    /// The repr of node `id`'s name, for messages.
    fn label(&self, py: Python<'_>, id: NodeId) -> String {
        self.names
            .get(id as usize)
            .and_then(|n| n.bind(py).repr().ok())
            .map_or_else(|| format!("#{id}"), |r| r.to_string())
    }

    fn require_complete(&self, py: Python<'_>) -> PyResult<()> {
        let added = self.names.len() as u32;
        if added < self.size {
            return Err(errors::raise(
                py,
                "ClusterIncompleteError",
                format!(
                    "only {added} of {} nodes added: call add_node() for the other {} before \
                     proposing (Paxos({}) needs all of its nodes)",
                    self.size,
                    self.size - added,
                    self.size
                ),
            ));
        }
        Ok(())
    }

    fn require_up(&self, py: Python<'_>, id: NodeId) -> PyResult<()> {
        if self.sim.is_up(id).unwrap_or(false) {
            return Ok(());
        }
        Err(errors::raise(
            py,
            "NodeDownError",
            format!(
                "node {} is down: restart() it or propose through another node",
                self.label(py, id)
            ),
        ))
    }

    /// A simulator error, with node ids replaced by names.
    fn err(&self, py: Python<'_>, e: SimError) -> PyErr {
        match e {
            SimError::NodeDown(id) => errors::raise(
                py,
                "NodeDownError",
                format!("node {} is down", self.label(py, id)),
            ),
            SimError::DuplicateInPartition(id) => errors::invalid(
                py,
                format!(
                    "node {} appears in more than one partition group",
                    self.label(py, id)
                ),
            ),
            SimError::UnknownNode(id) => errors::raise(
                py,
                "UnknownNodeError",
                format!("node {} is not in the cluster", self.label(py, id)),
            ),
            other => errors::sim(py, other),
        }
    }

    /// Run until the network is quiet. A proposer cut off from a majority may keep retrying
    /// until the round bound; that does not undo a decision, so it is not an error here.
    fn settle(&mut self, py: Python<'_>) -> PyResult<()> {
        match self.sim.run_until_quiet() {
            Ok(_) | Err(SimError::NoQuorum { .. }) => Ok(()),
            Err(e) => Err(self.err(py, e)),
        }
    }

    fn network(&self, drop: f64, duplicate: f64, reorder: f64) -> Network {
        Network {
            drop,
            duplicate,
            delay_min: 1,
            delay_max: delay_max_for(reorder),
        }
    }
}

#[pymethods]
impl PaxosSim {
    #[new]
    #[pyo3(
        signature = (n, *, seed = None, drop = None, duplicate = None, reorder = None,
                     max_rounds = None, trace = true, _mutation = None),
        text_signature = "(n, *, seed=0, drop=0.0, duplicate=0.0, reorder=0.0, max_rounds=1000, \
                          trace=True, _mutation=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        n: &Bound<'_, PyAny>,
        seed: Option<&Bound<'_, PyAny>>,
        drop: Option<&Bound<'_, PyAny>>,
        duplicate: Option<&Bound<'_, PyAny>>,
        reorder: Option<&Bound<'_, PyAny>>,
        max_rounds: Option<&Bound<'_, PyAny>>,
        trace: bool,
        _mutation: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let size = int_arg(py, n, "n", 1, 10_000)? as u32;
        let seed = match seed {
            Some(s) => int_arg(py, s, "seed", 0, u64::MAX)?,
            None => 0,
        };
        let prob = |o: Option<&Bound<'_, PyAny>>, what| match o {
            Some(o) => probability(py, o, what),
            None => Ok(0.0),
        };
        let (drop, duplicate, reorder) = (
            prob(drop, "drop")?,
            prob(duplicate, "duplicate")?,
            prob(reorder, "reorder")?,
        );
        let mut config = SimConfig::new(size, seed);
        config.network = Network {
            drop,
            duplicate,
            delay_min: 1,
            delay_max: delay_max_for(reorder),
        };
        config.max_rounds = match max_rounds {
            Some(m) => int_arg(py, m, "max_rounds", 1, u32::MAX as u64)?,
            None => 1000,
        };
        config.trace = trace;
        config.mutation = mutation_arg(py, _mutation)?;
        let sim = Sim::new_boxed(config).map_err(|e| errors::sim(py, e))?;
        Ok(PaxosSim {
            sim,
            size,
            reorder,
            names: Vec::with_capacity((size as usize).min(LINEAR_MAX)),
            name_hashes: Vec::with_capacity((size as usize).min(LINEAR_MAX)),
            ids: None,
            values: Values::new(),
        })
    }

    /// Number of acceptors.
    #[getter]
    fn n(&self) -> u32 {
        self.size
    }

    /// Acceptances needed for a decision (`n // 2 + 1`).
    #[getter]
    fn quorum(&self) -> usize {
        self.sim.paxos_config().quorum()
    }

    /// The seed of the simulation's one random number generator.
    #[getter]
    fn seed(&self) -> u64 {
        self.sim.seed()
    }

    /// Names added so far, in order (the first is the default proposer).
    #[getter]
    fn nodes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.names.iter().map(|n| n.bind(py)))
    }

    /// Name the next acceptor.
    fn add_node(&mut self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<()> {
        let s = name.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!("node name must be str, not {}", type_name(name)))
        })?;
        if s.to_str()?.is_empty() {
            return Err(errors::invalid(py, "node name must not be empty".into()));
        }
        if self.find_name(py, s.as_any())?.is_some() {
            return Err(errors::raise(
                py,
                "DuplicateNodeError",
                format!("node {} is already in the cluster", s.repr()?),
            ));
        }
        let id = self.names.len() as u32;
        if id >= self.size {
            return Err(errors::invalid(
                py,
                format!(
                    "the cluster already has all {} nodes (Paxos({})); cannot add {}",
                    self.size,
                    self.size,
                    s.repr()?
                ),
            ));
        }
        match &self.ids {
            Some(ids) => ids.bind(py).set_item(s, id)?,
            None if self.names.len() < LINEAR_MAX => self.name_hashes.push(s.hash()?),
            None => {
                let ids = PyDict::new(py);
                for (i, n) in self.names.iter().enumerate() {
                    ids.set_item(n.bind(py), i as NodeId)?;
                }
                ids.set_item(s, id)?;
                self.name_hashes = Vec::new();
                self.ids = Some(ids.unbind());
            }
        }
        self.names.push(s.clone().unbind());
        Ok(())
    }

    /// Get `value` chosen, proposing through `proposer` (default: the first node added); returns
    /// the chosen value once the network is quiet.
    #[pyo3(signature = (value, *, proposer = None))]
    fn propose(
        &mut self,
        py: Python<'_>,
        value: &Bound<'_, PyAny>,
        proposer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        self.require_complete(py)?;
        let node = match proposer {
            Some(p) if !p.is_none() => self.node_id(py, p)?,
            _ => 0,
        };
        self.require_up(py, node)?;
        let id = self.values.intern(py, value)?;
        let chosen = self.sim.propose(node, id).map_err(|e| self.err(py, e))?;
        self.settle(py)?;
        Ok(self.values.get(py, chosen))
    }

    /// Several proposers at once (`{node: value}`); returns the chosen value.
    fn contend(&mut self, py: Python<'_>, proposals: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.require_complete(py)?;
        let dict = proposals.cast::<PyDict>().map_err(|_| {
            PyTypeError::new_err(format!(
                "contend takes a dict {{node: value}}, not {}",
                type_name(proposals)
            ))
        })?;
        if dict.is_empty() {
            return Err(errors::invalid(
                py,
                "contend needs at least one {node: value}".into(),
            ));
        }
        let mut pairs = Vec::with_capacity(dict.len());
        for (node, value) in dict.iter() {
            let id = self.node_id(py, &node)?;
            self.require_up(py, id)?;
            pairs.push((id, self.values.intern(py, &value)?));
        }
        let chosen = self.sim.contend(&pairs).map_err(|e| self.err(py, e))?;
        self.settle(py)?;
        Ok(self.values.get(py, chosen))
    }

    /// `{name: state}`: `'accept'` (has accepted a proposal), `'promise'` (promised, nothing
    /// accepted), `'idle'` or `'down'`.
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (i, name) in self.names.iter().enumerate() {
            let state = match self.sim.status(i as NodeId).map_err(|e| self.err(py, e))? {
                NodeStatus::Accepted(..) => intern!(py, "accept"),
                NodeStatus::Promised(_) => intern!(py, "promise"),
                NodeStatus::Idle => intern!(py, "idle"),
                NodeStatus::Down => intern!(py, "down"),
            };
            d.set_item(name.bind(py), state)?;
        }
        Ok(d)
    }

    /// The chosen value (a quorum accepted it in one ballot), or `None`.
    #[getter]
    fn chosen(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.sim.chosen().map(|&id| self.values.get(py, id))
    }

    /// `{name: value}` of what each node learned (`None`: nothing yet). Only proposers learn.
    fn learned<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (i, name) in self.names.iter().enumerate() {
            let v = self
                .sim
                .learned(i as NodeId)
                .map_err(|e| self.err(py, e))?
                .map(|&id| self.values.get(py, id));
            d.set_item(name.bind(py), v)?;
        }
        Ok(d)
    }

    /// Safety violations the checker found (always empty without a test mutation).
    #[getter]
    fn violations(&self) -> Vec<String> {
        self.sim
            .violations()
            .iter()
            .map(|v| v.to_string())
            .collect()
    }

    /// Crash `node`: it keeps only its persisted acceptor state.
    fn crash(&mut self, py: Python<'_>, node: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = self.node_id(py, node)?;
        self.sim.crash(id).map_err(|e| self.err(py, e))
    }

    /// Restart a crashed `node` from its persisted state.
    fn restart(&mut self, py: Python<'_>, node: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = self.node_id(py, node)?;
        self.sim.restart(id).map_err(|e| self.err(py, e))
    }

    /// Split the network into groups of names (a str is a group of one); nodes not listed form
    /// one more group. Replaces any earlier partition.
    #[pyo3(signature = (*groups))]
    fn partition(&mut self, py: Python<'_>, groups: &Bound<'_, PyTuple>) -> PyResult<()> {
        let mut ids = Vec::with_capacity(groups.len());
        for group in groups.iter() {
            let members = if group.is_instance_of::<PyString>() {
                vec![self.node_id(py, &group)?]
            } else {
                let items = group.try_iter().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "a partition group must be a node name or an iterable of names, not {}",
                        type_name(&group)
                    ))
                })?;
                let mut members = Vec::new();
                for item in items {
                    members.push(self.node_id(py, &item?)?);
                }
                members
            };
            ids.push(members);
        }
        self.sim.partition(&ids).map_err(|e| self.err(py, e))
    }

    /// Remove all partitions.
    fn heal(&mut self) {
        self.sim.heal();
    }

    /// Change the fault knobs (unchanged when `None`).
    #[pyo3(signature = (*, drop = None, duplicate = None, reorder = None))]
    fn set_network(
        &mut self,
        py: Python<'_>,
        drop: Option<&Bound<'_, PyAny>>,
        duplicate: Option<&Bound<'_, PyAny>>,
        reorder: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let now = self.sim.config().network;
        let drop = drop.map_or(Ok(now.drop), |d| probability(py, d, "drop"))?;
        let duplicate = duplicate.map_or(Ok(now.duplicate), |d| probability(py, d, "duplicate"))?;
        let reorder = reorder.map_or(Ok(self.reorder), |r| probability(py, r, "reorder"))?;
        let net = self.network(drop, duplicate, reorder);
        self.sim.set_network(net).map_err(|e| self.err(py, e))?;
        self.reorder = reorder;
        Ok(())
    }

    /// `(drop, duplicate, reorder)` now.
    #[getter]
    fn network_knobs(&self) -> (f64, f64, f64) {
        let net = self.sim.config().network;
        (net.drop, net.duplicate, self.reorder)
    }

    /// Counters: `(rounds, sent, delivered, dropped, duplicated, timeouts, learned, crashes,
    /// restarts, ticks)`.
    #[getter]
    fn stats(&self) -> (u64, u64, u64, u64, u64, u64, u64, u64, u64, u64) {
        let s = self.sim.stats();
        (
            s.rounds,
            s.sent,
            s.delivered,
            s.dropped,
            s.duplicated,
            s.timeouts,
            s.learned,
            s.crashes,
            s.restarts,
            s.ticks,
        )
    }

    /// The run so far as a text message-sequence chart (lane `nI` is the I-th node added).
    fn trace(&self, py: Python<'_>) -> PyResult<String> {
        let labels: Vec<String> = self
            .values
            .objects
            .iter()
            .map(|o| o.bind(py).repr().map(|r| r.to_string()))
            .collect::<PyResult<_>>()?;
        let l = |id: &u64| Label(labels.get(*id as usize).cloned().unwrap_or_default());
        let events: Vec<TraceEvent<Label>> =
            self.sim.trace().iter().map(|e| e.map_values(&l)).collect();
        let names: Vec<String> = self
            .names
            .iter()
            .map(|n| n.bind(py).to_str().map(str::to_owned))
            .collect::<PyResult<_>>()?;
        Ok(trace::render_named(self.size as usize, &names, &events))
    }

    // Proposed values may refer back to the simulation: let the garbage collector see them.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for o in &self.values.objects {
            visit.call(o)?;
        }
        if let Some(d) = &self.values.hashable {
            visit.call(d)?;
        }
        if let Some(d) = &self.ids {
            visit.call(d)?;
        }
        for n in &self.names {
            visit.call(n)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.values.objects.clear();
        self.values.hashes.clear();
        self.values.unhashable.clear();
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let class = slf.get_type().name()?;
        let this = slf.borrow();
        let chosen = match this.sim.chosen() {
            Some(&id) => this
                .values
                .get(slf.py(), id)
                .bind(slf.py())
                .repr()?
                .to_string(),
            None => "None".into(),
        };
        Ok(format!(
            "{class}(n={}, nodes={}, chosen={chosen})",
            this.size,
            this.nodes(slf.py())?.repr()?
        ))
    }
}

// ---- the sans-IO node --------------------------------------------------------------------------

type PyOutput<'py> = (
    Option<Bound<'py, PyBytes>>,
    Bound<'py, PyList>,
    Option<(u64, u64, u64)>,
    Option<Bound<'py, PyBytes>>,
);

/// One node (acceptor, proposer and learner) for programs that bring their own network: feed it
/// wire-format bytes, send the bytes it returns, persist the state it returns first.
#[pyclass(subclass, module = "ringpax._native")]
pub struct PaxosNode {
    node: Node<Vec<u8>>,
    out: Output<Vec<u8>>,
}

impl PaxosNode {
    fn output<'py>(&mut self, py: Python<'py>) -> PyResult<PyOutput<'py>> {
        let persist = self
            .out
            .persist
            .take()
            .map(|s| PyBytes::new(py, &wire::state_to_bytes(&s)));
        let mut buf = Vec::new();
        let send = PyList::empty(py);
        for env in self.out.send.drain(..) {
            buf.clear();
            wire::encode_envelope(&env, &mut buf);
            send.append((env.to, PyBytes::new(py, &buf)))?;
        }
        let timeout = self
            .out
            .timeout
            .take()
            .map(|t| (t.token, t.min_ticks, t.max_ticks));
        let learned = self.out.learned.take().map(|v| PyBytes::new(py, &v));
        Ok((persist, send, timeout, learned))
    }

    fn step<'py>(&mut self, py: Python<'py>, input: Input<Vec<u8>>) -> PyResult<PyOutput<'py>> {
        self.out.clear();
        self.node
            .step(input, &mut self.out)
            .map_err(|e| errors::paxos(py, e))?;
        self.output(py)
    }
}

#[pymethods]
impl PaxosNode {
    #[new]
    #[pyo3(signature = (id, members, *, quorum = None, state = None))]
    fn new(
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        members: &Bound<'_, PyAny>,
        quorum: Option<&Bound<'_, PyAny>>,
        state: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let id = int_arg(py, id, "id", 0, u32::MAX as u64)? as NodeId;
        let mut ids = Vec::new();
        for m in members.try_iter()? {
            ids.push(int_arg(py, &m?, "a member id", 0, u32::MAX as u64)? as NodeId);
        }
        let mut config = Config::new(ids).map_err(|e| errors::paxos(py, e))?;
        if let Some(q) = quorum.filter(|q| !q.is_none()) {
            let q = int_arg(py, q, "quorum", 0, u32::MAX as u64)? as usize;
            config = config.with_quorum(q).map_err(|e| errors::paxos(py, e))?;
        }
        let state = match state.filter(|s| !s.is_none()) {
            Some(s) => {
                wire::decode_state(bytes_arg(s, "state")?).map_err(|e| errors::paxos(py, e))?
            }
            None => AcceptorState::new(),
        };
        let node = Node::restore(id, config, state).map_err(|e| errors::paxos(py, e))?;
        Ok(PaxosNode {
            node,
            out: Output::new(),
        })
    }

    /// This node's id.
    #[getter]
    fn id(&self) -> NodeId {
        self.node.id()
    }

    /// Member ids, ascending.
    #[getter]
    fn members(&self) -> Vec<NodeId> {
        self.node.config().members().to_vec()
    }

    /// Acceptances needed for a decision.
    #[getter]
    fn quorum(&self) -> usize {
        self.node.config().quorum()
    }

    /// The chosen value, once this node learned it.
    #[getter]
    fn learned<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.node.learned().map(|v| PyBytes::new(py, v))
    }

    /// The acceptor state, encoded (what the last output asked to persist, or the initial one).
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &wire::state_to_bytes(self.node.acceptor().state()))
    }

    /// True while the proposer has a ballot in flight or a retry pending.
    #[getter]
    fn active(&self) -> bool {
        self.node.is_active()
    }

    /// Ask this node to get `value` chosen.
    fn propose<'py>(
        &mut self,
        py: Python<'py>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<PyOutput<'py>> {
        let v = bytes_arg(value, "value")?.to_vec();
        self.step(py, Input::Propose(v))
    }

    /// Handle one encoded message from the network.
    fn receive<'py>(
        &mut self,
        py: Python<'py>,
        message: &Bound<'_, PyAny>,
    ) -> PyResult<PyOutput<'py>> {
        let env = wire::decode_envelope(bytes_arg(message, "message")?)
            .map_err(|e| errors::paxos(py, e))?;
        self.step(py, Input::Message(env))
    }

    /// The timer with this token fired.
    fn timeout<'py>(
        &mut self,
        py: Python<'py>,
        token: &Bound<'_, PyAny>,
    ) -> PyResult<PyOutput<'py>> {
        let token = int_arg(py, token, "token", 0, u64::MAX)?;
        self.step(py, Input::Timeout(token))
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let class = slf.get_type().name()?;
        let this = slf.borrow();
        Ok(format!(
            "{class}(id={}, members={:?}, quorum={})",
            this.node.id(),
            this.node.config().members(),
            this.node.config().quorum()
        ))
    }
}

// ---- composable_paxos rules --------------------------------------------------------------------

/// `None`, or a `(number, uid)` tuple as `(round, uid)`.
fn proposal<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
) -> PyResult<Option<(u64, Bound<'py, PyAny>)>> {
    if obj.is_none() {
        return Ok(None);
    }
    let t = obj
        .cast::<PyTuple>()
        .ok()
        .filter(|t| t.len() == 2)
        .ok_or_else(|| {
            PyTypeError::new_err(format!(
                "a proposal id must be a ProposalID(number, uid) or None, not {}",
                obj.repr()
                    .map_or_else(|_| type_name(obj), |r| r.to_string())
            ))
        })?;
    let number = t.get_item(0)?;
    let round = int_arg(py, &number, "a proposal number", 0, u64::MAX)?;
    Ok(Some((round, t.get_item(1)?)))
}

/// Ballots for proposal ids: the number is the round and the node id is the rank of the uid
/// among the uids given (by Python `==` and `<`), so ballots order exactly as the ids do.
fn ballots(ids: &[Option<(u64, Bound<'_, PyAny>)>]) -> PyResult<Vec<Option<Ballot>>> {
    let mut ranked: Vec<&Bound<'_, PyAny>> = Vec::with_capacity(ids.len());
    'ids: for (_, uid) in ids.iter().flatten() {
        for (i, u) in ranked.iter().enumerate() {
            if u.eq(uid)? {
                continue 'ids;
            }
            if uid.lt(*u)? {
                ranked.insert(i, uid);
                continue 'ids;
            }
        }
        ranked.push(uid);
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(match id {
            None => None,
            Some((round, uid)) => {
                let mut rank = 0;
                for (i, u) in ranked.iter().enumerate() {
                    if u.eq(uid)? {
                        rank = i;
                        break;
                    }
                }
                Some(Ballot::new(*round, rank as NodeId))
            }
        });
    }
    Ok(out)
}

/// Compare two proposal ids (`None` or `(number, uid)`) the way the core orders ballots: number
/// first, then uid; `None` below every id. Returns -1, 0 or 1.
#[pyfunction]
fn paxos_compare(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<i32> {
    let (a, b) = (proposal(py, a)?, proposal(py, b)?);
    // Only equal numbers need the uids ranked.
    let (x, y) = match (&a, &b) {
        (Some((ra, _)), Some((rb, _))) if ra == rb => {
            let v = ballots(&[a, b])?;
            (v[0], v[1])
        }
        _ => (
            a.map(|(r, _)| Ballot::new(r, 0)),
            b.map(|(r, _)| Ballot::new(r, 0)),
        ),
    };
    Ok(x.cmp(&y) as i32)
}

/// Run one `Prepare` (`accept=False`) or `Accept` (`accept=True`) for `proposal_id` through the
/// core acceptor restored from `(promised_id, accepted_id)`. Returns the reply kind
/// (`'promise'`, `'accepted'` or `'nack'`) and the promised id afterwards (one of the ids given).
#[pyfunction]
fn paxos_acceptor_receive<'py>(
    py: Python<'py>,
    promised_id: &Bound<'py, PyAny>,
    accepted_id: &Bound<'py, PyAny>,
    proposal_id: &Bound<'py, PyAny>,
    accept: bool,
) -> PyResult<(Bound<'py, PyString>, Bound<'py, PyAny>)> {
    let ids = [
        proposal(py, promised_id)?,
        proposal(py, accepted_id)?,
        proposal(py, proposal_id)?,
    ];
    if ids[2].is_none() {
        return Err(errors::raise(
            py,
            "InvalidMessageError",
            "the message has no proposal_id".into(),
        ));
    }
    let b = ballots(&ids)?;
    let ballot = b[2].unwrap_or_default();
    // Values are opaque to the acceptor: 0 stands for the accepted value, 1 for the new one.
    let state = AcceptorState {
        promised: b[0],
        accepted: b[1].map(|a| (a, 0u64)),
    };
    let mut acceptor = Acceptor::restore(0, state);
    let msg = if accept {
        Message::Accept { ballot, value: 1 }
    } else {
        Message::Prepare { ballot }
    };
    let out = acceptor
        .handle(&Envelope::new(1, 0, msg))
        .map_err(|e| errors::paxos(py, e))?;
    let kind = match out.send.first().map(|e| &e.msg) {
        Some(Message::Promise { .. }) => intern!(py, "promise"),
        Some(Message::Accepted { .. }) => intern!(py, "accepted"),
        _ => intern!(py, "nack"),
    };
    let promised = if acceptor.promised() == b[2] {
        proposal_id
    } else {
        promised_id
    };
    Ok((kind.clone(), promised.clone()))
}

// ---- soak --------------------------------------------------------------------------------------

/// Run the random scenarios of seeds `first_seed .. first_seed + count` (the core's
/// `Scenario::random`, the same mixes as the Rust 10,000-seed suite) with the GIL released.
/// Returns totals and the failing seeds as `(seed, kind, detail)`, kind one of `'violation'`,
/// `'no decision'` or `'check'`.
#[pyfunction]
#[pyo3(signature = (first_seed, count, *, mutation = None))]
fn paxos_soak<'py>(
    py: Python<'py>,
    first_seed: u64,
    count: u64,
    mutation: Option<&Bound<'_, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let mutation = mutation_arg(py, mutation)?;
    #[derive(Default)]
    struct Totals {
        decisions: u64,
        sent: u64,
        delivered: u64,
        dropped: u64,
        duplicated: u64,
        rounds: u64,
        crashes: u64,
        ticks: u64,
        failures: Vec<(u64, String, String)>,
    }
    let t = py.detach(|| {
        let mut t = Totals::default();
        for seed in first_seed..first_seed.saturating_add(count) {
            let scenario = Scenario::random(seed).with_mutation(mutation);
            match scenario.run() {
                Ok(report) => {
                    let st = report.stats;
                    t.decisions += 1;
                    t.sent += st.sent;
                    t.delivered += st.delivered;
                    t.dropped += st.dropped;
                    t.duplicated += st.duplicated;
                    t.rounds += st.rounds;
                    t.crashes += st.crashes;
                    t.ticks += st.ticks;
                    let proposed = scenario.proposals.iter().any(|p| p.2 == report.chosen);
                    if !proposed || !report.all_proposers_learned {
                        t.failures.push((
                            seed,
                            "check".into(),
                            format!(
                                "chose {} (proposed: {}), all proposers learned: {}",
                                report.chosen, proposed, report.all_proposers_learned
                            ),
                        ));
                    }
                }
                Err(SimError::Violation(v)) => {
                    t.failures
                        .push((seed, "violation".into(), format!("{:?}: {v}", v.kind)))
                }
                Err(e) => t.failures.push((seed, "no decision".into(), e.to_string())),
            }
        }
        t
    });
    let d = PyDict::new(py);
    d.set_item("seeds", count)?;
    d.set_item("decisions", t.decisions)?;
    d.set_item("sent", t.sent)?;
    d.set_item("delivered", t.delivered)?;
    d.set_item("dropped", t.dropped)?;
    d.set_item("duplicated", t.duplicated)?;
    d.set_item("rounds", t.rounds)?;
    d.set_item("crashes", t.crashes)?;
    d.set_item("ticks", t.ticks)?;
    d.set_item("failures", t.failures)?;
    Ok(d)
}
