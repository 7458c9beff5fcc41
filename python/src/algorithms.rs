//! pyo3 classes for JumpHash, Rendezvous and Maglev (work in progress).
use pyo3::prelude::*;

/// Add this module's classes to `ringpax._native`.
pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
