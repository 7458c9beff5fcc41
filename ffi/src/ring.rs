//! `ringpax_ring`: the consistent-hash ring (placement spec in the README).
use std::ffi::c_char;

use ringpax_core::ring::Ring;

use crate::error::{
    Failure, bytes, guard, guard_value, non_null, non_null_mut, put, ringpax_status, utf8,
    write_text,
};

/// A consistent-hash ring. Opaque: create with `ringpax_ring_new`, destroy with
/// `ringpax_ring_free`.
///
/// Thread safety: functions taking `const ringpax_ring *` may run concurrently from many
/// threads; a function taking `ringpax_ring *` (a membership change) needs exclusive access.
/// Node indexes follow the bytewise order of node names and are valid until the next membership
/// change.
pub struct ringpax_ring {
    ring: Ring,
}

/// Create an empty ring with `replicas` points per unit of weight (160 is the usual choice)
/// and store it in `*ring_out`. The caller owns the ring and must release it with
/// `ringpax_ring_free`. `*ring_out` is written only on success.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_new(
    replicas: u32,
    ring_out: *mut *mut ringpax_ring,
) -> ringpax_status {
    guard(|| {
        // SAFETY: `ring_out` is NULL or writable, per the contract above.
        let out = unsafe { non_null_mut(ring_out, "ring_out") }?;
        let ring = Ring::new(replicas)?;
        *out = Box::into_raw(Box::new(ringpax_ring { ring }));
        Ok(())
    })
}

/// Destroy a ring made by `ringpax_ring_new`. `ring` may be NULL (nothing happens). After this
/// call the pointer is dangling; freeing it twice is undefined behaviour.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_free(ring: *mut ringpax_ring) {
    guard_value((), || {
        if !ring.is_null() {
            // SAFETY: non-NULL pointers passed here came from `Box::into_raw` in
            // `ringpax_ring_new` and are freed once, per the contract above.
            drop(unsafe { Box::from_raw(ring) });
        }
    })
}

/// Add node `name` (`name_len` bytes of UTF-8, not NUL-terminated; ringpax copies it) with
/// integer `weight >= 1`. Errors: `DUPLICATE_NODE`, `INVALID_ARGUMENT` (empty name, zero weight,
/// too many points), `INVALID_UTF8`, `NULL_ARGUMENT`. On error the ring is unchanged.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_add_node(
    ring: *mut ringpax_ring,
    name: *const c_char,
    name_len: usize,
    weight: u32,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null_mut(ring, "ring") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        r.ring.add_node(name, weight).map_err(Failure::from)
    })
}

/// Remove node `name` (`name_len` bytes of UTF-8). Errors: `UNKNOWN_NODE`, `INVALID_UTF8`,
/// `NULL_ARGUMENT`. On error the ring is unchanged.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_remove_node(
    ring: *mut ringpax_ring,
    name: *const c_char,
    name_len: usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null_mut(ring, "ring") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        r.ring.remove_node(name).map(|_| ()).map_err(Failure::from)
    })
}

/// Find the node that owns `key` (`key_len` bytes; NULL allowed when `key_len` is 0).
/// Outputs, each optional (NULL to skip): `*index_out` the node index; the node name written to
/// `name_buf` (`name_cap` bytes, NUL-terminated) with its length (without NUL) in
/// `*name_len_out`. When `name_buf` is too small the call returns `BUFFER_TOO_SMALL` and sets
/// only `*name_len_out`. Errors: `EMPTY_RING`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_get(
    ring: *const ringpax_ring,
    key: *const u8,
    key_len: usize,
    index_out: *mut usize,
    name_buf: *mut c_char,
    name_cap: usize,
    name_len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        let i = r.ring.get_index(key)?;
        if !name_buf.is_null() || !name_len_out.is_null() {
            let name = r.ring.node_name(i).unwrap_or_default();
            if name_buf.is_null() {
                // SAFETY: `name_len_out` is non-NULL here and writable per the contract.
                unsafe { put(name_len_out, name.len()) };
            } else {
                // SAFETY: as documented above.
                unsafe { write_text(name, name_buf, name_cap, name_len_out) }?;
            }
        }
        // SAFETY: NULL or writable.
        unsafe { put(index_out, i) };
        Ok(())
    })
}

/// Preference list: write the indexes of up to `n` distinct nodes for `key`, clockwise from its
/// owner, into `indexes_out` (room for `n` entries; may be NULL only when `n` is 0) and their
/// number into `*count_out` (fewer than `n` when the ring has fewer nodes).
/// Errors: `EMPTY_RING`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_get_nodes(
    ring: *const ringpax_ring,
    key: *const u8,
    key_len: usize,
    n: usize,
    indexes_out: *mut usize,
    count_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        let count_out = unsafe { non_null_mut(count_out, "count_out") }?;
        if n > 0 && indexes_out.is_null() {
            return Err(Failure::new(
                ringpax_status::NullArgument,
                "indexes_out is NULL",
            ));
        }
        let idx = r.ring.get_nodes_index(key, n)?;
        for (k, &i) in idx.iter().enumerate() {
            // SAFETY: `indexes_out` has room for `n >= idx.len()` entries.
            unsafe { *indexes_out.add(k) = i };
        }
        *count_out = idx.len();
        Ok(())
    })
}

/// Batch lookup: for `i < count`, `indexes_out[i]` receives the node index of the key
/// `keys[i]` of length `key_lens[i]`. Large batches are split across threads. ringpax reads the
/// key arrays only during the call. Errors: `EMPTY_RING`, `NULL_ARGUMENT` (any array NULL while
/// `count > 0`, or a NULL key with a non-zero length); nothing is written on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_get_many(
    ring: *const ringpax_ring,
    keys: *const *const u8,
    key_lens: *const usize,
    count: usize,
    indexes_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        if count == 0 {
            return Ok(());
        }
        if keys.is_null() || key_lens.is_null() || indexes_out.is_null() {
            return Err(Failure::new(
                ringpax_status::NullArgument,
                "keys, key_lens or indexes_out is NULL",
            ));
        }
        // SAFETY: both arrays have `count` entries per the contract.
        let (ptrs, lens) = unsafe {
            (
                std::slice::from_raw_parts(keys, count),
                std::slice::from_raw_parts(key_lens, count),
            )
        };
        let slices: Vec<&[u8]> = ptrs
            .iter()
            .zip(lens)
            .map(|(&p, &l)| unsafe { bytes(p, l, "a key") })
            .collect::<Result<_, _>>()?;
        let mut found = vec![0u32; count];
        r.ring.locate_many(&slices, &mut found)?;
        for (k, &i) in found.iter().enumerate() {
            // SAFETY: `indexes_out` has `count` entries per the contract.
            unsafe { *indexes_out.add(k) = i as usize };
        }
        Ok(())
    })
}

/// Number of nodes on the ring (0 for a NULL ring).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_node_count(ring: *const ringpax_ring) -> usize {
    // SAFETY: NULL or a live ring, per the contract.
    guard_value(0, || {
        unsafe { ring.as_ref() }.map_or(0, |r| r.ring.node_count())
    })
}

/// Write the name of node `index` into `buf` (`cap` bytes, NUL-terminated) and its length
/// (without NUL) into `*len_out` (may be NULL). Errors: `UNKNOWN_NODE` (index out of range),
/// `BUFFER_TOO_SMALL` (`*len_out` still set), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_node_name(
    ring: *const ringpax_ring,
    index: usize,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let name = r.ring.node_name(index).ok_or_else(|| {
            Failure::new(
                ringpax_status::UnknownNode,
                format!(
                    "node index {index} is out of range (the ring has {} nodes)",
                    r.ring.node_count()
                ),
            )
        })?;
        // SAFETY: as documented above.
        unsafe { write_text(name, buf, cap, len_out) }
    })
}

/// Find the index of node `name` (`name_len` bytes of UTF-8) and write it to `*index_out`.
/// Errors: `UNKNOWN_NODE`, `INVALID_UTF8`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_node_index(
    ring: *const ringpax_ring,
    name: *const c_char,
    name_len: usize,
    index_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let out = unsafe { non_null_mut(index_out, "index_out") }?;
        *out = r.ring.node_index(name).ok_or_else(|| {
            Failure::new(
                ringpax_status::UnknownNode,
                format!("node {name:?} is not on the ring"),
            )
        })?;
        Ok(())
    })
}

/// The ring position (64-bit hash) of `key` under this ring's hash function, written to
/// `*hash_out`. Useful to check the placement spec from C. Errors: `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_hash(
    ring: *const ringpax_ring,
    key: *const u8,
    key_len: usize,
    hash_out: *mut u64,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        let out = unsafe { non_null_mut(hash_out, "hash_out") }?;
        *out = r.ring.hash(key);
        Ok(())
    })
}
