//! `ringpax_jump`, `ringpax_rendezvous`, `ringpax_maglev`: the other consistent-hashing
//! algorithms (placement spec in `ringpax_core::ring::algorithms`). Same conventions as
//! `ringpax_ring`: opaque handles owned by the caller from `_new` to `_free`, a status from every
//! fallible call, out-params written only on success, names as `(pointer, length)` UTF-8 copied
//! by ringpax, strings returned in caller buffers.
//!
//! Key hash: every `_new` takes `hash`, a `ringpax_hash` value passed as `uint32_t` (so an
//! out-of-range number is reported as `INVALID_ARGUMENT` instead of being undefined behaviour),
//! and `(hash_key, hash_key_len)`: 32 secret bytes for `RINGPAX_HASH_BLAKE3_KEYED`, else NULL
//! and 0.
//!
//! Thread safety (all three): functions taking a `const` handle may run concurrently from many
//! threads; a function taking a non-`const` handle (a membership change) needs exclusive access.
use std::ffi::c_char;

use ringpax_core::ring::KeyHasher;
use ringpax_core::ring::algorithms::{AlgorithmError, JumpHash, Maglev, Rendezvous};

use crate::ring::ringpax_hash;

use crate::error::{
    Failure, bytes, free_handle, guard, guard_value, non_null, non_null_mut, put, ringpax_status,
    utf8, write_text,
};

/// The usual Maglev table size (a prime).
pub const RINGPAX_MAGLEV_DEFAULT_TABLE_SIZE: u64 = 65_537;

impl From<AlgorithmError> for Failure {
    fn from(e: AlgorithmError) -> Self {
        let status = match &e {
            AlgorithmError::Empty(_) => ringpax_status::EmptyRing,
            AlgorithmError::DuplicateNode(_) => ringpax_status::DuplicateNode,
            AlgorithmError::UnknownNode(_) => ringpax_status::UnknownNode,
            AlgorithmError::EmptyNodeName
            | AlgorithmError::InvalidWeight(_)
            | AlgorithmError::TooManyBuckets(_)
            | AlgorithmError::NameRequired
            | AlgorithmError::UnnamedBuckets
            | AlgorithmError::NotLastBucket { .. }
            | AlgorithmError::TableSizeNotPrime { .. }
            | AlgorithmError::TableSizeOutOfRange(_)
            | AlgorithmError::TableTooSmall { .. }
            | AlgorithmError::TooManyRequested { .. } => ringpax_status::InvalidArgument,
        };
        Failure::new(status, e.to_string())
    }
}

fn invalid(detail: impl Into<String>) -> Failure {
    Failure::new(ringpax_status::InvalidArgument, detail)
}

/// The key hash from `(hash, hash_key, hash_key_len)`.
///
/// # Safety
/// `hash_key` is NULL or valid for `hash_key_len` bytes of reads.
unsafe fn hasher(
    hash: u32,
    hash_key: *const u8,
    hash_key_len: usize,
) -> Result<KeyHasher, Failure> {
    // SAFETY: forwarded from the caller.
    let key = unsafe { bytes(hash_key, hash_key_len, "hash_key") }?;
    const BLAKE3: u32 = ringpax_hash::Blake3 as u32;
    const XXH3: u32 = ringpax_hash::Xxh3 as u32;
    const BLAKE3_KEYED: u32 = ringpax_hash::Blake3Keyed as u32;
    match hash {
        BLAKE3 | XXH3 if !key.is_empty() => Err(invalid(
            "hash_key is only used with RINGPAX_HASH_BLAKE3_KEYED; pass NULL and 0",
        )),
        BLAKE3 => Ok(KeyHasher::Blake3),
        XXH3 => Ok(KeyHasher::Xxh3),
        BLAKE3_KEYED => {
            let key: [u8; 32] = key.try_into().map_err(|_| {
                invalid(format!(
                    "RINGPAX_HASH_BLAKE3_KEYED needs a 32-byte hash_key, got {} bytes",
                    key.len()
                ))
            })?;
            Ok(KeyHasher::Blake3Keyed(Box::new(key)))
        }
        other => Err(invalid(format!(
            "unknown hash {other} (use RINGPAX_HASH_BLAKE3, RINGPAX_HASH_XXH3 or \
             RINGPAX_HASH_BLAKE3_KEYED)"
        ))),
    }
}

/// `count` keys from parallel arrays; `count == 0` allows NULL arrays.
///
/// # Safety
/// `keys` and `key_lens` are NULL or valid for `count` entries, each key valid for its length.
unsafe fn key_batch<'a>(
    keys: *const *const u8,
    key_lens: *const usize,
    count: usize,
) -> Result<Vec<&'a [u8]>, Failure> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if keys.is_null() || key_lens.is_null() {
        return Err(Failure::new(
            ringpax_status::NullArgument,
            "keys or key_lens is NULL",
        ));
    }
    // SAFETY: both arrays have `count` entries per the contract.
    let (ptrs, lens) = unsafe {
        (
            std::slice::from_raw_parts(keys, count),
            std::slice::from_raw_parts(key_lens, count),
        )
    };
    ptrs.iter()
        .zip(lens)
        // SAFETY: each key is valid for its length per the contract.
        .map(|(&p, &l)| unsafe { bytes(p, l, "a key") })
        .collect()
}

/// `count` UTF-8 names from parallel arrays; `count == 0` allows NULL arrays.
///
/// # Safety
/// As for [`key_batch`].
unsafe fn name_batch<'a>(
    names: *const *const c_char,
    name_lens: *const usize,
    count: usize,
) -> Result<Vec<&'a str>, Failure> {
    // SAFETY: forwarded from the caller.
    let raw = unsafe { key_batch(names.cast(), name_lens, count) }?;
    raw.into_iter()
        .enumerate()
        .map(|(i, b)| {
            std::str::from_utf8(b).map_err(|e| {
                Failure::new(
                    ringpax_status::InvalidUtf8,
                    format!("name {i} is not valid UTF-8: {e}"),
                )
            })
        })
        .collect()
}

/// Write `name` into `(buf, cap)` and/or its length into `len_out`, each optional.
///
/// # Safety
/// As for [`write_text`].
unsafe fn write_name(
    name: &str,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> Result<(), Failure> {
    if buf.is_null() {
        // SAFETY: NULL or writable per the caller.
        unsafe { put(len_out, name.len()) };
        Ok(())
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { write_text(name, buf, cap, len_out) }
    }
}

fn unknown_index(index: usize, count: usize) -> Failure {
    Failure::new(
        ringpax_status::UnknownNode,
        format!("node index {index} is out of range (there are {count} nodes)"),
    )
}

fn unknown_name(name: &str) -> Failure {
    Failure::new(
        ringpax_status::UnknownNode,
        format!("node {name:?} is not a member"),
    )
}

/// Check that an output array for `count` entries is there.
fn out_array<T>(out: *mut T, count: usize, what: &str) -> Result<(), Failure> {
    if count > 0 && out.is_null() {
        return Err(Failure::new(
            ringpax_status::NullArgument,
            format!("{what} is NULL"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Jump consistent hash
// ---------------------------------------------------------------------------------------------

/// Jump consistent hash (Lamping & Veach 2014) over buckets `0 .. n-1`, optionally named.
/// Opaque: create with `ringpax_jump_new` or `ringpax_jump_new_named`, destroy with
/// `ringpax_jump_free`. No table: O(log n) per lookup, O(1) memory. Membership changes only at
/// the end: `ringpax_jump_add_bucket` appends bucket `n`, `ringpax_jump_remove_bucket` removes
/// bucket `n-1`; a bucket in the middle cannot be removed.
pub struct ringpax_jump {
    jump: JumpHash,
}

/// Create a jump hash with `buckets` unnamed buckets (0 allowed: lookups return `EMPTY_RING`
/// until a bucket is added; at most 2^31 - 1) and store it in `*jump_out`. `hash` is a
/// `ringpax_hash` (`RINGPAX_HASH_BLAKE3` is the default); `hash_key` (`hash_key_len` bytes,
/// copied) is 32 bytes for `RINGPAX_HASH_BLAKE3_KEYED`, else NULL and 0. The caller owns the handle and releases it
/// with `ringpax_jump_free`; `*jump_out` is written only on success.
/// Errors: `INVALID_ARGUMENT`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_new(
    buckets: u32,
    hash: u32,
    hash_key: *const u8,
    hash_key_len: usize,
    jump_out: *mut *mut ringpax_jump,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let out = unsafe { non_null_mut(jump_out, "jump_out") }?;
        let hasher = unsafe { hasher(hash, hash_key, hash_key_len) }?;
        let jump = JumpHash::with_hasher(buckets, hasher)?;
        *out = Box::into_raw(Box::new(ringpax_jump { jump }));
        Ok(())
    })
}

/// Create a jump hash with one named bucket per name: bucket `i` is `names[i]` (`name_lens[i]`
/// bytes of UTF-8, copied; unique and non-empty). `count` may be 0 (then the arrays may be
/// NULL): a named jump hash with no buckets yet. Hash arguments and ownership as for
/// `ringpax_jump_new`. Errors: `DUPLICATE_NODE`, `INVALID_ARGUMENT`, `INVALID_UTF8`,
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_new_named(
    names: *const *const c_char,
    name_lens: *const usize,
    count: usize,
    hash: u32,
    hash_key: *const u8,
    hash_key_len: usize,
    jump_out: *mut *mut ringpax_jump,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let out = unsafe { non_null_mut(jump_out, "jump_out") }?;
        let names = unsafe { name_batch(names, name_lens, count) }?;
        let hasher = unsafe { hasher(hash, hash_key, hash_key_len) }?;
        let jump = JumpHash::with_names(names, hasher)?;
        *out = Box::into_raw(Box::new(ringpax_jump { jump }));
        Ok(())
    })
}

/// Destroy a jump hash. `jump` may be NULL (nothing happens). After this call the pointer is
/// dangling; freeing it twice is undefined behaviour.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_free(jump: *mut ringpax_jump) {
    // SAFETY: `jump` is NULL or came from a `ringpax_jump_new*` function, freed once (above).
    unsafe { free_handle(jump) }
}

/// The bucket of `key` (`key_len` bytes; NULL allowed when `key_len` is 0), written to
/// `*bucket_out`. Errors: `EMPTY_RING` (no buckets), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_get(
    jump: *const ringpax_jump,
    key: *const u8,
    key_len: usize,
    bucket_out: *mut u32,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let j = unsafe { non_null(jump, "jump") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        let out = unsafe { non_null_mut(bucket_out, "bucket_out") }?;
        *out = j.jump.get(key)?;
        Ok(())
    })
}

/// Batch lookup: for `i < count`, `buckets_out[i]` receives the bucket of `keys[i]` (length
/// `key_lens[i]`). Large batches are split across threads. ringpax reads the arrays only during
/// the call. Errors: `EMPTY_RING`, `NULL_ARGUMENT` (an array NULL while `count > 0`, or a NULL
/// key with a non-zero length); nothing is written on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_get_many(
    jump: *const ringpax_jump,
    keys: *const *const u8,
    key_lens: *const usize,
    count: usize,
    buckets_out: *mut u32,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let j = unsafe { non_null(jump, "jump") }?;
        let keys = unsafe { key_batch(keys, key_lens, count) }?;
        out_array(buckets_out, count, "buckets_out")?;
        if count == 0 {
            return Ok(());
        }
        let mut found = vec![0u32; count];
        j.jump.locate_many(&keys, &mut found)?;
        // SAFETY: `buckets_out` has room for `count` entries per the contract.
        unsafe { std::ptr::copy_nonoverlapping(found.as_ptr(), buckets_out, count) };
        Ok(())
    })
}

/// Append bucket `n` (the current count); its number goes to `*bucket_out` (may be NULL). A
/// named jump hash needs a new unique `name` (`name_len` bytes of UTF-8, copied); an unnamed
/// one takes NULL and 0. Only keys that now hash to the new bucket move.
/// Errors: `DUPLICATE_NODE`, `INVALID_ARGUMENT` (name missing or not expected, too many
/// buckets), `INVALID_UTF8`, `NULL_ARGUMENT`. On error nothing changes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_add_bucket(
    jump: *mut ringpax_jump,
    name: *const c_char,
    name_len: usize,
    bucket_out: *mut u32,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let j = unsafe { non_null_mut(jump, "jump") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let bucket = j.jump.add_bucket((!name.is_empty()).then_some(name))?;
        // SAFETY: NULL or writable.
        unsafe { put(bucket_out, bucket) };
        Ok(())
    })
}

/// Remove the last bucket (`n - 1`); its number goes to `*bucket_out` (may be NULL). `name`
/// (`name_len` bytes of UTF-8) may be NULL and 0; when given, it must be the last bucket's name
/// (a named jump hash only). Only the removed bucket's keys move. Errors: `EMPTY_RING`,
/// `UNKNOWN_NODE`, `INVALID_ARGUMENT` (not the last bucket, or a name for unnamed buckets),
/// `INVALID_UTF8`, `NULL_ARGUMENT`. On error nothing changes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_remove_bucket(
    jump: *mut ringpax_jump,
    name: *const c_char,
    name_len: usize,
    bucket_out: *mut u32,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let j = unsafe { non_null_mut(jump, "jump") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let bucket = j.jump.remove_bucket((!name.is_empty()).then_some(name))?;
        // SAFETY: NULL or writable.
        unsafe { put(bucket_out, bucket) };
        Ok(())
    })
}

/// Number of buckets (0 for a NULL handle).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_bucket_count(jump: *const ringpax_jump) -> u32 {
    // SAFETY: NULL or a live handle, per the contract.
    guard_value(0, || {
        unsafe { jump.as_ref() }.map_or(0, |j| j.jump.buckets())
    })
}

/// True when the buckets have names (made by `ringpax_jump_new_named`); false for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_is_named(jump: *const ringpax_jump) -> bool {
    // SAFETY: NULL or a live handle, per the contract.
    guard_value(false, || {
        unsafe { jump.as_ref() }.is_some_and(|j| j.jump.is_named())
    })
}

/// Write the name of `bucket` into `buf` (`cap` bytes, NUL-terminated) and its length (without
/// NUL) into `*len_out` (may be NULL). Errors: `UNKNOWN_NODE` (bucket out of range),
/// `INVALID_ARGUMENT` (unnamed buckets), `BUFFER_TOO_SMALL` (`*len_out` still set),
/// `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_bucket_name(
    jump: *const ringpax_jump,
    bucket: u32,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let j = unsafe { non_null(jump, "jump") }?;
        if !j.jump.is_named() {
            return Err(AlgorithmError::UnnamedBuckets.into());
        }
        let name = j
            .jump
            .bucket_name(bucket)
            .ok_or_else(|| unknown_index(bucket as usize, j.jump.buckets() as usize))?;
        // SAFETY: as documented above.
        unsafe { write_text(name, buf, cap, len_out) }
    })
}

/// The bucket named `name` (`name_len` bytes of UTF-8), written to `*bucket_out`.
/// Errors: `UNKNOWN_NODE` (no such name, or unnamed buckets), `INVALID_UTF8`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_bucket_index(
    jump: *const ringpax_jump,
    name: *const c_char,
    name_len: usize,
    bucket_out: *mut u32,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let j = unsafe { non_null(jump, "jump") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let out = unsafe { non_null_mut(bucket_out, "bucket_out") }?;
        *out = j.jump.bucket_of(name).ok_or_else(|| unknown_name(name))?;
        Ok(())
    })
}

/// The 64-bit hash of `key` that the jump starts from, written to `*hash_out`.
/// Errors: `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_jump_hash(
    jump: *const ringpax_jump,
    key: *const u8,
    key_len: usize,
    hash_out: *mut u64,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let j = unsafe { non_null(jump, "jump") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        let out = unsafe { non_null_mut(hash_out, "hash_out") }?;
        *out = j.jump.hash(key);
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Weighted rendezvous hashing
// ---------------------------------------------------------------------------------------------

/// Weighted rendezvous (highest random weight) hashing over named nodes. Opaque: create with
/// `ringpax_rendezvous_new`, destroy with `ringpax_rendezvous_free`. Any node may join or leave;
/// only the keys it wins or owned move. A lookup scores every node: O(n) per key. Node indexes
/// follow the bytewise order of node names and are valid until the next membership change.
pub struct ringpax_rendezvous {
    set: Rendezvous,
}

/// Create an empty rendezvous set and store it in `*set_out`. Hash arguments as for
/// `ringpax_jump_new`. The caller owns the handle and releases it with
/// `ringpax_rendezvous_free`; `*set_out` is written only on success.
/// Errors: `INVALID_ARGUMENT`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_new(
    hash: u32,
    hash_key: *const u8,
    hash_key_len: usize,
    set_out: *mut *mut ringpax_rendezvous,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let out = unsafe { non_null_mut(set_out, "set_out") }?;
        let hasher = unsafe { hasher(hash, hash_key, hash_key_len) }?;
        *out = Box::into_raw(Box::new(ringpax_rendezvous {
            set: Rendezvous::with_hasher(hasher),
        }));
        Ok(())
    })
}

/// Destroy a rendezvous set. `set` may be NULL (nothing happens). After this call the pointer
/// is dangling; freeing it twice is undefined behaviour.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_free(set: *mut ringpax_rendezvous) {
    // SAFETY: `set` is NULL or came from `ringpax_rendezvous_new`, freed once (above).
    unsafe { free_handle(set) }
}

/// Add node `name` (`name_len` bytes of UTF-8, copied) with `weight` (a number in
/// `[1e-9, 1e9]`; 1.0 is the usual choice). Errors: `DUPLICATE_NODE`, `INVALID_ARGUMENT` (empty
/// name, bad weight), `INVALID_UTF8`, `NULL_ARGUMENT`. On error nothing changes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_add_node(
    set: *mut ringpax_rendezvous,
    name: *const c_char,
    name_len: usize,
    weight: f64,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null_mut(set, "set") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        r.set.add_node(name, weight).map_err(Failure::from)
    })
}

/// Remove node `name` (`name_len` bytes of UTF-8). Errors: `UNKNOWN_NODE`, `INVALID_UTF8`,
/// `NULL_ARGUMENT`. On error nothing changes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_remove_node(
    set: *mut ringpax_rendezvous,
    name: *const c_char,
    name_len: usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null_mut(set, "set") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        r.set.remove_node(name).map(|_| ()).map_err(Failure::from)
    })
}

/// Find the node that owns `key` (`key_len` bytes; NULL allowed when `key_len` is 0). Outputs,
/// each optional (NULL to skip): `*index_out` the node index; the node name written to
/// `name_buf` (`name_cap` bytes, NUL-terminated) with its length (without NUL) in
/// `*name_len_out`. When `name_buf` is too small the call returns `BUFFER_TOO_SMALL` and sets
/// only `*name_len_out`. Errors: `EMPTY_RING`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_get(
    set: *const ringpax_rendezvous,
    key: *const u8,
    key_len: usize,
    index_out: *mut usize,
    name_buf: *mut c_char,
    name_cap: usize,
    name_len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(set, "set") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        let i = r.set.get_index(key)?;
        let name = r.set.node_name(i).unwrap_or_default();
        // SAFETY: as documented above.
        unsafe { write_name(name, name_buf, name_cap, name_len_out) }?;
        // SAFETY: NULL or writable.
        unsafe { put(index_out, i) };
        Ok(())
    })
}

/// The `k` highest-scoring nodes for `key`, best first (the first is `ringpax_rendezvous_get`'s
/// node): their indexes go to `indexes_out` (room for `k` entries; may be NULL only when `k` is
/// 0). A replica set that changes minimally with membership. Errors: `EMPTY_RING`,
/// `INVALID_ARGUMENT` (`k` larger than the node count), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_get_nodes(
    set: *const ringpax_rendezvous,
    key: *const u8,
    key_len: usize,
    k: usize,
    indexes_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(set, "set") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        out_array(indexes_out, k, "indexes_out")?;
        let idx = r.set.get_nodes_index(key, k)?;
        for (n, &i) in idx.iter().enumerate() {
            // SAFETY: `indexes_out` has room for `k == idx.len()` entries.
            unsafe { *indexes_out.add(n) = i };
        }
        Ok(())
    })
}

/// Batch lookup: for `i < count`, `indexes_out[i]` receives the node index of `keys[i]` (length
/// `key_lens[i]`). Large batches are split across threads. Errors and arrays as for
/// `ringpax_jump_get_many`; nothing is written on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_get_many(
    set: *const ringpax_rendezvous,
    keys: *const *const u8,
    key_lens: *const usize,
    count: usize,
    indexes_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(set, "set") }?;
        let keys = unsafe { key_batch(keys, key_lens, count) }?;
        out_array(indexes_out, count, "indexes_out")?;
        if count == 0 {
            return Ok(());
        }
        let mut found = vec![0u32; count];
        r.set.locate_many(&keys, &mut found)?;
        for (n, &i) in found.iter().enumerate() {
            // SAFETY: `indexes_out` has `count` entries per the contract.
            unsafe { *indexes_out.add(n) = i as usize };
        }
        Ok(())
    })
}

/// Number of nodes (0 for a NULL handle).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_node_count(set: *const ringpax_rendezvous) -> usize {
    // SAFETY: NULL or a live handle, per the contract.
    guard_value(0, || {
        unsafe { set.as_ref() }.map_or(0, |r| r.set.node_count())
    })
}

/// Write the name of node `index` into `buf` (`cap` bytes, NUL-terminated) and its length
/// (without NUL) into `*len_out` (may be NULL). Errors: `UNKNOWN_NODE` (index out of range),
/// `BUFFER_TOO_SMALL` (`*len_out` still set), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_node_name(
    set: *const ringpax_rendezvous,
    index: usize,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(set, "set") }?;
        let name = r
            .set
            .node_name(index)
            .ok_or_else(|| unknown_index(index, r.set.node_count()))?;
        // SAFETY: as documented above.
        unsafe { write_text(name, buf, cap, len_out) }
    })
}

/// The index of node `name` (`name_len` bytes of UTF-8), written to `*index_out`.
/// Errors: `UNKNOWN_NODE`, `INVALID_UTF8`, `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_node_index(
    set: *const ringpax_rendezvous,
    name: *const c_char,
    name_len: usize,
    index_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(set, "set") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let out = unsafe { non_null_mut(index_out, "index_out") }?;
        *out = r.set.node_index(name).ok_or_else(|| unknown_name(name))?;
        Ok(())
    })
}

/// The weight of node `index`, written to `*weight_out`. Errors: `UNKNOWN_NODE` (index out of
/// range), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_node_weight(
    set: *const ringpax_rendezvous,
    index: usize,
    weight_out: *mut f64,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(set, "set") }?;
        let out = unsafe { non_null_mut(weight_out, "weight_out") }?;
        *out = r
            .set
            .weight_at(index)
            .ok_or_else(|| unknown_index(index, r.set.node_count()))?;
        Ok(())
    })
}

/// The 64-bit hash of `key` under this set's hash function, written to `*hash_out`.
/// Errors: `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_rendezvous_hash(
    set: *const ringpax_rendezvous,
    key: *const u8,
    key_len: usize,
    hash_out: *mut u64,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let r = unsafe { non_null(set, "set") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        let out = unsafe { non_null_mut(hash_out, "hash_out") }?;
        *out = r.set.hash(key);
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Maglev
// ---------------------------------------------------------------------------------------------

/// Maglev hashing (Eisenbud et al., NSDI 2016): named, optionally weighted nodes and a lookup
/// table of prime size; a lookup is one hash and one table read. Opaque: create with
/// `ringpax_maglev_new`, destroy with `ringpax_maglev_free`. Every membership change rebuilds
/// the table (add many nodes at once with `ringpax_maglev_add_nodes`). Node indexes follow the
/// bytewise order of node names and are valid until the next membership change.
pub struct ringpax_maglev {
    maglev: Maglev,
}

/// Create an empty Maglev whose table has `table_size` entries (a prime, at most 16777213,
/// larger than the number of nodes it will hold; `RINGPAX_MAGLEV_DEFAULT_TABLE_SIZE` = 65537 is
/// the usual choice) and store it in `*maglev_out`. Hash arguments as for `ringpax_jump_new`.
/// The caller owns the handle and releases it with `ringpax_maglev_free`; `*maglev_out` is
/// written only on success. Errors: `INVALID_ARGUMENT` (size out of range or not prime; the last
/// error names the nearest primes), `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_new(
    table_size: u64,
    hash: u32,
    hash_key: *const u8,
    hash_key_len: usize,
    maglev_out: *mut *mut ringpax_maglev,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let out = unsafe { non_null_mut(maglev_out, "maglev_out") }?;
        let hasher = unsafe { hasher(hash, hash_key, hash_key_len) }?;
        let maglev = Maglev::with_hasher(table_size, hasher)?;
        *out = Box::into_raw(Box::new(ringpax_maglev { maglev }));
        Ok(())
    })
}

/// Destroy a Maglev. `maglev` may be NULL (nothing happens). After this call the pointer is
/// dangling; freeing it twice is undefined behaviour.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_free(maglev: *mut ringpax_maglev) {
    // SAFETY: `maglev` is NULL or came from `ringpax_maglev_new`, freed once (above).
    unsafe { free_handle(maglev) }
}

/// Add node `name` (`name_len` bytes of UTF-8, copied) with `weight` (a number in
/// `[1e-9, 1e9]`; 1.0 is the usual choice) and rebuild the table. Errors: `DUPLICATE_NODE`,
/// `INVALID_ARGUMENT` (empty name, bad weight, table not larger than the node count),
/// `INVALID_UTF8`, `NULL_ARGUMENT`. On error nothing changes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_add_node(
    maglev: *mut ringpax_maglev,
    name: *const c_char,
    name_len: usize,
    weight: f64,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null_mut(maglev, "maglev") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        m.maglev.add_node(name, weight).map_err(Failure::from)
    })
}

/// Add `count` nodes with one table rebuild: `names[i]` (`name_lens[i]` bytes of UTF-8, copied)
/// with weight `weights[i]`, or 1.0 for all when `weights` is NULL. Nothing is added unless
/// every node is valid and new. Errors as for `ringpax_maglev_add_node`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_add_nodes(
    maglev: *mut ringpax_maglev,
    names: *const *const c_char,
    name_lens: *const usize,
    weights: *const f64,
    count: usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null_mut(maglev, "maglev") }?;
        let names = unsafe { name_batch(names, name_lens, count) }?;
        let weights: Vec<f64> = if weights.is_null() || count == 0 {
            vec![1.0; count]
        } else {
            // SAFETY: `weights` has `count` entries per the contract.
            unsafe { std::slice::from_raw_parts(weights, count) }.to_vec()
        };
        m.maglev
            .add_nodes(names.into_iter().zip(weights))
            .map_err(Failure::from)
    })
}

/// Remove node `name` (`name_len` bytes of UTF-8) and rebuild the table. Errors:
/// `UNKNOWN_NODE`, `INVALID_UTF8`, `NULL_ARGUMENT`. On error nothing changes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_remove_node(
    maglev: *mut ringpax_maglev,
    name: *const c_char,
    name_len: usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null_mut(maglev, "maglev") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        m.maglev
            .remove_node(name)
            .map(|_| ())
            .map_err(Failure::from)
    })
}

/// Find the node that owns `key`; outputs and errors exactly as for `ringpax_rendezvous_get`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_get(
    maglev: *const ringpax_maglev,
    key: *const u8,
    key_len: usize,
    index_out: *mut usize,
    name_buf: *mut c_char,
    name_cap: usize,
    name_len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null(maglev, "maglev") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        let i = m.maglev.get_index(key)?;
        let name = m.maglev.node_name(i).unwrap_or_default();
        // SAFETY: as documented for `ringpax_rendezvous_get`.
        unsafe { write_name(name, name_buf, name_cap, name_len_out) }?;
        // SAFETY: NULL or writable.
        unsafe { put(index_out, i) };
        Ok(())
    })
}

/// Batch lookup: for `i < count`, `indexes_out[i]` receives the node index of `keys[i]` (length
/// `key_lens[i]`). Errors and arrays as for `ringpax_jump_get_many`; nothing is written on
/// error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_get_many(
    maglev: *const ringpax_maglev,
    keys: *const *const u8,
    key_lens: *const usize,
    count: usize,
    indexes_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null(maglev, "maglev") }?;
        let keys = unsafe { key_batch(keys, key_lens, count) }?;
        out_array(indexes_out, count, "indexes_out")?;
        if count == 0 {
            return Ok(());
        }
        let mut found = vec![0u32; count];
        m.maglev.locate_many(&keys, &mut found)?;
        for (n, &i) in found.iter().enumerate() {
            // SAFETY: `indexes_out` has `count` entries per the contract.
            unsafe { *indexes_out.add(n) = i as usize };
        }
        Ok(())
    })
}

/// Number of nodes (0 for a NULL handle).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_node_count(maglev: *const ringpax_maglev) -> usize {
    // SAFETY: NULL or a live handle, per the contract.
    guard_value(0, || {
        unsafe { maglev.as_ref() }.map_or(0, |m| m.maglev.node_count())
    })
}

/// The table size (0 for a NULL handle).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_table_size(maglev: *const ringpax_maglev) -> u64 {
    // SAFETY: NULL or a live handle, per the contract.
    guard_value(0, || {
        unsafe { maglev.as_ref() }.map_or(0, |m| m.maglev.table_size())
    })
}

/// Copy the lookup table into `table_out` (room for `cap` entries): entry `i` is the index of
/// the node owning keys whose hash is `i` modulo the table size. Its length (the table size, or
/// 0 with no nodes) goes to `*len_out` (may be NULL), also when `cap` is too small. Errors:
/// `BUFFER_TOO_SMALL`, `NULL_ARGUMENT` (`table_out` NULL while the table is not empty).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_table(
    maglev: *const ringpax_maglev,
    table_out: *mut u32,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null(maglev, "maglev") }?;
        let table = m.maglev.table();
        // SAFETY: NULL or writable.
        unsafe { put(len_out, table.len()) };
        out_array(table_out, table.len(), "table_out")?;
        if cap < table.len() {
            return Err(Failure::new(
                ringpax_status::BufferTooSmall,
                format!(
                    "table_out has room for {cap} entries, the table has {}",
                    table.len()
                ),
            ));
        }
        // SAFETY: `table_out` has room for `cap >= table.len()` entries.
        unsafe { std::ptr::copy_nonoverlapping(table.as_ptr(), table_out, table.len()) };
        Ok(())
    })
}

/// Write the name of node `index`; as for `ringpax_rendezvous_node_name`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_node_name(
    maglev: *const ringpax_maglev,
    index: usize,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null(maglev, "maglev") }?;
        let name = m
            .maglev
            .node_name(index)
            .ok_or_else(|| unknown_index(index, m.maglev.node_count()))?;
        // SAFETY: as documented for `ringpax_rendezvous_node_name`.
        unsafe { write_text(name, buf, cap, len_out) }
    })
}

/// The index of node `name`; as for `ringpax_rendezvous_node_index`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_node_index(
    maglev: *const ringpax_maglev,
    name: *const c_char,
    name_len: usize,
    index_out: *mut usize,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null(maglev, "maglev") }?;
        let name = unsafe { utf8(name.cast(), name_len, "name") }?;
        let out = unsafe { non_null_mut(index_out, "index_out") }?;
        *out = m
            .maglev
            .node_index(name)
            .ok_or_else(|| unknown_name(name))?;
        Ok(())
    })
}

/// The weight of node `index`; as for `ringpax_rendezvous_node_weight`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_node_weight(
    maglev: *const ringpax_maglev,
    index: usize,
    weight_out: *mut f64,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null(maglev, "maglev") }?;
        let out = unsafe { non_null_mut(weight_out, "weight_out") }?;
        *out = m
            .maglev
            .weight_at(index)
            .ok_or_else(|| unknown_index(index, m.maglev.node_count()))?;
        Ok(())
    })
}

/// The 64-bit hash of `key` under this Maglev's hash function (the table entry is this modulo
/// the table size), written to `*hash_out`. Errors: `NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ringpax_maglev_hash(
    maglev: *const ringpax_maglev,
    key: *const u8,
    key_len: usize,
    hash_out: *mut u64,
) -> ringpax_status {
    guard(|| {
        // SAFETY: pointer validity is the caller's contract.
        let m = unsafe { non_null(maglev, "maglev") }?;
        let key = unsafe { bytes(key, key_len, "key") }?;
        let out = unsafe { non_null_mut(hash_out, "hash_out") }?;
        *out = m.maglev.hash(key);
        Ok(())
    })
}
