//! `ringpax._native.ConsistentHash`: a tracked consistent-hash ring.
//!
//! Keys are `str` (hashed as UTF-8) or `bytes` (as is). Lookups borrow the key's bytes without
//! copying; node names are handed back as cached `str` objects, so `get` allocates nothing.
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use ringpax_core::ring::{DEFAULT_REPLICAS, Move, Ring, RingError, TrackedRing};

use crate::errors;

/// Batches at least this long are looked up with the GIL released.
const DETACH_BATCH: usize = 4096;

/// A tracked key, remembered as the Python type it came in as.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Key {
    Str(String),
    Bytes(Vec<u8>),
}

impl AsRef<[u8]> for Key {
    fn as_ref(&self) -> &[u8] {
        match self {
            Key::Str(s) => s.as_bytes(),
            Key::Bytes(b) => b,
        }
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// The bytes a key is hashed as, borrowed from the Python object.
fn key_bytes<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<&'a [u8]> {
    if let Ok(s) = obj.cast::<PyString>() {
        Ok(s.to_str()?.as_bytes())
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(b.as_bytes())
    } else {
        Err(PyTypeError::new_err(format!(
            "key must be str or bytes, not {}",
            type_name(obj)
        )))
    }
}

fn owned_key(obj: &Bound<'_, PyAny>) -> PyResult<Key> {
    if let Ok(s) = obj.cast::<PyString>() {
        Ok(Key::Str(s.to_str()?.to_owned()))
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(Key::Bytes(b.as_bytes().to_vec()))
    } else {
        Err(PyTypeError::new_err(format!(
            "key must be str or bytes, not {}",
            type_name(obj)
        )))
    }
}

fn key_to_py<'py>(py: Python<'py>, key: &Key) -> Bound<'py, PyAny> {
    match key {
        Key::Str(s) => PyString::new(py, s).into_any(),
        Key::Bytes(b) => PyBytes::new(py, b).into_any(),
    }
}

fn render_key(key: &Key) -> String {
    match key {
        Key::Str(s) => format!("{s:?}"),
        Key::Bytes(b) => format!("b{:?}", String::from_utf8_lossy(b)),
    }
}

fn node_name<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    obj.cast::<PyString>()
        .map_err(|_| {
            PyTypeError::new_err(format!("node name must be str, not {}", type_name(obj)))
        })?
        .to_str()
}

/// An integer argument in `1..=u32::MAX`, else `InvalidArgumentError` naming it.
fn positive_u32(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    what: &str,
    err: fn(i64) -> RingError,
) -> PyResult<u32> {
    if obj.is_instance_of::<pyo3::types::PyBool>() || !obj.is_instance_of::<pyo3::types::PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            type_name(obj)
        )));
    }
    match obj.extract::<i64>() {
        Ok(v) if v >= 1 && v <= u32::MAX as i64 => Ok(v as u32),
        Ok(v) => Err(errors::ring(py, err(v))),
        Err(_) => Err(errors::invalid(
            py,
            format!("{what} is out of range: {}", obj.repr()?),
        )),
    }
}

/// A consistent-hash ring that can also track keys and report migration plans.
#[pyclass(subclass, module = "ringpax._native")]
pub struct ConsistentHash {
    inner: TrackedRing<Key>,
    /// `str` objects of node names, by node index; rebuilt on every membership change.
    names: Vec<Py<PyString>>,
}

impl ConsistentHash {
    fn ring(&self) -> &Ring {
        self.inner.ring()
    }

    fn refresh_names(&mut self, py: Python<'_>) {
        self.names = self
            .inner
            .ring()
            .nodes()
            .map(|n| PyString::new(py, n).unbind())
            .collect();
    }

    fn moves_to_py<'py>(py: Python<'py>, moves: Vec<Move<Key>>) -> PyResult<Bound<'py, PyList>> {
        let items: Vec<Bound<'py, PyTuple>> = moves
            .into_iter()
            .map(|m| {
                PyTuple::new(
                    py,
                    [
                        key_to_py(py, &m.key),
                        PyString::new(py, &m.source).into_any(),
                        PyString::new(py, &m.target).into_any(),
                    ],
                )
            })
            .collect::<PyResult<_>>()?;
        PyList::new(py, items)
    }
}

#[pymethods]
impl ConsistentHash {
    #[new]
    #[pyo3(signature = (replicas = None, *nodes, weights = None))]
    fn new(
        py: Python<'_>,
        replicas: Option<&Bound<'_, PyAny>>,
        nodes: &Bound<'_, PyTuple>,
        weights: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let replicas = match replicas {
            None => DEFAULT_REPLICAS,
            Some(r) if r.is_instance_of::<PyString>() => {
                return Err(PyTypeError::new_err(format!(
                    "replicas must be an int, not str ({}); nodes follow it: \
                     ConsistentHash(160, {}, ...)",
                    r.repr()?,
                    r.repr()?
                )));
            }
            Some(r) => positive_u32(py, r, "replicas", RingError::InvalidReplicas)?,
        };
        let ring = Ring::new(replicas).map_err(|e| errors::ring(py, e))?;
        let mut this = ConsistentHash {
            inner: TrackedRing::new(ring),
            names: Vec::new(),
        };
        let mut members: Vec<(&str, u32)> = Vec::new();
        let node_objs: Vec<Bound<'_, PyAny>> = nodes.iter().collect();
        for n in &node_objs {
            members.push((node_name(n)?, 1));
        }
        let weight_items: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = match weights {
            None => Vec::new(),
            Some(w) => w
                .cast::<PyDict>()
                .map_err(|_| {
                    PyTypeError::new_err(format!(
                        "weights must be a dict of node -> int, not {}",
                        type_name(w)
                    ))
                })?
                .iter()
                .collect(),
        };
        for (k, v) in &weight_items {
            let weight = positive_u32(py, v, "weight", RingError::InvalidWeight)?;
            members.push((node_name(k)?, weight));
        }
        this.inner
            .add_nodes(members)
            .map_err(|e| errors::ring(py, e))?;
        this.refresh_names(py);
        Ok(this)
    }

    /// Points per unit of weight.
    #[getter]
    fn replicas(&self) -> u32 {
        self.ring().replicas()
    }

    /// Node names, bytewise sorted.
    #[getter(nodes)]
    fn node_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.names.iter().map(|n| n.bind(py)))
    }

    /// `{node: weight}`.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (i, name) in self.names.iter().enumerate() {
            let n = self.ring().node_name(i).unwrap_or_default();
            d.set_item(name.bind(py), self.ring().weight(n).unwrap_or(0))?;
        }
        Ok(d)
    }

    /// Name of the hash function (`"blake3"`).
    #[getter]
    fn hash_name(&self) -> &'static str {
        self.ring().hasher().name()
    }

    fn __len__(&self) -> usize {
        self.ring().node_count()
    }

    fn __contains__(&self, node: &Bound<'_, PyAny>) -> bool {
        match node.cast::<PyString>() {
            Ok(s) => s.to_str().is_ok_and(|n| self.ring().contains(n)),
            Err(_) => false,
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let class = slf.get_type().name()?;
        let this = slf.borrow();
        Ok(format!(
            "{class}(replicas={}, nodes={}, tracked_keys={})",
            this.ring().replicas(),
            this.ring().node_count(),
            this.inner.tracked_len()
        ))
    }

    /// The 64-bit ring position of `key`.
    fn hash(&self, key: &Bound<'_, PyAny>) -> PyResult<u64> {
        Ok(self.ring().hash(key_bytes(key)?))
    }

    /// The node that owns `key` (tracked or not).
    fn get(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyString>> {
        let bytes = key_bytes(key)?;
        match self.ring().get_index(bytes) {
            Ok(i) => Ok(self.names[i].clone_ref(py)),
            Err(e) => Err(errors::ring(py, e)),
        }
    }

    /// Up to `n` distinct nodes for `key`, clockwise from its owner (a preference list).
    fn get_nodes<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'_, PyAny>,
        n: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let bytes = key_bytes(key)?;
        if n.is_instance_of::<pyo3::types::PyBool>() || !n.is_instance_of::<pyo3::types::PyInt>() {
            return Err(PyTypeError::new_err(format!(
                "n must be an int, not {}",
                type_name(n)
            )));
        }
        let n: i64 = n.extract()?;
        if n < 0 {
            return Err(errors::invalid(py, format!("n must be >= 0, got {n}")));
        }
        let idx = self
            .ring()
            .get_nodes_index(bytes, n as usize)
            .map_err(|e| errors::ring(py, e))?;
        PyList::new(py, idx.into_iter().map(|i| self.names[i].bind(py)))
    }

    /// The owner of every key of `keys` (a list or tuple of str/bytes), in order. Large batches
    /// are hashed with the GIL released and split across threads.
    fn get_many<'py>(
        &self,
        py: Python<'py>,
        keys: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        // Own a reference to every item so no other thread can free them while we run detached.
        let items: Vec<Bound<'py, PyAny>> = if let Ok(l) = keys.cast::<PyList>() {
            l.iter().collect()
        } else if let Ok(t) = keys.cast::<PyTuple>() {
            t.iter().collect()
        } else if keys.is_instance_of::<PyString>() || keys.is_instance_of::<PyBytes>() {
            return Err(PyTypeError::new_err(
                "get_many takes a list of keys, not a single key (use get)",
            ));
        } else {
            keys.try_iter()?.collect::<PyResult<_>>()?
        };
        let slices: Vec<&[u8]> = items.iter().map(key_bytes).collect::<PyResult<_>>()?;
        let mut out = vec![0u32; slices.len()];
        let ring = self.ring();
        let result = if slices.len() >= DETACH_BATCH {
            py.detach(|| ring.locate_many(&slices, &mut out))
        } else {
            ring.locate_many(&slices, &mut out)
        };
        result.map_err(|e| errors::ring(py, e))?;
        PyList::new(py, out.into_iter().map(|i| self.names[i as usize].bind(py)))
    }

    /// Track `key`; returns its node.
    fn add(&mut self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyString>> {
        let key = owned_key(key)?;
        let i = self.inner.add(key).map_err(|e| errors::ring(py, e))?;
        Ok(self.names[i].clone_ref(py))
    }

    /// Stop tracking `key` (`UnknownKeyError`, a `KeyError`, when it is not tracked).
    fn remove(&mut self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<()> {
        let key = owned_key(key)?;
        self.inner
            .remove(&key, render_key)
            .map_err(|e| errors::ring(py, e))
    }

    /// Number of tracked keys.
    #[getter]
    fn tracked(&self) -> usize {
        self.inner.tracked_len()
    }

    /// Tracked keys (of `node`, when given), in ring order.
    #[pyo3(signature = (node = None))]
    fn keys<'py>(
        &self,
        py: Python<'py>,
        node: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let node = node.map(node_name).transpose()?;
        let keys = self.inner.keys(node).map_err(|e| errors::ring(py, e))?;
        PyList::new(py, keys.into_iter().map(|k| key_to_py(py, k)))
    }

    /// Add `node`; returns the migration plan as `(key, source, target)` tuples.
    #[pyo3(signature = (node, weight = None))]
    fn add_node<'py>(
        &mut self,
        py: Python<'py>,
        node: &Bound<'_, PyAny>,
        weight: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let name = node_name(node)?;
        let weight = match weight {
            None => 1,
            Some(w) => positive_u32(py, w, "weight", RingError::InvalidWeight)?,
        };
        let moves = self
            .inner
            .add_node(name, weight)
            .map_err(|e| errors::ring(py, e))?;
        self.refresh_names(py);
        Self::moves_to_py(py, moves)
    }

    /// Remove `node`; returns the migration plan as `(key, source, target)` tuples.
    fn remove_node<'py>(
        &mut self,
        py: Python<'py>,
        node: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let name = node_name(node)?;
        let moves = self
            .inner
            .remove_node(name)
            .map_err(|e| errors::ring(py, e))?;
        self.refresh_names(py);
        Self::moves_to_py(py, moves)
    }

    /// `{node: share of the hash space}`; the shares sum to 1.
    fn distribution<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, share) in self.names.iter().zip(self.ring().distribution()) {
            d.set_item(name.bind(py), share)?;
        }
        Ok(d)
    }
}
