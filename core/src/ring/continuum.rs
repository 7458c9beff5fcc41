//! The continuum: an immutable, sorted array of ring points with a top-bits index.
//!
//! Invariants: `points` is sorted ascending; points with equal value are ordered by owner index,
//! and owner indexes follow the bytewise order of node names, so the first point of a tie belongs
//! to the smallest name (the spec's tie rule). `index[b]` is the first position whose point is
//! `>= b << shift`, so a lookup reads one index entry and scans a bucket of about one point.

/// Largest index size, in bits (2^20 buckets = 4 MiB of `u32`).
const MAX_INDEX_BITS: u32 = 20;

/// Index size in bits for `len` points: about one point per bucket, at most [`MAX_INDEX_BITS`].
fn index_bits(len: usize) -> u32 {
    (usize::BITS - len.max(2).leading_zeros()).clamp(1, MAX_INDEX_BITS)
}

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
    /// index after the shift. Linear and cheap: runs of old points are copied whole, and the
    /// index is shifted rather than rebuilt when its size does not change.
    pub(crate) fn with_owner_inserted(
        &self,
        at: u32,
        new_points: &[u64],
        rank: impl Fn(u32) -> u64,
    ) -> Self {
        let total = self.points.len() + new_points.len();
        let mut points = Vec::with_capacity(total);
        let mut owners = Vec::with_capacity(total);
        let shift = |o: u32| o + (o >= at) as u32;
        let new_rank = rank(at);
        let mut i = 0;
        for &np in new_points {
            let mut j = i + self.points[i..].partition_point(|&p| p < np);
            while j < self.points.len()
                && self.points[j] == np
                && rank(shift(self.owners[j])) < new_rank
            {
                j += 1;
            }
            points.extend_from_slice(&self.points[i..j]);
            owners.extend(self.owners[i..j].iter().map(|&o| shift(o)));
            points.push(np);
            owners.push(at);
            i = j;
        }
        points.extend_from_slice(&self.points[i..]);
        owners.extend(self.owners[i..].iter().map(|&o| shift(o)));
        self.rebuilt(points, owners, new_points, true)
    }

    /// This continuum without owner `at`, whose points are `old_points` (sorted); owner indexes
    /// above `at` shift down by one.
    pub(crate) fn with_owner_removed(&self, at: u32, old_points: &[u64]) -> Self {
        let keep = self.points.len().saturating_sub(old_points.len());
        let mut points = Vec::with_capacity(keep);
        let mut owners = Vec::with_capacity(keep);
        let shift = |o: u32| o - (o > at) as u32;
        let mut i = 0;
        for &v in old_points {
            // The entry (v, at): among the points equal to v, the one owned by `at`.
            let mut j = i + self.points[i..].partition_point(|&p| p < v);
            while j < self.points.len() && self.owners[j] != at {
                j += 1;
            }
            points.extend_from_slice(&self.points[i..j]);
            owners.extend(self.owners[i..j].iter().map(|&o| shift(o)));
            i = (j + 1).min(self.points.len());
        }
        points.extend_from_slice(&self.points[i..]);
        owners.extend(self.owners[i..].iter().map(|&o| shift(o)));
        self.rebuilt(points, owners, old_points, false)
    }

    /// A continuum over `points`/`owners`, which differ from `self` by `changed` points
    /// (sorted) added or removed. Reuses `self.index` (shifting each entry by the number of
    /// changed points below its bucket) when the index size stays the same.
    fn rebuilt(&self, points: Vec<u64>, owners: Vec<u32>, changed: &[u64], added: bool) -> Self {
        if index_bits(points.len()) != index_bits(self.points.len()) || self.index.is_empty() {
            return Continuum::from_sorted(points, owners);
        }
        let mut index = Vec::with_capacity(self.index.len());
        let mut k = 0usize;
        let buckets = self.index.len() - 1;
        for (b, &old) in self.index[..buckets].iter().enumerate() {
            let start = (b as u64) << self.shift;
            while k < changed.len() && changed[k] < start {
                k += 1;
            }
            index.push(if added {
                old + k as u32
            } else {
                old - k as u32
            });
        }
        index.push(points.len() as u32);
        Continuum {
            points,
            owners,
            index,
            shift: self.shift,
        }
    }

    fn from_sorted(points: Vec<u64>, owners: Vec<u32>) -> Self {
        let bits = index_bits(points.len());
        let shift = 64 - bits;
        let buckets = 1usize << bits;
        let mut index = Vec::with_capacity(buckets + 1);
        for (pos, &p) in points.iter().enumerate() {
            let bucket = (p >> shift) as usize;
            while index.len() <= bucket {
                index.push(pos as u32);
            }
        }
        while index.len() <= buckets {
            index.push(points.len() as u32);
        }
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
    fn incremental_changes_equal_a_fresh_build() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        // Small value ranges force ties; sizes cross index-size boundaries.
        for (owners, per, range) in [(5u32, 3usize, 50u64), (20, 40, u64::MAX), (9, 7, 30)] {
            let mut sets: Vec<Vec<u64>> = Vec::new();
            let mut c = Continuum::default();
            for o in 0..owners {
                let mut pts: Vec<u64> = (0..per).map(|_| next(range)).collect();
                pts.sort_unstable();
                // Insert owner `o` at the end (owner order = insertion order here).
                c = c.with_owner_inserted(o, &pts, |x| x as u64);
                sets.push(pts);
                let fresh = Continuum::from_pairs(
                    sets.iter()
                        .enumerate()
                        .flat_map(|(i, s)| s.iter().map(move |&p| (p, i as u32)))
                        .collect(),
                );
                assert_eq!(c.points, fresh.points);
                assert_eq!(c.owners, fresh.owners);
                assert_eq!(c.index, fresh.index);
            }
            while sets.len() > 1 {
                let at = next(sets.len() as u64) as usize;
                let gone = sets.remove(at);
                c = c.with_owner_removed(at as u32, &gone);
                let fresh = Continuum::from_pairs(
                    sets.iter()
                        .enumerate()
                        .flat_map(|(i, s)| s.iter().map(move |&p| (p, i as u32)))
                        .collect(),
                );
                assert_eq!(c.points, fresh.points);
                assert_eq!(c.owners, fresh.owners);
                assert_eq!(c.index, fresh.index);
            }
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
