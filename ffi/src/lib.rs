//! The C ABI of ringpax: `libringpax.so` / `libringpax.a` and `include/ringpax.h`.
//!
//! Conventions (after rustls-ffi): every function is `ringpax_<type>_<verb>`; handles are opaque
//! and owned by the caller from `_new` to `_free` (`_free(NULL)` is a no-op; a double free is
//! undefined behaviour); fallible functions return a `ringpax_status` and write out-params only
//! on success; every buffer pointer is followed by its length; strings we return are written into
//! caller buffers, so C callers never free ringpax strings. No panic crosses the boundary: each
//! body runs under `catch_unwind`, and NULL pointers are reported as `RINGPAX_STATUS_NULL_ARGUMENT`.
#![allow(clippy::missing_safety_doc, non_camel_case_types)]

mod algorithms;
mod error;
mod paxos;
mod ring;

pub use algorithms::*;
pub use error::ringpax_status;
pub use paxos::*;
pub use ring::*;

use std::ffi::c_char;

use error::{guard, write_text};

/// Write the fixed message of status code `status` (a `ringpax_status` value) into `buf`
/// (`cap` bytes, NUL-terminated); its length without the NUL goes to `len_out` (may be NULL).
/// The message is static text; nothing to free. Returns `RINGPAX_STATUS_BUFFER_TOO_SMALL`
/// (with `*len_out` set) when `cap` is too small, and `RINGPAX_STATUS_INVALID_ARGUMENT` for a
/// code that is not a status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_status_message(
    status: u32,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        let known = ringpax_status::from_code(status).ok_or_else(|| {
            error::Failure::new(
                ringpax_status::InvalidArgument,
                format!("{status} is not a ringpax_status code"),
            )
        })?;
        // SAFETY: buffer validity is the caller's contract, documented above.
        unsafe { write_text(known.message(), buf, cap, len_out) }
    })
}

/// Write the detail of the most recent failed ringpax call on this thread (empty if none) into
/// `buf` (`cap` bytes, NUL-terminated); its length without the NUL goes to `len_out` (may be
/// NULL). The detail stays until the next failure on the same thread. Nothing to free.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_last_error_message(
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    let detail = error::last_error();
    // SAFETY: buffer validity is the caller's contract, documented above. Writing the message
    // must not overwrite it, so failures here are not recorded.
    match std::panic::catch_unwind(|| unsafe { write_text(&detail, buf, cap, len_out) }) {
        Ok(Ok(())) => ringpax_status::Ok,
        Ok(Err(f)) => f.status,
        Err(_) => ringpax_status::Panic,
    }
}

/// The library version as a static NUL-terminated string, valid for the life of the process.
/// Do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn ringpax_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
