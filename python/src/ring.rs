//! `ringpax._native.ConsistentHash`: a tracked consistent-hash ring.
//!
//! Keys are `str` (hashed as UTF-8) or `bytes` (as is). Lookups borrow the key's bytes without
//! copying; node names are handed back as cached `str` objects, so `get` allocates nothing.
use std::borrow::Cow;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use ringpax_core::ring::{
    DEFAULT_REPLICAS, Move, Ring, RingError, Scheme, SharedRing, TrackedRing,
};

use crate::{batch, errors};

/// A tracked key, remembered as the Python type it came in as.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

/// How keys that are not `str` become bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyMode {
    /// `str` as UTF-8, `bytes` as is, anything else is a `TypeError`.
    Strict,
    /// uhashring: every key is hashed as `str(key)`.
    StrOfAny,
    /// ketama (twemproxy hashes raw key bytes): `bytes` as is, `str` as UTF-8, else `str(key)`.
    BytesOrStr,
}

/// The bytes of `obj` as a key under `mode`: borrowed where possible.
fn key_cow<'a>(obj: &'a Bound<'_, PyAny>, mode: KeyMode) -> PyResult<Cow<'a, [u8]>> {
    match mode {
        KeyMode::Strict => key_bytes(obj).map(Cow::Borrowed),
        KeyMode::StrOfAny => match obj.cast::<PyString>() {
            Ok(s) => Ok(Cow::Borrowed(s.to_str()?.as_bytes())),
            Err(_) => Ok(Cow::Owned(obj.str()?.to_str()?.as_bytes().to_vec())),
        },
        KeyMode::BytesOrStr => match key_bytes(obj) {
            Ok(b) => Ok(Cow::Borrowed(b)),
            Err(_) => Ok(Cow::Owned(obj.str()?.to_str()?.as_bytes().to_vec())),
        },
    }
}

fn owned_key_mode(obj: &Bound<'_, PyAny>, mode: KeyMode) -> PyResult<Key> {
    match (mode, owned_key(obj)) {
        (KeyMode::StrOfAny, Ok(Key::Bytes(_)))
        | (KeyMode::StrOfAny | KeyMode::BytesOrStr, Err(_)) => {
            Ok(Key::Str(obj.str()?.to_str()?.to_owned()))
        }
        (_, k) => k,
    }
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
    match obj.cast::<PyString>() {
        Ok(s) => Ok(Key::Str(s.to_str()?.to_owned())),
        Err(_) => key_bytes(obj).map(|b| Key::Bytes(b.to_vec())),
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

/// Node-name `str` objects of one published snapshot, by node index, made on first use.
#[derive(Default)]
pub struct NameCache(PyOnceLock<Vec<Py<PyString>>>);

type Shared = SharedRing<Key, NameCache>;
type Snap = ringpax_core::ring::Snapshot<NameCache>;

fn names<'a>(py: Python<'_>, snap: &'a Snap) -> &'a [Py<PyString>] {
    snap.extra.0.get_or_init(py, || {
        snap.ring()
            .nodes()
            .map(|n| PyString::new(py, n).unbind())
            .collect()
    })
}

/// A consistent-hash ring that can also track keys and report migration plans.
///
/// Lookups read an immutable snapshot and never wait for a writer; changes serialise on the
/// ring's writer lock, and membership changes run with the GIL released.
#[pyclass(subclass, frozen, module = "ringpax._native")]
pub struct ConsistentHash {
    shared: Shared,
    mode: KeyMode,
    bounded: bool,
}

impl ConsistentHash {
    fn bytes<'a>(&self, key: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
        key_cow(key, self.mode)
    }

    fn key(&self, key: &Bound<'_, PyAny>) -> PyResult<Key> {
        owned_key_mode(key, self.mode)
    }

    /// A membership change: released GIL while waiting for the writer lock and working.
    fn change<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut TrackedRing<Key>) -> R + Send,
    ) -> R {
        py.detach(|| self.shared.write(f))
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

fn parse_scheme(
    py: Python<'_>,
    hash: Option<&str>,
    key: Option<&Bound<'_, PyAny>>,
    compat: Option<&str>,
) -> PyResult<(Scheme, KeyMode)> {
    match compat {
        None => Ok((
            Scheme::Ringpax(crate::algorithms::hasher(py, hash, key)?),
            KeyMode::Strict,
        )),
        Some(c) if hash.is_some() || key.is_some() => Err(errors::invalid(
            py,
            format!("compat={c:?} fixes the hash function; do not pass hash= or key="),
        )),
        Some("uhashring") => Ok((Scheme::Uhashring, KeyMode::StrOfAny)),
        Some("ketama") => Ok((Scheme::Ketama, KeyMode::BytesOrStr)),
        Some(other) => Err(errors::invalid(
            py,
            format!("compat must be 'uhashring' or 'ketama', got {other:?}"),
        )),
    }
}

#[pymethods]
impl ConsistentHash {
    #[new]
    #[pyo3(signature = (replicas = None, *nodes, weights = None, hash = None, key = None,
                        compat = None, load_factor = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        replicas: Option<&Bound<'_, PyAny>>,
        nodes: &Bound<'_, PyTuple>,
        weights: Option<&Bound<'_, PyAny>>,
        hash: Option<&str>,
        key: Option<&Bound<'_, PyAny>>,
        compat: Option<&str>,
        load_factor: Option<&Bound<'_, PyAny>>,
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
        let (scheme, mode) = parse_scheme(py, hash, key, compat)?;
        let ring = Ring::with_scheme(replicas, scheme).map_err(|e| errors::ring(py, e))?;
        let mut tracked = match load_factor {
            None => TrackedRing::new(ring),
            Some(f) => {
                if f.is_instance_of::<pyo3::types::PyBool>()
                    || !(f.is_instance_of::<pyo3::types::PyFloat>()
                        || f.is_instance_of::<pyo3::types::PyInt>())
                {
                    return Err(PyTypeError::new_err(format!(
                        "load_factor must be a number, not {}",
                        type_name(f)
                    )));
                }
                TrackedRing::with_bounded_loads(ring, f.extract::<f64>()?)
                    .map_err(|e| errors::ring(py, e))?
            }
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
        tracked
            .add_nodes(members)
            .map_err(|e| errors::ring(py, e))?;
        let bounded = tracked.load_factor().is_some();
        Ok(ConsistentHash {
            shared: SharedRing::new(tracked),
            mode,
            bounded,
        })
    }

    /// Points per unit of weight.
    #[getter]
    fn replicas(&self) -> u32 {
        self.shared.load().ring().replicas()
    }

    /// Node names, bytewise sorted.
    #[getter(nodes)]
    fn node_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let snap = self.shared.load();
        PyList::new(py, names(py, &snap).iter().map(|n| n.bind(py)))
    }

    /// `{node: weight}`.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let snap = self.shared.load();
        let d = PyDict::new(py);
        for (name, n) in names(py, &snap).iter().zip(snap.ring().nodes()) {
            d.set_item(name.bind(py), snap.ring().weight(n).unwrap_or(0))?;
        }
        Ok(d)
    }

    /// Name of the placement scheme: `"blake3"`, `"blake3-keyed"`, `"xxh3"`, `"uhashring"` or
    /// `"ketama"`.
    #[getter]
    fn hash_name(&self) -> &'static str {
        self.shared.load().ring().scheme().name()
    }

    /// The bounded-loads factor, or `None`.
    #[getter]
    fn load_factor(&self) -> Option<f64> {
        self.shared.read(|t| t.load_factor())
    }

    /// The current bound on tracked keys per node (bounded loads), or `None`.
    #[getter]
    fn load_bound(&self) -> Option<usize> {
        self.shared.read(|t| t.load_bound())
    }

    /// `{node: number of tracked keys it holds}`.
    fn loads<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let (names, loads): (Vec<String>, Vec<usize>) = self
            .shared
            .read(|t| (t.ring().nodes().map(String::from).collect(), t.loads()));
        let d = PyDict::new(py);
        for (n, l) in names.iter().zip(loads) {
            d.set_item(n, l)?;
        }
        Ok(d)
    }

    fn __len__(&self) -> usize {
        self.shared.load().ring().node_count()
    }

    fn __contains__(&self, node: &Bound<'_, PyAny>) -> bool {
        match node.cast::<PyString>() {
            Ok(s) => s
                .to_str()
                .is_ok_and(|n| self.shared.load().ring().contains(n)),
            Err(_) => false,
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let class = slf.get_type().name()?;
        let this = slf.get();
        let snap = this.shared.load();
        let tracked = this.shared.read(|t| t.tracked_len());
        Ok(format!(
            "{class}(replicas={}, nodes={}, tracked_keys={}, hash={:?})",
            snap.ring().replicas(),
            snap.ring().node_count(),
            tracked,
            snap.ring().scheme().name(),
        ))
    }

    /// The 64-bit ring position of `key` (for uhashring: the top 64 bits of its MD5).
    fn hash(&self, key: &Bound<'_, PyAny>) -> PyResult<u64> {
        Ok(self.shared.load().ring().hash(&self.bytes(key)?))
    }

    /// The node that owns `key`; with bounded loads, the node a tracked key is assigned to.
    #[pyo3(signature = (key, /))]
    fn get(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyString>> {
        if self.bounded {
            let k = self.key(key)?;
            let assigned = self.shared.read(|t| {
                t.is_tracked(&k).then(|| {
                    t.get_index(&k)
                        .map(|i| t.ring().node_name_arc(i).cloned().unwrap_or_default())
                })
            });
            if let Some(found) = assigned {
                let name = found.map_err(|e| errors::ring(py, e))?;
                return Ok(PyString::new(py, &name).unbind());
            }
        }
        let snap = self.shared.load();
        // A str is hashed as its UTF-8 in every key mode: the common case skips the mode match.
        let found = match key.cast::<PyString>() {
            Ok(s) => snap.ring().get_index(s.to_str()?.as_bytes()),
            Err(_) => snap.ring().get_index(&self.bytes(key)?),
        };
        match found {
            Ok(i) => Ok(names(py, &snap)[i].clone_ref(py)),
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
        let bytes = self.bytes(key)?;
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
        let snap = self.shared.load();
        let idx = snap
            .ring()
            .get_nodes_index(&bytes, n as usize)
            .map_err(|e| errors::ring(py, e))?;
        let names = names(py, &snap);
        PyList::new(py, idx.into_iter().map(|i| names[i].bind(py)))
    }

    /// The owner of every key of `keys` (a list or tuple of keys), in order. In large batches
    /// the keys are hashed by other threads while this one reads them, and the last ones with
    /// the GIL released. Bounded loads do not apply: this is placement, as for untracked keys.
    fn get_many<'py>(
        &self,
        py: Python<'py>,
        keys: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let seq = batch::key_sequence(keys)?;
        let n = seq.len()?;
        let snap = self.shared.snapshot();
        let ring = snap.ring();
        let mut out = vec![0u32; n];
        if n < batch::STREAM_BATCH || ring.is_empty() {
            let items = batch::items(&seq)?;
            let slices: Vec<Cow<'_, [u8]>> = items
                .iter()
                .map(|k| self.bytes(k))
                .collect::<PyResult<_>>()?;
            ring.locate_many(&slices, &mut out)
                .map_err(|e| errors::ring(py, e))?;
        } else {
            batch::stream(
                &seq,
                &mut out,
                |k, buf| {
                    match self.mode {
                        // The common case copies the key's bytes straight from the object.
                        KeyMode::Strict => buf.extend_from_slice(key_bytes(k)?),
                        _ => buf.extend_from_slice(&self.bytes(k)?),
                    }
                    Ok(())
                },
                |keys, o| {
                    // Not empty (checked above), so this cannot fail.
                    let _ = ring.locate_many(keys, o);
                },
            )?;
        }
        let names = names(py, &snap);
        PyList::new(py, out.into_iter().map(|i| names[i as usize].bind(py)))
    }

    /// Track `key`; returns the node it is assigned to.
    fn add(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyString>> {
        let key = self.key(key)?;
        // Tracking never changes placement, so the node index is valid in the current snapshot;
        // the name is read under the same lock to be safe against a concurrent change.
        let name = self
            .shared
            .write(|t| {
                t.add(key)
                    .map(|i| t.ring().node_name_arc(i).cloned().unwrap_or_default())
            })
            .map_err(|e| errors::ring(py, e))?;
        let snap = self.shared.load();
        match snap.ring().node_index(&name) {
            Some(i) => Ok(names(py, &snap)[i].clone_ref(py)),
            None => Ok(PyString::new(py, &name).unbind()),
        }
    }

    /// Stop tracking `key` (`UnknownKeyError`, a `KeyError`, when it is not tracked). Returns
    /// the keys moved to keep the load bound (always empty without bounded loads).
    fn remove<'py>(&self, py: Python<'py>, key: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let key = self.key(key)?;
        let moves = self
            .shared
            .write(|t| t.remove(&key, render_key))
            .map_err(|e| errors::ring(py, e))?;
        Self::moves_to_py(py, moves)
    }

    /// Number of tracked keys.
    #[getter]
    fn tracked(&self) -> usize {
        self.shared.read(|t| t.tracked_len())
    }

    /// Tracked keys (of `node`, when given), in ring order.
    #[pyo3(signature = (node = None))]
    fn keys<'py>(
        &self,
        py: Python<'py>,
        node: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let node = node.map(node_name).transpose()?;
        let keys: Vec<Key> = self
            .shared
            .read(|t| t.keys(node).map(|ks| ks.into_iter().cloned().collect()))
            .map_err(|e| errors::ring(py, e))?;
        PyList::new(py, keys.iter().map(|k| key_to_py(py, k)))
    }

    /// Add `node`; returns the migration plan as `(key, source, target)` tuples.
    #[pyo3(signature = (node, weight = None))]
    fn add_node<'py>(
        &self,
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
            .change(py, |t| t.add_node(name, weight))
            .map_err(|e| errors::ring(py, e))?;
        Self::moves_to_py(py, moves)
    }

    /// Remove `node`; returns the migration plan as `(key, source, target)` tuples.
    fn remove_node<'py>(
        &self,
        py: Python<'py>,
        node: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let name = node_name(node)?;
        let moves = self
            .change(py, |t| t.remove_node(name))
            .map_err(|e| errors::ring(py, e))?;
        Self::moves_to_py(py, moves)
    }

    /// `{node: share of the hash space}`; the shares sum to 1.
    fn distribution<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let snap = self.shared.load();
        let d = PyDict::new(py);
        for (name, share) in names(py, &snap).iter().zip(snap.ring().distribution()) {
            d.set_item(name.bind(py), share)?;
        }
        Ok(d)
    }
}
