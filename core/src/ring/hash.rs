//! Key hash functions used to place keys and points on the ring.
//!
//! The default, [`KeyHasher::Blake3`], is the documented ringpax spec: the first 8 bytes of
//! BLAKE3(bytes) read as a little-endian `u64`. The same function hashes keys and ring points,
//! so a ring built with one hasher is only comparable with rings built with the same hasher.

use super::blake3_lanes as lanes;

/// Which 64-bit hash places keys and points on a ring.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum KeyHasher {
    /// First 8 bytes of BLAKE3, little-endian. The default and the documented spec.
    #[default]
    Blake3,
    /// Keyed BLAKE3 with a 32-byte secret: clients that do not know the key cannot grind keys
    /// that all land on one node.
    Blake3Keyed(Box<[u8; 32]>),
    /// XXH3-64 (seed 0). Fastest; only for keys that come from trusted sources.
    Xxh3,
}

impl KeyHasher {
    /// Hash `bytes` to a position on the ring.
    #[inline]
    pub fn hash(&self, bytes: &[u8]) -> u64 {
        match self {
            KeyHasher::Blake3 => first_u64(blake3::hash(bytes).as_bytes()),
            KeyHasher::Blake3Keyed(key) => first_u64(blake3::keyed_hash(key, bytes).as_bytes()),
            KeyHasher::Xxh3 => xxhash_rust::xxh3::xxh3_64(bytes),
        }
    }

    /// Hash every key of `keys` into `out` (same length). BLAKE3 keys of at most 64 bytes are
    /// hashed [`LANES`](super::blake3_lanes::LANES) at a time (see [`super::blake3_lanes`]);
    /// the results are exactly those of [`hash`](KeyHasher::hash).
    pub fn hash_many<K: AsRef<[u8]>>(&self, keys: &[K], out: &mut [u64]) {
        assert_eq!(keys.len(), out.len(), "one output per key");
        let (cv, flags) = match self {
            KeyHasher::Blake3 => lanes::mode(None),
            KeyHasher::Blake3Keyed(key) => lanes::mode(Some(key)),
            KeyHasher::Xxh3 => {
                for (k, o) in keys.iter().zip(out.iter_mut()) {
                    *o = xxhash_rust::xxh3::xxh3_64(k.as_ref());
                }
                return;
            }
        };
        let mut key_groups = keys.chunks_exact(lanes::LANES);
        let mut out_groups = out.chunks_exact_mut(lanes::LANES);
        for (ks, os) in (&mut key_groups).zip(&mut out_groups) {
            if ks.iter().all(|k| k.as_ref().len() <= lanes::BLOCK_LEN) {
                let inputs = std::array::from_fn(|i| ks[i].as_ref());
                os.copy_from_slice(&lanes::hash_lanes(inputs, &cv, flags));
            } else {
                for (k, o) in ks.iter().zip(os.iter_mut()) {
                    *o = self.hash(k.as_ref());
                }
            }
        }
        for (k, o) in key_groups
            .remainder()
            .iter()
            .zip(out_groups.into_remainder())
        {
            *o = self.hash(k.as_ref());
        }
    }

    /// `out[i] = locate(hash(keys[i]))` for every key, hashing a group of keys at a time with
    /// [`hash_many`](KeyHasher::hash_many); the `locate` calls of a group are independent, so
    /// their cache misses overlap.
    pub(crate) fn map_hashes<K: AsRef<[u8]>>(
        &self,
        keys: &[K],
        out: &mut [u32],
        locate: impl Fn(u64) -> u32,
    ) {
        const GROUP: usize = 64;
        let mut hashes = [0u64; GROUP];
        for (ks, os) in keys.chunks(GROUP).zip(out.chunks_mut(GROUP)) {
            let hashes = &mut hashes[..ks.len()];
            self.hash_many(ks, hashes);
            for (h, o) in hashes.iter().zip(os.iter_mut()) {
                *o = locate(*h);
            }
        }
    }

    /// The name used for this hasher on every face (`"blake3"`, `"blake3-keyed"`, `"xxh3"`).
    pub fn name(&self) -> &'static str {
        match self {
            KeyHasher::Blake3 => "blake3",
            KeyHasher::Blake3Keyed(_) => "blake3-keyed",
            KeyHasher::Xxh3 => "xxh3",
        }
    }
}

#[inline]
fn first_u64(digest: &[u8; 32]) -> u64 {
    let mut le = [0u8; 8];
    le.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(le)
}

/// Hash of the ring point `i` of node `name`: `h(UTF-8(name) + "#" + decimal(i))`.
pub(crate) fn point_hash(hasher: &KeyHasher, name: &str, i: u32, buf: &mut Vec<u8>) -> u64 {
    use std::io::Write;
    buf.clear();
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'#');
    // Writing a u32 into a Vec cannot fail.
    let _ = write!(buf, "{i}");
    hasher.hash(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blake3_spec_is_first_eight_bytes_little_endian() {
        let digest = blake3::hash(b"key1");
        let mut expect = 0u64;
        for (i, b) in digest.as_bytes()[..8].iter().enumerate() {
            expect |= (*b as u64) << (8 * i);
        }
        assert_eq!(KeyHasher::Blake3.hash(b"key1"), expect);
    }

    #[test]
    fn point_names_follow_the_spec() {
        let mut buf = Vec::new();
        let h = point_hash(&KeyHasher::Blake3, "node-a", 17, &mut buf);
        assert_eq!(h, KeyHasher::Blake3.hash(b"node-a#17"));
    }

    #[test]
    fn hash_many_equals_hash_for_every_hasher_and_length() {
        let keys: Vec<Vec<u8>> = (0..300usize)
            .map(|i| (0..(i * 7) % 150).map(|j| (i * 31 + j) as u8).collect())
            .collect();
        for hasher in [
            KeyHasher::Blake3,
            KeyHasher::Blake3Keyed(Box::new([9u8; 32])),
            KeyHasher::Xxh3,
        ] {
            for n in [0, 1, 7, 8, 9, 64, 300] {
                let mut out = vec![0u64; n];
                hasher.hash_many(&keys[..n], &mut out);
                for (k, o) in keys[..n].iter().zip(&out) {
                    assert_eq!(
                        *o,
                        hasher.hash(k),
                        "{} key of {} bytes",
                        hasher.name(),
                        k.len()
                    );
                }
            }
        }
    }

    #[test]
    fn keyed_hash_differs_from_plain() {
        let keyed = KeyHasher::Blake3Keyed(Box::new([7u8; 32]));
        assert_ne!(keyed.hash(b"k"), KeyHasher::Blake3.hash(b"k"));
    }
}
