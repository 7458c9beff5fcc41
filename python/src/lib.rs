//! pyo3
