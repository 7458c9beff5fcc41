//! `ringpax._native.JumpHash`, `Rendezvous` and `Maglev` (re-exported by `ringpax.algorithms`).
//!
//! Keys are `str` (hashed as UTF-8) or `bytes` (as is), borrowed without copying; node names
//! are handed back as cached `str` objects. `hash="blake3"` (default) or `"xxh3"`, and `key=`
//! (32 bytes) for keyed BLAKE3, as for `ConsistentHash`. Errors map to `ringpax.errors` here, in
//! one function.
//!
//! Each object keeps its state in a [`Published`] version: lookups load one version per call
//! (lock-free) and answer from it throughout, so a batch answers from one membership; changes
//! serialise on the writer lock, change a copy and publish it, never blocking lookups.
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};
use ringpax_core::ring::algorithms::{
    self as core, AlgorithmError, DEFAULT_TABLE_SIZE, MAX_BUCKETS,
};
use ringpax_core::ring::{KeyHasher, Published};

use crate::{batch, errors};

/// Add this module's classes to `ringpax._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<JumpHash>()?;
    m.add_class::<Rendezvous>()?;
    m.add_class::<Maglev>()?;
    Ok(())
}

/// Map an algorithm error to its `ringpax.errors` class.
fn error(py: Python<'_>, err: AlgorithmError) -> PyErr {
    let class = match &err {
        AlgorithmError::Empty(_) => "EmptyRingError",
        AlgorithmError::DuplicateNode(_) => "DuplicateNodeError",
        AlgorithmError::UnknownNode(_) => "UnknownNodeError",
        AlgorithmError::EmptyNodeName
        | AlgorithmError::InvalidWeight(_)
        | AlgorithmError::TooManyBuckets(_)
        | AlgorithmError::NameRequired
        | AlgorithmError::UnnamedBuckets
        | AlgorithmError::NotLastBucket { .. }
        | AlgorithmError::TableSizeNotPrime { .. }
        | AlgorithmError::TableSizeOutOfRange(_)
        | AlgorithmError::TableTooSmall { .. }
        | AlgorithmError::TooManyRequested { .. } => "InvalidArgumentError",
    };
    errors::raise(py, class, err.to_string())
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

/// Run `locate` over a batch: small batches here, large ones streamed (keys read with the GIL
/// held while other threads look them up, the rest with the GIL released; see [`batch`]).
fn locate_batch<'py>(
    py: Python<'py>,
    keys: &Bound<'py, PyAny>,
    locate: impl Fn(&[&[u8]], &mut [u32]) -> Result<(), AlgorithmError> + Sync,
) -> PyResult<Vec<u32>> {
    let seq = batch::key_sequence(keys)?;
    let n = seq.len()?;
    let mut out = vec![0u32; n];
    if n < batch::STREAM_BATCH {
        let items = batch::items(&seq)?;
        let slices: Vec<&[u8]> = items.iter().map(key_bytes).collect::<PyResult<_>>()?;
        locate(&slices, &mut out).map_err(|e| error(py, e))?;
    } else {
        // An empty structure refuses even an empty batch: find out before reading any key.
        locate(&[], &mut []).map_err(|e| error(py, e))?;
        batch::stream(
            &seq,
            &mut out,
            |k, buf| {
                buf.extend_from_slice(key_bytes(k)?);
                Ok(())
            },
            |keys, o| {
                // Not empty (checked above), so this cannot fail.
                let _ = locate(keys, o);
            },
        )?;
    }
    Ok(out)
}

fn node_name<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    obj.cast::<PyString>()
        .map_err(|_| {
            PyTypeError::new_err(format!("node name must be str, not {}", type_name(obj)))
        })?
        .to_str()
}

/// Node names from an iterable of `str` (a bare `str` is refused: it would be its characters).
fn node_names<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "nodes must be a list of names, not a single {} (wrap it in a list)",
            type_name(obj)
        )));
    }
    let items: Vec<Bound<'py, PyAny>> = obj
        .try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "nodes must be an iterable of str, not {}",
                type_name(obj)
            ))
        })?
        .collect::<PyResult<_>>()?;
    for item in &items {
        node_name(item)?;
    }
    Ok(items)
}

/// A weight: an `int` or `float` (not `bool`); its range is checked by the core.
fn weight(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    if obj.is_instance_of::<PyBool>()
        || !(obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>())
    {
        return Err(PyTypeError::new_err(format!(
            "weight must be a number, not {}",
            type_name(obj)
        )));
    }
    obj.extract::<f64>()
}

/// An `int` argument (not `bool`), as `i128` so that any out-of-range value can be reported.
fn int_arg(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<i128> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            type_name(obj)
        )));
    }
    match obj.extract::<i128>() {
        Ok(v) => Ok(v),
        Err(_) => Err(errors::invalid(
            py,
            format!("{what} is out of range: {}", obj.repr()?),
        )),
    }
}

/// `hash=` and `key=`, shared with `ConsistentHash`.
pub(crate) fn hasher(
    py: Python<'_>,
    hash: Option<&str>,
    key: Option<&Bound<'_, PyAny>>,
) -> PyResult<KeyHasher> {
    let secret: Option<[u8; 32]> = match key {
        None => None,
        Some(k) => {
            let b = k.cast::<PyBytes>().map_err(|_| {
                PyTypeError::new_err(format!("key must be 32 bytes, not {}", type_name(k)))
            })?;
            Some(b.as_bytes().try_into().map_err(|_| {
                errors::invalid(
                    py,
                    format!("key must be exactly 32 bytes, got {}", b.as_bytes().len()),
                )
            })?)
        }
    };
    match (hash.unwrap_or("blake3"), secret) {
        ("blake3", None) => Ok(KeyHasher::Blake3),
        ("blake3", Some(k)) => Ok(KeyHasher::Blake3Keyed(Box::new(k))),
        ("xxh3", None) => Ok(KeyHasher::Xxh3),
        ("xxh3", Some(_)) => Err(errors::invalid(
            py,
            "key= needs hash='blake3' (keyed BLAKE3); xxh3 takes no key".into(),
        )),
        (other, _) => Err(errors::invalid(
            py,
            format!("hash must be 'blake3' or 'xxh3', got {other:?}"),
        )),
    }
}

/// `(name, weight)` pairs from `nodes` and `weights` (`None`, a sequence parallel to `nodes`,
/// or a dict `{node: weight}`: its nodes join when `nodes` is not given, else it may only name
/// nodes of `nodes`; unnamed ones weigh 1). `nodes` may itself be a `{node: weight}` dict.
fn members(
    py: Python<'_>,
    nodes: Option<&Bound<'_, PyAny>>,
    weights: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<(String, f64)>> {
    if let (Some(n), None) = (nodes, weights) {
        if n.is_instance_of::<PyDict>() {
            return members(py, None, Some(n));
        }
    }
    let mut out: Vec<(String, f64)> = match nodes {
        None => Vec::new(),
        Some(n) => node_names(n)?
            .iter()
            .map(|o| Ok((node_name(o)?.to_owned(), 1.0)))
            .collect::<PyResult<_>>()?,
    };
    let Some(w) = weights else {
        return Ok(out);
    };
    if let Ok(d) = w.cast::<PyDict>() {
        for (k, v) in d.iter() {
            let name = node_name(&k)?;
            let weight = weight(&v)?;
            if nodes.is_none() {
                out.push((name.to_owned(), weight));
            } else if let Some(slot) = out.iter_mut().find(|(n, _)| n == name) {
                slot.1 = weight;
            } else {
                return Err(errors::invalid(
                    py,
                    format!("weights names {name:?}, which is not in nodes"),
                ));
            }
        }
        return Ok(out);
    }
    if w.is_instance_of::<PyString>() || w.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "weights must be a list of numbers or a dict of node -> number",
        ));
    }
    let ws: Vec<Bound<'_, PyAny>> = w
        .try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "weights must be a list of numbers or a dict of node -> number, not {}",
                type_name(w)
            ))
        })?
        .collect::<PyResult<_>>()?;
    if ws.len() != out.len() {
        return Err(errors::invalid(
            py,
            format!(
                "weights has {} entries but there are {} nodes",
                ws.len(),
                out.len()
            ),
        ));
    }
    for (slot, w) in out.iter_mut().zip(&ws) {
        slot.1 = weight(w)?;
    }
    Ok(out)
}

fn cached_names<'a>(py: Python<'_>, names: impl Iterator<Item = &'a str>) -> Arc<[Py<PyString>]> {
    names.map(|n| PyString::new(py, n).unbind()).collect()
}

/// One published version of an object: the core structure and its node names as `str`
/// objects by node index (none for unnamed jump buckets).
#[derive(Clone)]
struct State<C> {
    inner: C,
    names: Arc<[Py<PyString>]>,
}

type Shared<C> = Published<State<C>>;

/// Change `shared` under its writer lock (`f` runs on a copy that is then published; it runs no
/// Python code, so the GIL, held throughout, is never released while the lock is held). When
/// another writer holds the lock, wait for it with the GIL released, then try again.
///
/// The copy is published even when the core change fails; every core change used here
/// (`add_bucket`, `remove_bucket`, `add_node`, `remove_node`) checks everything before it
/// changes anything, and the names are refreshed only on success, so that copy equals the
/// previous version.
fn change<C, R>(py: Python<'_>, shared: &Shared<C>, mut f: impl FnOnce(&mut State<C>) -> R) -> R
where
    C: Clone + Send + Sync,
{
    loop {
        match shared.try_update(f) {
            Ok(out) => return out,
            Err(back) => {
                f = back;
                py.detach(|| shared.wait_for_writer());
            }
        }
    }
}

impl State<core::JumpHash> {
    fn new(py: Python<'_>, inner: core::JumpHash) -> Self {
        let mut this = State {
            inner,
            names: Arc::new([]),
        };
        this.refresh(py);
        this
    }

    fn refresh(&mut self, py: Python<'_>) {
        if let Some(names) = self.inner.names() {
            self.names = cached_names(py, names);
        }
    }
}

impl State<core::Rendezvous> {
    fn new(py: Python<'_>, inner: core::Rendezvous) -> Self {
        let names = cached_names(py, inner.nodes());
        State { inner, names }
    }

    fn refresh(&mut self, py: Python<'_>) {
        self.names = cached_names(py, self.inner.nodes());
    }
}

impl State<core::Maglev> {
    fn new(py: Python<'_>, inner: core::Maglev) -> Self {
        let names = cached_names(py, inner.nodes());
        State { inner, names }
    }

    fn refresh(&mut self, py: Python<'_>) {
        self.names = cached_names(py, self.inner.nodes());
    }
}

// ---------------------------------------------------------------------------------------------

/// Jump consistent hash (Lamping & Veach 2014): buckets `0..n`, optionally named.
///
/// `JumpHash(buckets=0, *, nodes=None, hash="blake3", key=None)`. Lookups need no table and
/// cost O(log n); buckets can only be added or removed at the end (`add_bucket`,
/// `remove_bucket`), which moves the minimum: only keys of the new or removed bucket.
#[pyclass(subclass, frozen, module = "ringpax._native")]
pub struct JumpHash {
    state: Shared<core::JumpHash>,
}

#[pymethods]
impl JumpHash {
    #[new]
    #[pyo3(signature = (buckets = None, *, nodes = None, hash = None, key = None))]
    fn new(
        py: Python<'_>,
        buckets: Option<&Bound<'_, PyAny>>,
        nodes: Option<&Bound<'_, PyAny>>,
        hash: Option<&str>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let count = match buckets {
            None => None,
            Some(b) => {
                let n = int_arg(py, b, "buckets")?;
                if !(0..=MAX_BUCKETS as i128).contains(&n) {
                    return Err(errors::invalid(
                        py,
                        format!("buckets must be between 0 and {MAX_BUCKETS}, got {n}"),
                    ));
                }
                Some(n as u32)
            }
        };
        let hasher = hasher(py, hash, key)?;
        let inner = match nodes {
            None => core::JumpHash::with_hasher(count.unwrap_or(0), hasher),
            Some(n) => {
                let items = node_names(n)?;
                if let Some(c) = count.filter(|&c| c as usize != items.len()) {
                    return Err(errors::invalid(
                        py,
                        format!(
                            "buckets={c} but {} node names were given (pass one or the other)",
                            items.len()
                        ),
                    ));
                }
                let names: Vec<&str> = items.iter().map(node_name).collect::<PyResult<_>>()?;
                core::JumpHash::with_names(names, hasher)
            }
        }
        .map_err(|e| error(py, e))?;
        Ok(JumpHash {
            state: Published::new(State::<core::JumpHash>::new(py, inner)),
        })
    }

    /// Number of buckets.
    #[getter]
    fn buckets(&self) -> u32 {
        self.state.load().inner.buckets()
    }

    /// Bucket names in bucket order, or `None` for unnamed buckets.
    #[getter(nodes)]
    fn node_list<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let s = self.state.load();
        if !s.inner.is_named() {
            return Ok(None);
        }
        PyList::new(py, s.names.iter().map(|n| n.bind(py))).map(Some)
    }

    /// Name of the key hash (`"blake3"`, `"blake3-keyed"` or `"xxh3"`).
    #[getter]
    fn hash_name(&self) -> &'static str {
        self.state.load().inner.hasher().name()
    }

    fn __len__(&self) -> usize {
        self.state.load().inner.buckets() as usize
    }

    fn __contains__(&self, node: &Bound<'_, PyAny>) -> bool {
        node.cast::<PyString>()
            .ok()
            .and_then(|s| {
                s.to_str()
                    .ok()
                    .map(|n| self.state.load().inner.bucket_of(n).is_some())
            })
            .unwrap_or(false)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let class = slf.get_type().name()?;
        let s = slf.get().state.load();
        Ok(format!(
            "{class}(buckets={}, named={}, hash='{}')",
            s.inner.buckets(),
            if s.inner.is_named() { "True" } else { "False" },
            s.inner.hasher().name()
        ))
    }

    /// The 64-bit hash of `key` that the jump starts from.
    fn hash(&self, key: &Bound<'_, PyAny>) -> PyResult<u64> {
        Ok(self.state.load().inner.hash(key_bytes(key)?))
    }

    /// The bucket of `key`.
    fn get(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<u32> {
        let bytes = key_bytes(key)?;
        self.state.load().inner.get(bytes).map_err(|e| error(py, e))
    }

    /// The name of the bucket of `key` (named buckets only).
    fn get_node(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyString>> {
        let bytes = key_bytes(key)?;
        let s = self.state.load();
        if !s.inner.is_named() {
            return Err(error(py, AlgorithmError::UnnamedBuckets));
        }
        let b = s.inner.get(bytes).map_err(|e| error(py, e))?;
        Ok(s.names[b as usize].clone_ref(py))
    }

    /// The bucket of every key of `keys`, in order. Large batches run with the GIL released,
    /// split across threads.
    fn get_many(&self, py: Python<'_>, keys: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
        let s = self.state.snapshot();
        let inner = &s.inner;
        locate_batch(py, keys, |k, o| inner.locate_many(k, o))
    }

    /// The bucket named `node`.
    fn bucket_of(&self, py: Python<'_>, node: &Bound<'_, PyAny>) -> PyResult<u32> {
        let name = node_name(node)?;
        let s = self.state.load();
        if !s.inner.is_named() {
            return Err(error(py, AlgorithmError::UnnamedBuckets));
        }
        s.inner
            .bucket_of(name)
            .ok_or_else(|| error(py, AlgorithmError::UnknownNode(name.to_owned())))
    }

    /// Append a bucket (named buckets need a new `node` name); returns its number.
    #[pyo3(signature = (node = None))]
    fn add_bucket(&self, py: Python<'_>, node: Option<&Bound<'_, PyAny>>) -> PyResult<u32> {
        let name = node.map(node_name).transpose()?;
        change(py, &self.state, |s| {
            let b = s.inner.add_bucket(name)?;
            s.refresh(py);
            Ok(b)
        })
        .map_err(|e| error(py, e))
    }

    /// Remove the last bucket (`node`, when given, must be its name); returns its number.
    #[pyo3(signature = (node = None))]
    fn remove_bucket(&self, py: Python<'_>, node: Option<&Bound<'_, PyAny>>) -> PyResult<u32> {
        let name = node.map(node_name).transpose()?;
        change(py, &self.state, |s| {
            let b = s.inner.remove_bucket(name)?;
            s.refresh(py);
            Ok(b)
        })
        .map_err(|e| error(py, e))
    }
}

// ---------------------------------------------------------------------------------------------

/// Weighted rendezvous (highest random weight) hashing.
///
/// `Rendezvous(nodes=(), weights=None, *, hash="blake3", key=None)`. Each lookup scores every
/// node (O(n)); any node may join or leave and only the keys it wins or owned move.
#[pyclass(subclass, frozen, module = "ringpax._native")]
pub struct Rendezvous {
    state: Shared<core::Rendezvous>,
}

#[pymethods]
impl Rendezvous {
    #[new]
    #[pyo3(signature = (nodes = None, weights = None, *, hash = None, key = None))]
    fn new(
        py: Python<'_>,
        nodes: Option<&Bound<'_, PyAny>>,
        weights: Option<&Bound<'_, PyAny>>,
        hash: Option<&str>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let members = members(py, nodes, weights)?;
        let mut inner = core::Rendezvous::with_hasher(hasher(py, hash, key)?);
        inner
            .add_nodes(members.iter().map(|(n, w)| (n.as_str(), *w)))
            .map_err(|e| error(py, e))?;
        Ok(Rendezvous {
            state: Published::new(State::<core::Rendezvous>::new(py, inner)),
        })
    }

    /// Node names, bytewise sorted.
    #[getter(nodes)]
    fn node_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.state.load().names.iter().map(|n| n.bind(py)))
    }

    /// `{node: weight}`.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.state.load();
        let d = PyDict::new(py);
        for (i, name) in s.names.iter().enumerate() {
            d.set_item(name.bind(py), s.inner.weight_at(i).unwrap_or(0.0))?;
        }
        Ok(d)
    }

    /// Name of the key hash.
    #[getter]
    fn hash_name(&self) -> &'static str {
        self.state.load().inner.hasher().name()
    }

    fn __len__(&self) -> usize {
        self.state.load().inner.node_count()
    }

    fn __contains__(&self, node: &Bound<'_, PyAny>) -> bool {
        node.cast::<PyString>()
            .ok()
            .and_then(|s| s.to_str().ok().map(|n| self.state.load().inner.contains(n)))
            .unwrap_or(false)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let class = slf.get_type().name()?;
        let s = slf.get().state.load();
        Ok(format!(
            "{class}(nodes={}, hash='{}')",
            s.inner.node_count(),
            s.inner.hasher().name()
        ))
    }

    /// The 64-bit hash of `key`.
    fn hash(&self, key: &Bound<'_, PyAny>) -> PyResult<u64> {
        Ok(self.state.load().inner.hash(key_bytes(key)?))
    }

    /// The node that owns `key`: the highest score.
    fn get(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyString>> {
        let bytes = key_bytes(key)?;
        let s = self.state.load();
        let i = s.inner.get_index(bytes).map_err(|e| error(py, e))?;
        Ok(s.names[i].clone_ref(py))
    }

    /// The `k` highest-scoring distinct nodes for `key`, best first (`k <= len(self)`).
    fn get_nodes<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'_, PyAny>,
        k: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let bytes = key_bytes(key)?;
        let k = int_arg(py, k, "k")?;
        if k < 0 {
            return Err(errors::invalid(py, format!("k must be >= 0, got {k}")));
        }
        let k = usize::try_from(k).unwrap_or(usize::MAX);
        let s = self.state.load();
        let idx = s
            .inner
            .get_nodes_index(bytes, k)
            .map_err(|e| error(py, e))?;
        PyList::new(py, idx.into_iter().map(|i| s.names[i].bind(py)))
    }

    /// The owner of every key of `keys`, in order. Large batches run with the GIL released,
    /// split across threads.
    fn get_many<'py>(
        &self,
        py: Python<'py>,
        keys: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let s = self.state.snapshot();
        let inner = &s.inner;
        let out = locate_batch(py, keys, |k, o| inner.locate_many(k, o))?;
        PyList::new(py, out.into_iter().map(|i| s.names[i as usize].bind(py)))
    }

    /// Add `node` with `weight` (a number in [1e-9, 1e9]).
    #[pyo3(signature = (node, weight = None))]
    fn add_node(
        &self,
        py: Python<'_>,
        node: &Bound<'_, PyAny>,
        weight: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let name = node_name(node)?;
        let w = weight.map(self::weight).transpose()?.unwrap_or(1.0);
        change(py, &self.state, |s| {
            s.inner.add_node(name, w)?;
            s.refresh(py);
            Ok(())
        })
        .map_err(|e| error(py, e))
    }

    /// Remove `node`; returns its weight.
    fn remove_node(&self, py: Python<'_>, node: &Bound<'_, PyAny>) -> PyResult<f64> {
        let name = node_name(node)?;
        change(py, &self.state, |s| {
            let w = s.inner.remove_node(name)?;
            s.refresh(py);
            Ok(w)
        })
        .map_err(|e| error(py, e))
    }

    /// `{node: expected share of the keys}` (`weight / total weight`).
    fn distribution<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.state.load();
        let d = PyDict::new(py);
        for (name, share) in s.names.iter().zip(s.inner.distribution()) {
            d.set_item(name.bind(py), share)?;
        }
        Ok(d)
    }
}

// ---------------------------------------------------------------------------------------------

/// Maglev hashing (Eisenbud et al., NSDI 2016): a prime-sized lookup table, O(1) lookups.
///
/// `Maglev(nodes=(), table_size=65537, weights=None, *, hash="blake3", key=None)`. Every
/// membership change rebuilds the table.
#[pyclass(subclass, frozen, module = "ringpax._native")]
pub struct Maglev {
    state: Shared<core::Maglev>,
}

#[pymethods]
impl Maglev {
    #[new]
    #[pyo3(signature = (nodes = None, table_size = None, weights = None, *, hash = None,
                        key = None))]
    fn new(
        py: Python<'_>,
        nodes: Option<&Bound<'_, PyAny>>,
        table_size: Option<&Bound<'_, PyAny>>,
        weights: Option<&Bound<'_, PyAny>>,
        hash: Option<&str>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let size = match table_size {
            None => DEFAULT_TABLE_SIZE,
            Some(t) => {
                let n = int_arg(py, t, "table_size")?;
                u64::try_from(n).map_err(|_| {
                    errors::invalid(
                        py,
                        format!(
                            "Maglev table_size must be a prime between 2 and {}, got {n}",
                            core::MAX_TABLE_SIZE
                        ),
                    )
                })?
            }
        };
        let members = members(py, nodes, weights)?;
        let mut inner =
            core::Maglev::with_hasher(size, hasher(py, hash, key)?).map_err(|e| error(py, e))?;
        inner
            .add_nodes(members.iter().map(|(n, w)| (n.as_str(), *w)))
            .map_err(|e| error(py, e))?;
        Ok(Maglev {
            state: Published::new(State::<core::Maglev>::new(py, inner)),
        })
    }

    /// Node names, bytewise sorted.
    #[getter(nodes)]
    fn node_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.state.load().names.iter().map(|n| n.bind(py)))
    }

    /// `{node: weight}`.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.state.load();
        let d = PyDict::new(py);
        for (i, name) in s.names.iter().enumerate() {
            d.set_item(name.bind(py), s.inner.weight_at(i).unwrap_or(0.0))?;
        }
        Ok(d)
    }

    /// The lookup table size (a prime).
    #[getter]
    fn table_size(&self) -> u64 {
        self.state.load().inner.table_size()
    }

    /// Name of the key hash.
    #[getter]
    fn hash_name(&self) -> &'static str {
        self.state.load().inner.hasher().name()
    }

    fn __len__(&self) -> usize {
        self.state.load().inner.node_count()
    }

    fn __contains__(&self, node: &Bound<'_, PyAny>) -> bool {
        node.cast::<PyString>()
            .ok()
            .and_then(|s| s.to_str().ok().map(|n| self.state.load().inner.contains(n)))
            .unwrap_or(false)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let class = slf.get_type().name()?;
        let s = slf.get().state.load();
        Ok(format!(
            "{class}(nodes={}, table_size={}, hash='{}')",
            s.inner.node_count(),
            s.inner.table_size(),
            s.inner.hasher().name()
        ))
    }

    /// The 64-bit hash of `key` (its table entry is this modulo `table_size`).
    fn hash(&self, key: &Bound<'_, PyAny>) -> PyResult<u64> {
        Ok(self.state.load().inner.hash(key_bytes(key)?))
    }

    /// The node that owns `key`.
    fn get(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyString>> {
        let bytes = key_bytes(key)?;
        let s = self.state.load();
        let i = s.inner.get_index(bytes).map_err(|e| error(py, e))?;
        Ok(s.names[i].clone_ref(py))
    }

    /// The owner of every key of `keys`, in order. Large batches run with the GIL released,
    /// split across threads.
    fn get_many<'py>(
        &self,
        py: Python<'py>,
        keys: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let s = self.state.snapshot();
        let inner = &s.inner;
        let out = locate_batch(py, keys, |k, o| inner.locate_many(k, o))?;
        PyList::new(py, out.into_iter().map(|i| s.names[i as usize].bind(py)))
    }

    /// Add `node` with `weight` (a number in [1e-9, 1e9]) and rebuild the table.
    #[pyo3(signature = (node, weight = None))]
    fn add_node(
        &self,
        py: Python<'_>,
        node: &Bound<'_, PyAny>,
        weight: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let name = node_name(node)?;
        let w = weight.map(self::weight).transpose()?.unwrap_or(1.0);
        change(py, &self.state, |s| {
            s.inner.add_node(name, w)?;
            s.refresh(py);
            Ok(())
        })
        .map_err(|e| error(py, e))
    }

    /// Remove `node` and rebuild the table; returns its weight.
    fn remove_node(&self, py: Python<'_>, node: &Bound<'_, PyAny>) -> PyResult<f64> {
        let name = node_name(node)?;
        change(py, &self.state, |s| {
            let w = s.inner.remove_node(name)?;
            s.refresh(py);
            Ok(w)
        })
        .map_err(|e| error(py, e))
    }

    /// The lookup table as node names (`table_size` entries; empty without nodes).
    fn table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let s = self.state.load();
        PyList::new(
            py,
            s.inner
                .table()
                .iter()
                .map(|&i| s.names[i as usize].bind(py)),
        )
    }

    /// `{node: share of the table}` (its share of the keys); the shares sum to 1.
    fn distribution<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.state.load();
        let d = PyDict::new(py);
        for (name, share) in s.names.iter().zip(s.inner.distribution()) {
            d.set_item(name.bind(py), share)?;
        }
        Ok(d)
    }
}
