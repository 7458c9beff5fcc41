//! `ringpax._native`: the pyo3 face of ringpax-core. Only translation lives here: Python objects
//! to bytes and back, core errors to the `ringpax.errors` classes, and when to release the GIL.
use pyo3::prelude::*;

mod algorithms;
mod batch;
mod errors;
mod paxos;
mod ring;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<ring::ConsistentHash>()?;
    algorithms::register(m)?;
    paxos::register(m)?;
    Ok(())
}
