//! `ringpax_ring`: the consistent-hash ring (placement spec in the README).
use std::ffi::{c_char, c_void};
use std::sync::Arc;

use ringpax_core::ring::{KeyHasher, Move, Ring, Scheme, SharedRing, TrackedRing};

use crate::error::{
    Failure, bytes, free_handle, guard, guard_value, non_null, non_null_mut, put, ringpax_status,
    utf8, write_text,
};

/// A consistent-hash ring. Opaque: create with `ringpax_ring_new` or
/// `ringpax_ring_new_with`, destroy with `ringpax_ring_free`.
///
/// Thread safety: every function may be called from any number of threads at once on the same
/// ring (except `ringpax_ring_free`, which must be the last call). Lookups read an immutable
/// snapshot and never wait for a writer; changes serialise on the ring's writer lock. A lookup
/// answers from the ring as it was at one moment during the call.
///
/// Node indexes follow the bytewise order of node names and are valid until the next membership
/// change; with concurrent writers, prefer the name outputs.
pub struct ringpax_ring {
    shared: SharedRing<Vec<u8>>,
}

impl ringpax_ring {
    fn snapshot(&self) -> Arc<ringpax_core::ring::Snapshot<()>> {
        self.shared.snapshot()
    }
}

/// Key hash of a ring with the ringpax placement spec.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ringpax_hash {
    /// BLAKE3, first 8 bytes little-endian: the documented spec (default).
    Blake3 = 0,
    /// XXH3-64: fastest, for keys from trusted sources only.
    Xxh3 = 1,
    /// Keyed BLAKE3 with the 32-byte `key` of `ringpax_ring_options`.
    Blake3Keyed = 2,
}

/// Placement compatible with another library (overrides `hash`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ringpax_compat {
    /// The ringpax placement spec (README).
    None = 0,
    /// uhashring 2.5's default ring (MD5, points `"node-w"`, first point strictly greater).
    Uhashring = 1,
    /// libketama / twemproxy `distribution: ketama`, `hash: md5`; `replicas` must be a multiple
    /// of 4 (160 in twemproxy).
    Ketama = 2,
}

/// Options for `ringpax_ring_new_with`. Start from `ringpax_ring_options_default()`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ringpax_ring_options {
    /// Points per unit of weight (160 by default).
    pub replicas: u32,
    /// Key hash for the ringpax spec: a `ringpax_hash` value (an integer, so that an unknown
    /// value is an error, not undefined behaviour).
    pub hash: u32,
    /// 32 bytes of secret for `RINGPAX_HASH_BLAKE3_KEYED`, else NULL. Copied during the call.
    pub key: *const u8,
    /// Placement compatible with another library: a `ringpax_compat` value, or
    /// `RINGPAX_COMPAT_NONE`.
    pub compat: u32,
    /// Bounded loads for tracked keys: a factor >= 1 (e.g. 1.25), or 0 for plain hashing.
    pub load_factor: f64,
}

/// The default options: 160 replicas, BLAKE3, no key, no compatibility mode, no load bound.
#[unsafe(no_mangle)]
pub extern "C" fn ringpax_ring_options_default() -> ringpax_ring_options {
    ringpax_ring_options {
        replicas: ringpax_core::ring::DEFAULT_REPLICAS,
        hash: ringpax_hash::Blake3 as u32,
        key: std::ptr::null(),
        compat: ringpax_compat::None as u32,
        load_factor: 0.0,
    }
}

/// Create an empty ring with `replicas` points per unit of weight (160 is the usual choice)
/// and store it in `*ring_out`. The caller owns the ring and must release it with
/// `ringpax_ring_free`. `*ring_out` is written only on success.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_new(
    replicas: u32,
    ring_out: *mut *mut ringpax_ring,
) -> ringpax_status {
    let mut opts = ringpax_ring_options_default();
    opts.replicas = replicas;
    // SAFETY: forwarded; `opts` lives for the call.
    unsafe { ringpax_ring_new_with(&opts, ring_out) }
}

/// Create an empty ring from `*options` (read during the call only) and store it in
/// `*ring_out`; the caller owns it and releases it with `ringpax_ring_free`. Errors:
/// `INVALID_ARGUMENT` (zero replicas, ketama replicas not a multiple of 4, keyed hash without
/// a key, a key with another hash, load factor not 0 and not a finite number >= 1),
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_new_with(
    options: *const ringpax_ring_options,
    ring_out: *mut *mut ringpax_ring,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let opts = unsafe { non_null(options, "options") }?;
        let out = unsafe { non_null_mut(ring_out, "ring_out") }?;
        const BLAKE3: u32 = ringpax_hash::Blake3 as u32;
        const XXH3: u32 = ringpax_hash::Xxh3 as u32;
        const KEYED: u32 = ringpax_hash::Blake3Keyed as u32;
        const NONE: u32 = ringpax_compat::None as u32;
        const UHASHRING: u32 = ringpax_compat::Uhashring as u32;
        const KETAMA: u32 = ringpax_compat::Ketama as u32;
        let scheme = match opts.compat {
            UHASHRING => Scheme::Uhashring,
            KETAMA => Scheme::Ketama,
            NONE => Scheme::Ringpax(match (opts.hash, opts.key.is_null()) {
                (BLAKE3, true) => KeyHasher::Blake3,
                (XXH3, true) => KeyHasher::Xxh3,
                (KEYED, false) => {
                    // SAFETY: a non-NULL key points at 32 readable bytes, per the contract.
                    let key = unsafe { bytes(opts.key, 32, "key") }?;
                    let mut k = [0u8; 32];
                    k.copy_from_slice(key);
                    KeyHasher::Blake3Keyed(Box::new(k))
                }
                (KEYED, true) => {
                    return Err(Failure::new(
                        ringpax_status::InvalidArgument,
                        "RINGPAX_HASH_BLAKE3_KEYED needs a 32-byte key",
                    ));
                }
                (BLAKE3 | XXH3, false) => {
                    return Err(Failure::new(
                        ringpax_status::InvalidArgument,
                        "a key is only used with RINGPAX_HASH_BLAKE3_KEYED",
                    ));
                }
                (other, _) => {
                    return Err(Failure::new(
                        ringpax_status::InvalidArgument,
                        format!("unknown hash {other} (expected a ringpax_hash value)"),
                    ));
                }
            }),
            other => {
                return Err(Failure::new(
                    ringpax_status::InvalidArgument,
                    format!("unknown compat {other} (expected a ringpax_compat value)"),
                ));
            }
        };
        let ring = Ring::with_scheme(opts.replicas, scheme)?;
        let tracked = if opts.load_factor == 0.0 {
            TrackedRing::new(ring)
        } else {
            TrackedRing::with_bounded_loads(ring, opts.load_factor)?
        };
        *out = Box::into_raw(Box::new(ringpax_ring {
            shared: SharedRing::new(tracked),
        }));
        Ok(())
    })
}

/// Destroy a ring made by `ringpax_ring_new`. `ring` may be NULL (nothing happens). After this
/// call the pointer is dangling; freeing it twice is undefined behaviour.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_free(ring: *mut ringpax_ring) {
    // SAFETY: `ring` is NULL or came from `ringpax_ring_new`, freed once (above).
    unsafe { free_handle(ring) }
}

/// Add node `name` (`name_len` bytes of UTF-8, not NUL-terminated; ringpax copies it) with
/// integer `weight >= 1`. Errors: `DUPLICATE_NODE`, `INVALID_ARGUMENT` (empty name, zero weight,
/// too many points), `INVALID_UTF8`, `NULL_ARGUMENT`. On error the ring is unchanged.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_add_node(
    ring: *const ringpax_ring,
    name: *const c_char,
    name_len: usize,
    weight: u32,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        r.shared
            .write(|t| t.add_node(name, weight))
            .map(drop)
            .map_err(Failure::from)
    })
}

/// Remove node `name` (`name_len` bytes of UTF-8). Errors: `UNKNOWN_NODE`, `INVALID_UTF8`,
/// `NULL_ARGUMENT`. On error the ring is unchanged.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_remove_node(
    ring: *const ringpax_ring,
    name: *const c_char,
    name_len: usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        r.shared
            .write(|t| t.remove_node(name))
            .map(drop)
            .map_err(Failure::from)
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
        let snap = r.snapshot();
        let i = snap.ring().get_index(key)?;
        if !name_buf.is_null() || !name_len_out.is_null() {
            let name = snap.ring().node_name(i).unwrap_or_default();
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
        let idx = r.snapshot().ring().get_nodes_index(key, n)?;
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
        r.snapshot().ring().locate_many(&slices, &mut found)?;
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
        unsafe { ring.as_ref() }.map_or(0, |r| r.snapshot().ring().node_count())
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
        let snap = r.snapshot();
        let name = snap.ring().node_name(index).ok_or_else(|| {
            Failure::new(
                ringpax_status::UnknownNode,
                format!(
                    "node index {index} is out of range (the ring has {} nodes)",
                    snap.ring().node_count()
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
        *out = r.snapshot().ring().node_index(name).ok_or_else(|| {
            Failure::new(
                ringpax_status::UnknownNode,
                format!("node {name:?} is not on the ring"),
            )
        })?;
        Ok(())
    })
}

/// The ring position (64-bit hash) of `key` under this ring's placement scheme, written to
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
        *out = r.snapshot().ring().hash(key);
        Ok(())
    })
}

/// Receives one entry of a migration plan: tracked key `key` (`key_len` bytes) moves from node
/// `source` to node `target` (UTF-8, not NUL-terminated, with their lengths). All pointers are
/// valid only during the call. `ctx` is the caller's pointer, passed through unchanged. Called
/// after the change is complete and outside the ring's locks, so it may call ringpax again.
pub type ringpax_move_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        key: *const u8,
        key_len: usize,
        source: *const c_char,
        source_len: usize,
        target: *const c_char,
        target_len: usize,
    ),
>;

unsafe fn report(moves: &[Move<Vec<u8>>], on_move: ringpax_move_fn, ctx: *mut c_void) {
    if let Some(f) = on_move {
        for m in moves {
            // SAFETY: the callback contract is documented on `ringpax_move_fn`.
            unsafe {
                f(
                    ctx,
                    m.key.as_ptr(),
                    m.key.len(),
                    m.source.as_ptr().cast(),
                    m.source.len(),
                    m.target.as_ptr().cast(),
                    m.target.len(),
                )
            };
        }
    }
}

/// Like `ringpax_ring_add_node`, and reports the migration plan: `on_move` (may be NULL) is
/// called once for every tracked key whose node changed. Errors as `ringpax_ring_add_node`;
/// on error nothing changes and `on_move` is not called.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_add_node_plan(
    ring: *const ringpax_ring,
    name: *const c_char,
    name_len: usize,
    weight: u32,
    on_move: ringpax_move_fn,
    ctx: *mut c_void,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let moves = r.shared.write(|t| t.add_node(name, weight))?;
        // SAFETY: callback contract documented on `ringpax_move_fn`.
        unsafe { report(&moves, on_move, ctx) };
        Ok(())
    })
}

/// Like `ringpax_ring_remove_node`, and reports the migration plan through `on_move` (may be
/// NULL). Removing the last node while keys are tracked fails with `EMPTY_RING`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_remove_node_plan(
    ring: *const ringpax_ring,
    name: *const c_char,
    name_len: usize,
    on_move: ringpax_move_fn,
    ctx: *mut c_void,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let moves = r.shared.write(|t| t.remove_node(name))?;
        // SAFETY: callback contract documented on `ringpax_move_fn`.
        unsafe { report(&moves, on_move, ctx) };
        Ok(())
    })
}

/// Track `key` (copied) so that membership changes report it when it moves; the index of the
/// node it is assigned to goes to `*index_out` (may be NULL). Tracking a key twice is a no-op.
/// Errors: `EMPTY_RING`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_track(
    ring: *const ringpax_ring,
    key: *const u8,
    key_len: usize,
    index_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        let i = r.shared.write(|t| t.add(key.to_vec()))?;
        // SAFETY: NULL or writable.
        unsafe { put(index_out, i) };
        Ok(())
    })
}

/// Stop tracking `key`. With bounded loads the bound may shrink; keys moved to keep it are
/// reported through `on_move` (may be NULL). Errors: `UNKNOWN_KEY` (not tracked),
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_untrack(
    ring: *const ringpax_ring,
    key: *const u8,
    key_len: usize,
    on_move: ringpax_move_fn,
    ctx: *mut c_void,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let key = unsafe { bytes(key, key_len, "key") }?.to_vec();
        let moves = r
            .shared
            .write(|t| t.remove(&key, |k| format!("{:?}", String::from_utf8_lossy(k))))?;
        // SAFETY: callback contract documented on `ringpax_move_fn`.
        unsafe { report(&moves, on_move, ctx) };
        Ok(())
    })
}

/// The node a tracked key is assigned to (with bounded loads it may differ from
/// `ringpax_ring_get`); its index goes to `*index_out`. Errors: `UNKNOWN_KEY` (not tracked),
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_assigned(
    ring: *const ringpax_ring,
    key: *const u8,
    key_len: usize,
    index_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let key = unsafe { bytes(key, key_len, "key") }?.to_vec();
        let out = unsafe { non_null_mut(index_out, "index_out") }?;
        *out = r.shared.read(|t| t.assigned(&key)).ok_or_else(|| {
            Failure::new(
                ringpax_status::UnknownKey,
                format!("key {:?} is not tracked", String::from_utf8_lossy(&key)),
            )
        })?;
        Ok(())
    })
}

/// Number of tracked keys (0 for a NULL ring).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_tracked_count(ring: *const ringpax_ring) -> usize {
    // SAFETY: NULL or a live ring, per the contract.
    guard_value(0, || {
        unsafe { ring.as_ref() }.map_or(0, |r| r.shared.read(|t| t.tracked_len()))
    })
}

/// The current bound on tracked keys per node with bounded loads, written to `*bound_out`;
/// `INVALID_ARGUMENT` when the ring has no load bound. Errors: `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_ring_load_bound(
    ring: *const ringpax_ring,
    bound_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(ring, "ring") }?;
        let out = unsafe { non_null_mut(bound_out, "bound_out") }?;
        *out = r.shared.read(|t| t.load_bound()).ok_or_else(|| {
            Failure::new(
                ringpax_status::InvalidArgument,
                "the ring has no load bound (load_factor 0)",
            )
        })?;
        Ok(())
    })
}
