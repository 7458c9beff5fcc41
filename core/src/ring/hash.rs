//! Key hash functions used to place keys and points on the ring.
//!
//! The default, [`KeyHasher::Blake3`], is the documented ringpax spec: the first 8 bytes of
//! BLAKE3(bytes) read as a little-endian `u64`. The same function hashes keys and ring points,
//! so a ring built with one hasher is only comparable with rings built with the same hasher.

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
    fn keyed_hash_differs_from_plain() {
        let keyed = KeyHasher::Blake3Keyed(Box::new([7u8; 32]));
        assert_ne!(keyed.hash(b"k"), KeyHasher::Blake3.hash(b"k"));
    }
}
