//! Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash
//! Algorithm", 2014, arXiv:1406.2294).
//!
//! Buckets are the numbers `0..n`. There is no table: a lookup runs the paper's loop, about
//! `ln n` iterations, on the key's 64-bit hash. The price is that membership can only change at
//! the end: growing `n` to `n + 1` moves exactly the keys that now belong to bucket `n` (a
//! `1/(n+1)` share), shrinking moves exactly the keys of bucket `n - 1`; removing a bucket in
//! the middle is not possible. Use it when buckets are numbered shards whose count grows and
//! shrinks, not for arbitrary servers joining and leaving (use [`Rendezvous`](super::Rendezvous)
//! or [`Maglev`](super::Maglev) for those).
//!
//! Invariants: `buckets <= MAX_BUCKETS`; when named, there is exactly one unique, non-empty name
//! per bucket, in bucket order.
use std::collections::HashMap;
use std::sync::Arc;

use super::{AlgorithmError, KeyHasher, locate_batch};

/// Largest bucket count: the paper's reference code works on `int32_t`.
pub const MAX_BUCKETS: u32 = i32::MAX as u32;

const WHAT: &str = "jump hash";

/// The jump consistent hash of a 64-bit `key` over `buckets` buckets: the loop of the paper's
/// Figure 1, bit for bit (64-bit LCG, 31-bit jumps computed in `f64`). Returns a bucket in
/// `0..buckets`, or 0 when `buckets` is 0.
#[inline]
pub fn jump_bucket(mut key: u64, buckets: u32) -> u32 {
    let mut b: i64 = -1;
    let mut j: i64 = 0;
    while j < buckets as i64 {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b.max(0) as u32
}

/// Jump consistent hash over `n` buckets, optionally with a name per bucket.
#[derive(Clone, Debug)]
pub struct JumpHash {
    buckets: u32,
    hasher: KeyHasher,
    names: Option<Names>,
}

#[derive(Clone, Debug, Default)]
struct Names {
    by_bucket: Vec<Arc<str>>,
    bucket_of: HashMap<Arc<str>, u32>,
}

impl JumpHash {
    /// `buckets` unnamed buckets (0 is allowed: lookups fail until a bucket is added), hashing
    /// keys with BLAKE3.
    pub fn new(buckets: u32) -> Result<JumpHash, AlgorithmError> {
        JumpHash::with_hasher(buckets, KeyHasher::Blake3)
    }

    /// `buckets` unnamed buckets with an explicit key hash.
    pub fn with_hasher(buckets: u32, hasher: KeyHasher) -> Result<JumpHash, AlgorithmError> {
        if buckets > MAX_BUCKETS {
            return Err(AlgorithmError::TooManyBuckets(buckets as u64));
        }
        Ok(JumpHash {
            buckets,
            hasher,
            names: None,
        })
    }

    /// One bucket per name, in order: bucket `i` is `names[i]`. Names must be unique and
    /// non-empty. An empty list gives a named jump hash with no buckets yet.
    pub fn with_names<'a>(
        names: impl IntoIterator<Item = &'a str>,
        hasher: KeyHasher,
    ) -> Result<JumpHash, AlgorithmError> {
        let mut this = JumpHash {
            buckets: 0,
            hasher,
            names: Some(Names::default()),
        };
        for name in names {
            this.add_bucket(Some(name))?;
        }
        Ok(this)
    }

    /// Number of buckets.
    pub fn buckets(&self) -> u32 {
        self.buckets
    }

    /// True when there are no buckets.
    pub fn is_empty(&self) -> bool {
        self.buckets == 0
    }

    /// True when buckets have names.
    pub fn is_named(&self) -> bool {
        self.names.is_some()
    }

    /// Bucket names in bucket order, when named.
    pub fn names(&self) -> Option<impl ExactSizeIterator<Item = &str> + '_> {
        self.names
            .as_ref()
            .map(|n| n.by_bucket.iter().map(|s| &**s))
    }

    /// Name of `bucket`, when named and in range.
    pub fn bucket_name(&self, bucket: u32) -> Option<&str> {
        self.names
            .as_ref()
            .and_then(|n| n.by_bucket.get(bucket as usize))
            .map(|s| &**s)
    }

    /// Shared handle to the name of `bucket`.
    pub fn bucket_name_arc(&self, bucket: u32) -> Option<&Arc<str>> {
        self.names
            .as_ref()
            .and_then(|n| n.by_bucket.get(bucket as usize))
    }

    /// Bucket of the name `name`, when named and present.
    pub fn bucket_of(&self, name: &str) -> Option<u32> {
        self.names
            .as_ref()
            .and_then(|n| n.bucket_of.get(name).copied())
    }

    /// The key hash.
    pub fn hasher(&self) -> &KeyHasher {
        &self.hasher
    }

    /// The 64-bit hash of `key` that the jump starts from.
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash(key)
    }

    /// The bucket of `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Result<u32, AlgorithmError> {
        if self.buckets == 0 {
            return Err(AlgorithmError::Empty(WHAT));
        }
        Ok(jump_bucket(self.hasher.hash(key), self.buckets))
    }

    /// The name of the bucket of `key` ([`AlgorithmError::UnnamedBuckets`] when unnamed).
    pub fn get_node(&self, key: &[u8]) -> Result<&str, AlgorithmError> {
        if self.names.is_none() {
            return Err(AlgorithmError::UnnamedBuckets);
        }
        let b = self.get(key)?;
        Ok(self.bucket_name(b).unwrap_or_default())
    }

    /// Look up a batch of keys; `out[i]` receives the bucket of `keys[i]`. Large batches are
    /// split across the machine's cores.
    ///
    /// # Panics
    /// When `out` is shorter than `keys`.
    pub fn locate_many<K: AsRef<[u8]> + Sync>(
        &self,
        keys: &[K],
        out: &mut [u32],
    ) -> Result<(), AlgorithmError> {
        assert!(out.len() >= keys.len(), "output shorter than the batch");
        if self.buckets == 0 {
            return Err(AlgorithmError::Empty(WHAT));
        }
        let n = self.buckets;
        locate_batch(keys, out, 1, &self.hasher, |h| jump_bucket(h, n));
        Ok(())
    }

    /// Grow by one bucket; returns its number (the old bucket count). A named jump hash needs
    /// a new unique name, an unnamed one takes `None`. Only keys that now hash to the new bucket
    /// move (from any other bucket).
    pub fn add_bucket(&mut self, name: Option<&str>) -> Result<u32, AlgorithmError> {
        if self.buckets == MAX_BUCKETS {
            return Err(AlgorithmError::TooManyBuckets(MAX_BUCKETS as u64 + 1));
        }
        let bucket = self.buckets;
        match (&mut self.names, name) {
            (None, None) => {}
            (None, Some(_)) => return Err(AlgorithmError::UnnamedBuckets),
            (Some(_), None) => return Err(AlgorithmError::NameRequired),
            (Some(_), Some("")) => return Err(AlgorithmError::EmptyNodeName),
            (Some(names), Some(name)) => {
                if names.bucket_of.contains_key(name) {
                    return Err(AlgorithmError::DuplicateNode(name.to_owned()));
                }
                let name: Arc<str> = Arc::from(name);
                names.by_bucket.push(name.clone());
                names.bucket_of.insert(name, bucket);
            }
        }
        self.buckets += 1;
        Ok(bucket)
    }

    /// Shrink by one bucket: remove the last one and return its number. `name`, when given,
    /// must be the last bucket's name (jump hash cannot remove a bucket from the middle). Only
    /// keys of the removed bucket move.
    pub fn remove_bucket(&mut self, name: Option<&str>) -> Result<u32, AlgorithmError> {
        if let (None, Some(_)) = (&self.names, name) {
            return Err(AlgorithmError::UnnamedBuckets);
        }
        if let (Some(names), Some(name)) = (&self.names, name) {
            if !names.bucket_of.contains_key(name) {
                return Err(AlgorithmError::UnknownNode(name.to_owned()));
            }
        }
        if self.buckets == 0 {
            return Err(AlgorithmError::Empty(WHAT));
        }
        let last = self.buckets - 1;
        if let Some(names) = &mut self.names {
            let last_name = names.by_bucket[last as usize].clone();
            if let Some(name) = name {
                if name != &*last_name {
                    return Err(AlgorithmError::NotLastBucket {
                        name: name.to_owned(),
                        last: last_name.to_string(),
                    });
                }
            }
            names.by_bucket.pop();
            names.bucket_of.remove(&*last_name);
        }
        self.buckets = last;
        Ok(last)
    }

    /// Approximate heap memory held, in bytes (0 without names: jump hash keeps no table).
    pub fn memory_bytes(&self) -> usize {
        self.names.as_ref().map_or(0, |n| {
            n.by_bucket.capacity() * std::mem::size_of::<Arc<str>>()
                + n.by_bucket.iter().map(|s| s.len() + 16).sum::<usize>()
                + n.bucket_of.capacity()
                    * (std::mem::size_of::<(Arc<str>, u32)>() + std::mem::size_of::<u64>())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // From the paper's C++ loop (see also ClickHouse's jumpConsistentHash tests).
        assert_eq!(jump_bucket(1, 1), 0);
        assert_eq!(jump_bucket(42, 57), 43);
        assert_eq!(jump_bucket(256, 1024), 520);
        assert_eq!(jump_bucket(0xDEAD_10CC, 1), 0);
        assert_eq!(jump_bucket(0xDEAD_10CC, 666), 361);
        assert_eq!(jump_bucket(16_045_690_984_833_335_023, 255), 237);
        assert_eq!(jump_bucket(0, 0), 0);
    }

    #[test]
    fn names_follow_buckets() {
        let mut j = JumpHash::with_names(["a", "b"], KeyHasher::Blake3).unwrap();
        assert_eq!(j.add_bucket(Some("c")), Ok(2));
        assert_eq!(j.bucket_of("c"), Some(2));
        assert_eq!(
            j.remove_bucket(Some("a")),
            Err(AlgorithmError::NotLastBucket {
                name: "a".into(),
                last: "c".into()
            })
        );
        assert_eq!(j.remove_bucket(Some("c")), Ok(2));
        assert_eq!(j.bucket_of("c"), None);
        assert_eq!(j.names().unwrap().collect::<Vec<_>>(), ["a", "b"]);
    }
}
