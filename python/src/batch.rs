//! Batches of keys from Python (`get_many`): a list, a tuple or any other iterable of keys.
//!
//! Large batches are looked up with [`ringpax_core::ring::stream_lookups`]: this thread (holding
//! the GIL) copies each key's bytes out of its object while other threads already hash and
//! search the keys copied so far; the last ones run with the GIL released.
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

/// Batches at least this long are looked up on several threads, partly with the GIL released.
pub(crate) const STREAM_BATCH: usize = 4096;

/// The keys of a batch as a list or tuple (any other iterable is collected into a list). A
/// single `str` or `bytes` is a `TypeError`: it is one key, not a batch.
pub(crate) fn key_sequence<'py>(keys: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if keys.is_instance_of::<PyList>() || keys.is_instance_of::<PyTuple>() {
        Ok(keys.clone())
    } else if keys.is_instance_of::<PyString>() || keys.is_instance_of::<PyBytes>() {
        Err(PyTypeError::new_err(
            "get_many takes a list of keys, not a single key (use get)",
        ))
    } else {
        let items = keys.try_iter()?.collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(keys.py(), items)?.into_any())
    }
}

/// Key `i` of a sequence from [`key_sequence`], read when its turn comes (a list changed in
/// between, e.g. by a key's `__str__`, is read as it is then, or raises `IndexError`).
pub(crate) fn item<'py>(seq: &Bound<'py, PyAny>, i: usize) -> PyResult<Bound<'py, PyAny>> {
    match seq.cast::<PyList>() {
        Ok(l) => l.get_item(i),
        Err(_) => seq.cast::<PyTuple>()?.get_item(i),
    }
}

/// All items of a sequence from [`key_sequence`], owned (for small batches).
pub(crate) fn items<'py>(seq: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    (0..seq.len()?).map(|i| item(seq, i)).collect()
}

/// Look up a large batch: `read(key, buf)` appends a key's bytes to `buf` (GIL held), while
/// `locate(keys, out)` runs on other threads, and on this one with the GIL released once every
/// key is read. Stops at the first error of `read`.
pub(crate) fn stream<'py>(
    seq: &Bound<'py, PyAny>,
    out: &mut [u32],
    read: impl Fn(&Bound<'py, PyAny>, &mut Vec<u8>) -> PyResult<()>,
    locate: impl Fn(&[&[u8]], &mut [u32]) + Sync,
) -> PyResult<()> {
    let py = seq.py();
    ringpax_core::ring::stream_lookups(
        out,
        |i, buf| read(&item(seq, i)?, buf),
        |work| py.detach(work),
        locate,
    )
}
