//! Status codes, the per-thread last-error detail, and the panic/NULL boundary helpers that
//! every `extern "C"` function goes through.
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ringpax_core::paxos::PaxosError;
use ringpax_core::ring::RingError;
use ringpax_core::sim::SimError;

/// The result of every fallible ringpax call. Discriminants are explicit and never reused;
/// new codes are only ever added.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ringpax_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// An argument is out of range (zero replicas or weight, too many points, ...).
    InvalidArgument = 2,
    /// A name is not valid UTF-8.
    InvalidUtf8 = 3,
    /// The caller's buffer is too small; the needed length was written to the length out-param.
    BufferTooSmall = 4,
    /// A lookup on a ring with no nodes.
    EmptyRing = 100,
    /// The node is already on the ring.
    DuplicateNode = 101,
    /// The node is not on the ring, or the index is out of range.
    UnknownNode = 102,
    /// The key is not tracked.
    UnknownKey = 103,
    /// Paxos: no decision within the bounded number of rounds (no reachable quorum).
    NoQuorum = 300,
    /// Paxos: bytes that are not a valid wire-format message or acceptor state.
    MalformedMessage = 301,
    /// Paxos: the node is down.
    NodeDown = 302,
    /// Paxos: no value has been chosen (or learned by this node) yet.
    NotDecided = 303,
    /// Paxos: fewer nodes were added than the cluster's size.
    ClusterIncomplete = 304,
    /// Paxos: the node is not a member of the cluster.
    UnknownMember = 305,
    /// Paxos: the node is already a member of the cluster.
    DuplicateMember = 306,
    /// Paxos: a message addressed to another node.
    Misaddressed = 307,
    /// Paxos: the simulator's safety checker found a violation (a bug in ringpax).
    SafetyViolation = 308,
    /// A panic was caught at the boundary (a bug in ringpax; please report it).
    Panic = 9999,
}

impl ringpax_status {
    /// Every status, for turning a C integer back into one.
    const ALL: [ringpax_status; 19] = [
        ringpax_status::Ok,
        ringpax_status::NullArgument,
        ringpax_status::InvalidArgument,
        ringpax_status::InvalidUtf8,
        ringpax_status::BufferTooSmall,
        ringpax_status::EmptyRing,
        ringpax_status::DuplicateNode,
        ringpax_status::UnknownNode,
        ringpax_status::UnknownKey,
        ringpax_status::NoQuorum,
        ringpax_status::MalformedMessage,
        ringpax_status::NodeDown,
        ringpax_status::NotDecided,
        ringpax_status::ClusterIncomplete,
        ringpax_status::UnknownMember,
        ringpax_status::DuplicateMember,
        ringpax_status::Misaddressed,
        ringpax_status::SafetyViolation,
        ringpax_status::Panic,
    ];

    /// The status with code `code`, if there is one.
    pub fn from_code(code: u32) -> Option<ringpax_status> {
        Self::ALL.iter().copied().find(|s| *s as u32 == code)
    }

    /// The fixed, human-readable message of a status.
    pub fn message(self) -> &'static str {
        match self {
            ringpax_status::Ok => "ok",
            ringpax_status::NullArgument => "a required pointer argument was NULL",
            ringpax_status::InvalidArgument => "an argument is out of range",
            ringpax_status::InvalidUtf8 => "a name is not valid UTF-8",
            ringpax_status::BufferTooSmall => "the output buffer is too small",
            ringpax_status::EmptyRing => "the ring has no nodes",
            ringpax_status::DuplicateNode => "the node is already on the ring",
            ringpax_status::UnknownNode => "the node is not on the ring",
            ringpax_status::UnknownKey => "the key is not tracked",
            ringpax_status::NoQuorum => "no decision: a quorum could not be reached in time",
            ringpax_status::MalformedMessage => "malformed Paxos wire bytes",
            ringpax_status::NodeDown => "the node is down",
            ringpax_status::NotDecided => "no value has been decided yet",
            ringpax_status::ClusterIncomplete => "not all nodes of the cluster have been added",
            ringpax_status::UnknownMember => "the node is not a member of the Paxos cluster",
            ringpax_status::DuplicateMember => "the node is already a member of the Paxos cluster",
            ringpax_status::Misaddressed => "the message is addressed to another node",
            ringpax_status::SafetyViolation => "internal error: a Paxos safety violation",
            ringpax_status::Panic => "internal error: a panic was caught at the C boundary",
        }
    }
}

/// A failed call: its status and the detail kept for `ringpax_last_error_message`.
pub(crate) struct Failure {
    pub status: ringpax_status,
    pub detail: String,
}

impl Failure {
    pub(crate) fn new(status: ringpax_status, detail: impl Into<String>) -> Self {
        Failure {
            status,
            detail: detail.into(),
        }
    }
}

impl From<RingError> for Failure {
    fn from(e: RingError) -> Self {
        let status = match &e {
            RingError::EmptyRing | RingError::WouldOrphanKeys { .. } => ringpax_status::EmptyRing,
            RingError::DuplicateNode(_) => ringpax_status::DuplicateNode,
            RingError::UnknownNode(_) => ringpax_status::UnknownNode,
            RingError::UnknownKey(_) => ringpax_status::UnknownKey,
            RingError::EmptyNodeName
            | RingError::InvalidReplicas(_)
            | RingError::InvalidWeight(_)
            | RingError::TooManyPoints { .. }
            | RingError::InvalidLoadFactor(_) => ringpax_status::InvalidArgument,
        };
        Failure::new(status, e.to_string())
    }
}

impl From<PaxosError> for Failure {
    fn from(e: PaxosError) -> Self {
        let status = match &e {
            PaxosError::Wire(_) => ringpax_status::MalformedMessage,
            PaxosError::UnknownNode(_) => ringpax_status::UnknownMember,
            PaxosError::DuplicateMember(_) => ringpax_status::DuplicateMember,
            PaxosError::Misaddressed { .. } => ringpax_status::Misaddressed,
            PaxosError::NoMembers
            | PaxosError::InvalidQuorum { .. }
            | PaxosError::InvalidTiming => ringpax_status::InvalidArgument,
        };
        Failure::new(status, e.to_string())
    }
}

impl From<SimError> for Failure {
    fn from(e: SimError) -> Self {
        let status = match e {
            SimError::Paxos(e) => return e.into(),
            SimError::NoQuorum { .. } => ringpax_status::NoQuorum,
            SimError::UnknownNode(_) => ringpax_status::UnknownMember,
            SimError::NodeDown(_) => ringpax_status::NodeDown,
            SimError::InvalidConfig(_)
            | SimError::MembershipFrozen
            | SimError::DuplicateInPartition(_) => ringpax_status::InvalidArgument,
            SimError::Violation(_) => ringpax_status::SafetyViolation,
        };
        Failure::new(status, e.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set_last_error(detail: &str) {
    LAST_ERROR.with(|l| {
        let mut l = l.borrow_mut();
        l.clear();
        l.push_str(detail);
    });
}

pub(crate) fn last_error() -> String {
    LAST_ERROR.with(|l| l.borrow().clone())
}

/// Run the body of an `extern "C"` function: a panic becomes `Panic`, a `Failure` becomes its
/// status and is remembered as this thread's last error.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Failure>) -> ringpax_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => ringpax_status::Ok,
        Ok(Err(f)) => {
            set_last_error(&f.detail);
            f.status
        }
        Err(_) => {
            set_last_error(ringpax_status::Panic.message());
            ringpax_status::Panic
        }
    }
}

/// Like [`guard`] for functions that return a value instead of a status; `fallback` on panic.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        set_last_error(ringpax_status::Panic.message());
        fallback
    })
}

/// Free a handle made by `Box::into_raw` (every `*_new`); NULL is a no-op, and a panic in the
/// handle's destructor stays on this side of the boundary. Every `*_free` goes through here.
///
/// # Safety
/// `ptr` is NULL or came from `Box::into_raw` for a `T` and has not been freed.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    guard_value((), || {
        if !ptr.is_null() {
            // SAFETY: non-NULL, from `Box::into_raw`, freed once: the caller's contract.
            drop(unsafe { Box::from_raw(ptr) });
        }
    })
}

/// A shared reference from a pointer that must not be NULL.
///
/// # Safety
/// `ptr` is NULL or valid for reads for the caller-chosen lifetime.
pub(crate) unsafe fn non_null<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller promises `ptr` is NULL or valid.
    unsafe { ptr.as_ref() }
        .ok_or_else(|| Failure::new(ringpax_status::NullArgument, format!("{what} is NULL")))
}

/// An exclusive reference from a pointer that must not be NULL.
///
/// # Safety
/// `ptr` is NULL or valid for reads and writes, and not aliased, for the chosen lifetime.
pub(crate) unsafe fn non_null_mut<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller promises `ptr` is NULL or valid and unaliased.
    unsafe { ptr.as_mut() }
        .ok_or_else(|| Failure::new(ringpax_status::NullArgument, format!("{what} is NULL")))
}

/// A byte slice from `(ptr, len)`; NULL is allowed only when `len` is 0.
///
/// # Safety
/// `ptr` is NULL or valid for `len` bytes of reads for the chosen lifetime.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(Failure::new(
            ringpax_status::NullArgument,
            format!("{what} is NULL but its length is {len}"),
        ));
    }
    // SAFETY: non-NULL, and the caller promises `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A UTF-8 string from `(ptr, len)`.
///
/// # Safety
/// As for [`bytes`].
pub(crate) unsafe fn utf8<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from the caller.
    let b = unsafe { bytes(ptr, len, what) }?;
    std::str::from_utf8(b).map_err(|e| {
        Failure::new(
            ringpax_status::InvalidUtf8,
            format!("{what} is not valid UTF-8: {e}"),
        )
    })
}

/// Write `text` and a NUL terminator into `(buf, cap)`; the text's length (without the NUL) goes
/// to `len_out` when it is not NULL, also when the buffer is too small, so callers can retry.
///
/// # Safety
/// `buf` is NULL or valid for `cap` bytes of writes; `len_out` is NULL or valid for a write.
pub(crate) unsafe fn write_text(
    text: &str,
    buf: *mut std::ffi::c_char,
    cap: usize,
    len_out: *mut usize,
) -> Result<(), Failure> {
    if !len_out.is_null() {
        // SAFETY: non-NULL and valid per the caller.
        unsafe { *len_out = text.len() };
    }
    if buf.is_null() {
        return Err(Failure::new(ringpax_status::NullArgument, "buf is NULL"));
    }
    if cap < text.len() + 1 {
        return Err(Failure::new(
            ringpax_status::BufferTooSmall,
            format!(
                "buffer of {cap} bytes cannot hold {} bytes and a NUL",
                text.len()
            ),
        ));
    }
    // SAFETY: `buf` has room for `text.len() + 1` bytes, checked above.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        *buf.add(text.len()) = 0;
    }
    Ok(())
}

/// Write `value` through `out` when `out` is not NULL.
///
/// # Safety
/// `out` is NULL or valid for a write.
pub(crate) unsafe fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-NULL and valid per the caller.
        unsafe { *out = value };
    }
}
