//! Placement schemes: the ringpax spec, and drop-in compatibility with uhashring and ketama.
//!
//! A scheme decides four things: how a key becomes a ring position, which points a node owns,
//! whether a key goes to the first point `>=` or strictly `>` its position, and how points of
//! equal value are ordered. Everything else (the continuum, lookups, preference lists, tracking,
//! migration plans) is shared.

use md5::{Digest, Md5};

use super::hash::{KeyHasher, point_hash};

/// How keys and points are placed on a ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// The documented ringpax spec with the given key hash (BLAKE3 by default).
    Ringpax(KeyHasher),
    /// uhashring 2.5's default ring: position = MD5 of the key as a 128-bit big-endian integer;
    /// node `N` owns points `N-w` for `w < replicas * weight`; a key goes to the first point
    /// strictly greater than its position; on equal points the later-inserted node wins.
    ///
    /// Positions are kept to their top 64 bits, so ringpax can differ from uhashring only when a
    /// key and a point agree in their top 64 bits (probability ~ points / 2^64 per key).
    Uhashring,
    /// The libketama / twemproxy `distribution: ketama` continuum with `hash: md5`: a server
    /// gets `floor(weight_share * replicas/4 * servers) * 4` points (`replicas` = 160 in
    /// twemproxy), four per MD5 digest of `"NAME-i"`, each a little-endian u32; a key's position
    /// is the little-endian u32 of its MD5's first four bytes; first point `>=`, wrapping.
    ///
    /// Details verified against twemproxy 0.5.0 (Debian's nutcracker): point counts use 32-bit
    /// float arithmetic; `"NAME-i"` is cut to 272 bytes before hashing; equal points go to the
    /// server with the shorter name, then the bytewise smaller one (twemproxy sorts its servers
    /// by name, length first, and its continuum sort keeps that order for ties). Name nodes as
    /// twemproxy hashes them: the server's name when the config gives one, else `host:port`
    /// (`host` alone when the port is 11211).
    Ketama,
}

impl Default for Scheme {
    fn default() -> Self {
        Scheme::Ringpax(KeyHasher::Blake3)
    }
}

/// twemproxy hashes at most this many bytes of `"NAME-i"`.
const KETAMA_MAX_HASHED: usize = 272;

fn md5(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

fn ketama_point(digest: &[u8; 16], j: usize) -> u64 {
    let v = u32::from_le_bytes([
        digest[4 * j],
        digest[4 * j + 1],
        digest[4 * j + 2],
        digest[4 * j + 3],
    ]);
    // Keep u32 order on the u64 continuum.
    (v as u64) << 32
}

impl Scheme {
    /// Name of the scheme on every face: `"blake3"`, `"blake3-keyed"`, `"xxh3"`, `"uhashring"`,
    /// `"ketama"`.
    pub fn name(&self) -> &'static str {
        match self {
            Scheme::Ringpax(h) => h.name(),
            Scheme::Uhashring => "uhashring",
            Scheme::Ketama => "ketama",
        }
    }

    /// The ring position of a key's bytes.
    #[inline]
    pub fn position(&self, key: &[u8]) -> u64 {
        match self {
            Scheme::Ringpax(h) => h.hash(key),
            Scheme::Uhashring => {
                let d = md5(key);
                u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
            }
            Scheme::Ketama => ketama_point(&md5(key), 0),
        }
    }

    /// The continuum is searched for the first point `>=` this value: `p` itself, or `p + 1`
    /// for the strictly-greater rule (wrapping to 0, which finds the smallest point, as the
    /// wrap-around demands).
    #[inline]
    pub(crate) fn search_key(&self, p: u64) -> u64 {
        match self {
            Scheme::Uhashring => p.wrapping_add(1),
            _ => p,
        }
    }

    /// Whether a node's points depend on the other nodes (ketama scales by weight share), so
    /// every membership change rebuilds every node's points.
    pub(crate) fn points_depend_on_membership(&self) -> bool {
        matches!(self, Scheme::Ketama)
    }

    /// Ranks used to order equal points, by node index: lower first, and the first wins.
    /// `nodes` are `(name, insertion number)` in node-index (bytewise name) order.
    pub(crate) fn tie_ranks<'a>(&self, nodes: impl Iterator<Item = (&'a str, u64)>) -> Vec<u64> {
        match self {
            Scheme::Ringpax(_) => nodes.enumerate().map(|(i, _)| i as u64).collect(),
            Scheme::Uhashring => nodes.map(|(_, seq)| u64::MAX - seq).collect(),
            Scheme::Ketama => {
                // Length first, then bytewise, as twemproxy's string_compare.
                let names: Vec<&str> = nodes.map(|(n, _)| n).collect();
                let mut order: Vec<usize> = (0..names.len()).collect();
                order.sort_by(|&a, &b| {
                    (names[a].len(), names[a].as_bytes())
                        .cmp(&(names[b].len(), names[b].as_bytes()))
                });
                let mut ranks = vec![0u64; names.len()];
                for (rank, &i) in order.iter().enumerate() {
                    ranks[i] = rank as u64;
                }
                ranks
            }
        }
    }

    /// Number of points node gets; `total_weight` and `nodes` describe the whole ring after the
    /// change (used by ketama only).
    pub(crate) fn point_count(
        &self,
        replicas: u32,
        weight: u32,
        total_weight: u64,
        nodes: usize,
    ) -> u64 {
        match self {
            Scheme::Ringpax(_) | Scheme::Uhashring => replicas as u64 * weight as u64,
            Scheme::Ketama => {
                // twemproxy's arithmetic, in 32-bit floats as there (nc_ketama.c, ketama_update).
                let pct = weight as f32 / total_weight as f32;
                let x = pct * replicas as f32 / 4.0 * nodes as f32;
                let x = (x as f64 + 0.0000000001) as f32;
                x.floor() as u64 * 4
            }
        }
    }

    /// The points of node `name`, sorted ascending.
    pub(crate) fn points(
        &self,
        name: &str,
        replicas: u32,
        weight: u32,
        total_weight: u64,
        nodes: usize,
    ) -> Vec<u64> {
        let count = self.point_count(replicas, weight, total_weight, nodes);
        let mut buf: Vec<u8> = Vec::with_capacity(name.len() + 12);
        let mut out: Vec<u64> = match self {
            Scheme::Ringpax(h) => (0..count as u32)
                .map(|i| point_hash(h, name, i, &mut buf))
                .collect(),
            Scheme::Uhashring => (0..count)
                .map(|w| {
                    buf.clear();
                    buf.extend_from_slice(format!("{name}-{w}").as_bytes());
                    self.position(&buf)
                })
                .collect(),
            Scheme::Ketama => {
                let mut pts = Vec::with_capacity(count as usize);
                for i in 0..count / 4 {
                    let host = format!("{name}-{i}");
                    // twemproxy formats into a 273-byte buffer and hashes at most 272 bytes.
                    let d = md5(&host.as_bytes()[..host.len().min(KETAMA_MAX_HASHED)]);
                    pts.extend((0..4).map(|j| ketama_point(&d, j)));
                }
                pts
            }
        };
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uhashring_position_is_the_top_of_the_big_endian_md5() {
        // md5("key1") = c2add694bf942dc77b376592d9c862cd
        assert_eq!(Scheme::Uhashring.position(b"key1"), 0xc2ad_d694_bf94_2dc7);
    }

    #[test]
    fn ketama_position_is_the_little_endian_first_word() {
        assert_eq!(Scheme::Ketama.position(b"key1"), (0x94d6_adc2u64) << 32);
    }

    #[test]
    fn ketama_point_counts_follow_twemproxy() {
        let s = Scheme::Ketama;
        assert_eq!(s.point_count(160, 1, 3, 3), 160);
        // weights 1,2,3 of 6 with 3 servers: 80, 160, 240.
        assert_eq!(s.point_count(160, 1, 6, 3), 80);
        assert_eq!(s.point_count(160, 3, 6, 3), 240);
        assert_eq!(s.points("a", 160, 1, 1, 1).len(), 160);
    }
}
