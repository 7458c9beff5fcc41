//! Core errors -> Python exceptions, in one place. The classes live in `ringpax/errors.py` so
//! that they can inherit from two bases (`RingpaxError` and the matching builtin).
use pyo3::prelude::*;
use ringpax_core::paxos::PaxosError;
use ringpax_core::ring::RingError;
use ringpax_core::sim::SimError;

/// Instantiate `ringpax.errors.<class>(message)` as a `PyErr`.
pub fn raise(py: Python<'_>, class: &str, message: String) -> PyErr {
    match py
        .import("ringpax.errors")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.call1((message.clone(),)))
    {
        Ok(instance) => PyErr::from_value(instance),
        // The package is broken if this happens; still say what went wrong.
        Err(_) => pyo3::exceptions::PyRuntimeError::new_err(message),
    }
}

/// A bad argument (`ringpax.InvalidArgumentError`, a `ValueError`).
pub fn invalid(py: Python<'_>, message: String) -> PyErr {
    raise(py, "InvalidArgumentError", message)
}

/// Map a ring error to its Python class.
pub fn ring(py: Python<'_>, err: RingError) -> PyErr {
    let class = match &err {
        RingError::EmptyRing | RingError::WouldOrphanKeys { .. } => "EmptyRingError",
        RingError::DuplicateNode(_) => "DuplicateNodeError",
        RingError::UnknownNode(_) => "UnknownNodeError",
        RingError::UnknownKey(_) => "UnknownKeyError",
        RingError::EmptyNodeName
        | RingError::InvalidReplicas(_)
        | RingError::InvalidWeight(_)
        | RingError::TooManyPoints { .. }
        | RingError::InvalidLoadFactor(_) => "InvalidArgumentError",
    };
    raise(py, class, err.to_string())
}

/// Map a Paxos role or wire error to its Python class.
pub fn paxos(py: Python<'_>, err: PaxosError) -> PyErr {
    let class = match &err {
        PaxosError::Wire(_) => "WireFormatError",
        PaxosError::UnknownNode(_) => "UnknownNodeError",
        PaxosError::DuplicateMember(_) => "DuplicateNodeError",
        PaxosError::Misaddressed { .. } => "InvalidMessageError",
        PaxosError::NoMembers | PaxosError::InvalidQuorum { .. } | PaxosError::InvalidTiming => {
            "InvalidArgumentError"
        }
    };
    raise(py, class, err.to_string())
}

/// Map a simulator error to its Python class.
pub fn sim(py: Python<'_>, err: SimError) -> PyErr {
    if let SimError::Paxos(e) = err {
        return paxos(py, e);
    }
    let class = match &err {
        SimError::NoQuorum { .. } => "NoQuorumError",
        SimError::UnknownNode(_) => "UnknownNodeError",
        SimError::InvalidConfig(_) | SimError::DuplicateInPartition(_) => "InvalidArgumentError",
        SimError::NodeDown(_) => "NodeDownError",
        SimError::MembershipFrozen | SimError::Violation(_) | SimError::Paxos(_) => "PaxosError",
    };
    raise(py, class, err.to_string())
}
