//! pyo3 classes for the Paxos simulator and the sans-IO roles (work in progress).
use pyo3::prelude::*;

/// Add this module's classes to `ringpax._native`.
pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
