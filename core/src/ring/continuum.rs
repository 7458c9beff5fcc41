//! The continuum: an immutable, sorted array of ring points with a top-bits index.
//!
//! Invariants: `points` is sorted ascending; points with equal value are ordered by owner index,
//! and owner indexes follow the bytewise order of node names, so the first point of a tie belongs
//! to the smallest name (the spec's tie rule). `index[b]` is the first position whose point is
//! `>= b << shift`, so a lookup reads one index entry and scans a bucket of about one point.

/// Largest index size, in bits (2^20 buckets = 4 MiB of `u32`).
const MAX_INDEX_BITS: u32 = 20;

#[derive(Clone, Debug, Default)]
pub(crate) struct Continuum {
    points: Vec<u64>,
    owners: Vec<u32>,
    index: Vec<u32>,
    shift: u32,
}

impl Continuum {
    /// Build from `(point, tie rank, owner)` entries in any order; equal points are ordered by
    /// tie rank.
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: Vec<(u64, u32)>) -> Self {
        Continuum::from_entries(pairs.into_iter().map(|(p, o)| (p, o as u64, o)).collect())
    }

    /// Build from `(point, tie rank, owner)` entries in any order; equal points are ordered by
    /// tie rank.
    pub(crate) fn from_entries(mut entries: Vec<(u64, u64, u32)>) -> Self {
        entries.sort_unstable();
        let points: Vec<u64> = entries.iter().map(|p| p.0).collect();
        let owners: Vec<u32> = entries.iter().map(|p| p.2).collect();
        Continuum::from_sorted(points, owners)
    }

    /// This continuum with owner `at` inserted: `new_points` (sorted) belong to it, and every
    /// existing owner index `>= at` shifts up by one; `rank` gives the tie rank of an owner
    /// index after the shift. Linear: a merge, no sort.
    pub(crate) fn with_owner_inserted(
        &self,
        at: u32,
        new_points: &[u64],
        rank: impl Fn(u32) -> u64,
    ) -> Self {
        let total = self.points.len() + new_points.len();
        let mut points = Vec::with_capacity(total);
        let mut owners = Vec::with_capacity(total);
        let shift = |o: u32| if o >= at { o + 1 } else { o };
        let new_rank = rank(at);
        let (mut i, mut j) = (0, 0);
        while i < self.points.len() || j < new_points.len() {
            let take_old = j == new_points.len()
                || (i < self.points.len()
                    && (self.points[i], rank(shift(self.owners[i]))) < (new_points[j], new_rank));
            if take_old {
                points.push(self.points[i]);
                owners.push(shift(self.owners[i]));
                i += 1;
            } else {
                points.push(new_points[j]);
                owners.push(at);
                j += 1;
            }
        }
        Continuum::from_sorted(points, owners)
    }

    /// This continuum without owner `at`'s points; owner indexes above `at` shift down by one.
    pub(crate) fn with_owner_removed(&self, at: u32) -> Self {
        let mut points = Vec::with_capacity(self.points.len());
        let mut owners = Vec::with_capacity(self.points.len());
        for (&p, &o) in self.points.iter().zip(&self.owners) {
            if o != at {
                points.push(p);
                owners.push(if o > at { o - 1 } else { o });
            }
        }
        Continuum::from_sorted(points, owners)
    }

    fn from_sorted(points: Vec<u64>, owners: Vec<u32>) -> Self {
        let bits = usize::BITS - points.len().max(2).leading_zeros();
        let bits = bits.clamp(1, MAX_INDEX_BITS);
        let shift = 64 - bits;
        let buckets = 1usize << bits;
        let mut index = Vec::with_capacity(buckets + 1);
        let mut pos = 0usize;
        for b in 0..buckets {
            let start = (b as u64) << shift;
            while pos < points.len() && points[pos] < start {
                pos += 1;
            }
            index.push(pos as u32);
        }
        index.push(points.len() as u32);
        Continuum {
            points,
            owners,
            index,
            shift,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.points.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    #[inline]
    pub(crate) fn point(&self, pos: usize) -> u64 {
        self.points[pos]
    }

    #[inline]
    pub(crate) fn owner(&self, pos: usize) -> u32 {
        self.owners[pos]
    }

    /// Position of the first point `>= h`, wrapping to 0 past the largest point.
    /// The continuum must not be empty.
    #[inline]
    pub(crate) fn position(&self, h: u64) -> usize {
        let b = (h >> self.shift) as usize;
        let mut lo = self.index[b] as usize;
        let hi = self.index[b + 1] as usize;
        if hi - lo > 8 {
            lo += self.points[lo..hi].partition_point(|&p| p < h);
        } else {
            while lo < hi && self.points[lo] < h {
                lo += 1;
            }
        }
        if lo == self.points.len() { 0 } else { lo }
    }

    /// Owner of the first point `>= h` (wrapping). The continuum must not be empty.
    #[inline]
    pub(crate) fn owner_of(&self, h: u64) -> u32 {
        self.owners[self.position(h)]
    }

    /// The largest point value strictly below `v`, wrapping to the largest point; `None` when
    /// every point equals `v`.
    pub(crate) fn prev_distinct(&self, v: u64) -> Option<u64> {
        let pos = self.points.partition_point(|&p| p < v);
        if pos > 0 {
            return Some(self.points[pos - 1]);
        }
        let last = *self.points.last()?;
        if last == v { None } else { Some(last) }
    }

    /// Bytes of memory held by this continuum.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.points.capacity() * 8 + self.owners.capacity() * 4 + self.index.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(points: &[(u64, u32)], h: u64) -> u32 {
        let mut s = points.to_vec();
        s.sort_unstable();
        s.iter().find(|p| p.0 >= h).unwrap_or(&s[0]).1
    }

    #[test]
    fn position_matches_a_linear_scan() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in [1usize, 2, 3, 17, 1000] {
            let pairs: Vec<(u64, u32)> = (0..n).map(|i| (next(), (i % 5) as u32)).collect();
            let c = Continuum::from_pairs(pairs.clone());
            for _ in 0..2000 {
                let h = next();
                assert_eq!(c.owner_of(h), naive(&pairs, h));
            }
            assert_eq!(c.owner_of(u64::MAX), naive(&pairs, u64::MAX));
            assert_eq!(c.owner_of(0), naive(&pairs, 0));
        }
    }

    #[test]
    fn ties_go_to_the_smallest_owner() {
        let c = Continuum::from_pairs(vec![(10, 3), (10, 1), (10, 2), (20, 0)]);
        assert_eq!(c.owner_of(5), 1);
        assert_eq!(c.owner_of(10), 1);
        assert_eq!(c.owner_of(11), 0);
        assert_eq!(c.owner_of(21), 1);
        assert_eq!(c.prev_distinct(10), Some(20));
        assert_eq!(c.prev_distinct(20), Some(10));
    }
}
