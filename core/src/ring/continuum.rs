//! The continuum: an immutable, sorted array of ring points with a compact summary and a
//! top-bits index.
//!
//! Invariants: `entries` is sorted by point; points with equal value are ordered by tie rank, so
//! the first entry of a tie is the scheme's winner. `index[b]` is the first position whose point
//! is `>= b << shift`. The summary ([`Fast`]) has 2 to 8 buckets per point at two bytes each
//! and answers a lookup whose bucket holds at most one point; the others find their position
//! through the index and scan a few entries, where point and owner share a cache line. With a
//! summary the index is coarse (about 5 to 10 points per bucket): it serves only those lookups,
//! walks and membership changes, and a small index is cheap to rewrite. Every change rebuilds
//! the three, or shifts them in place when their sizes stay.

/// Largest index size, in bits (2^22 buckets = 16 MiB).
const MAX_INDEX_BITS: u32 = 22;

/// How many times coarser the index is when a summary answers most lookups, in bits.
const COARSE_BITS: u32 = 3;

/// One to two buckets per point, in bits, at most [`MAX_INDEX_BITS`].
fn fine_bits(len: usize) -> u32 {
    (usize::BITS - len.max(2).leading_zeros()).clamp(1, MAX_INDEX_BITS)
}

/// Index size in bits for `len` points: [`fine_bits`] when every lookup reads the index,
/// [`COARSE_BITS`] fewer when a summary answers most of them.
fn index_bits(len: usize, summarised: bool) -> u32 {
    if summarised {
        fine_bits(len).saturating_sub(COARSE_BITS).max(1)
    } else {
        fine_bits(len)
    }
}

/// Whether a continuum of `owners` owners has a summary.
fn summarised(owners: u32) -> bool {
    owners <= FAST_MAX_OWNERS
}

/// One point of the ring and the node that owns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(4))]
struct Entry {
    point: u64,
    owner: u32,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Continuum {
    entries: Vec<Entry>,
    index: Vec<u32>,
    shift: u32,
    /// Number of owners (owner indexes are `0..owners`).
    owners: u32,
    /// Compact index answering most lookups (see [`Fast`]).
    fast: Fast,
}

/// Summary size in bits for `len` points: 4 to 8 buckets per point while that is at most
/// [`FAST_SMALL_BITS`] (then one bucket in 40 to 130 holds two points or more), else 2 to 4
/// (one in 11 to 40), which keeps a 1000-node ring's summary at 1 MiB, inside a core's L2.
fn fast_bits(len: usize) -> u32 {
    let fine = fine_bits(len);
    if fine + 2 <= FAST_SMALL_BITS {
        fine + 2
    } else {
        fine + 1
    }
}

/// Largest summary, in bits, that gets the sparser layout (2^19 slots = 1 MiB).
const FAST_SMALL_BITS: u32 = 19;

/// Largest number of owners the summary encodes (owner indexes take at most 15 bits).
const FAST_MAX_OWNERS: u32 = 1 << 15;

/// A 2-byte-per-bucket summary of the continuum that answers most lookups from one cache line.
/// On a 1000-node ring the entries and the index are several MiB, so a lookup that reads them
/// waits for the shared L3 or memory; the summary is small enough to stay in a core's L2.
///
/// Slot `b` holds the owner of the first point `>= b << shift` (wrapping) in the low
/// `owner_bits` bits and, above them, a field: `frag_mask + 1` for a bucket with no point, the
/// point's fragment (its `frag_bits = 15 - owner_bits` bits below the bucket bits) for a bucket
/// with one point, and `frag_mask` for a bucket with more (or whose one fragment is
/// `frag_mask`). A key whose own fragment differs from the field is answered from slots `b` and
/// `b + 1`; the rest (buckets of two or more points and equal fragments, about one lookup in 20
/// at 1000 nodes) go to the index and the entries. Slot `buckets` holds the owner of the
/// smallest point. Empty (never answers) when the continuum is or the owners do not fit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Fast {
    slots: Vec<u16>,
    shift: u32,
    owner_bits: u32,
    frag_shift: u32,
    frag_mask: u64,
}

impl Fast {
    /// The summary of `entries` with `2^bits` buckets, for owner indexes `0..owners`.
    fn build(entries: &[Entry], bits: u32, owners: u32) -> Fast {
        let Some(mut fast) = Fast::layout(entries, bits, owners) else {
            return Fast::default();
        };
        let buckets = 1usize << bits;
        let empty = fast.empty_field();
        let mut slots = Vec::with_capacity(buckets + 1);
        let mut i = 0;
        while i < entries.len() {
            let b = (entries[i].point >> fast.shift) as usize;
            let owner = entries[i].owner as u16;
            // Buckets before `b` are empty; their first point is entry i.
            slots.resize(b, empty | owner);
            let mut j = i + 1;
            while j < entries.len() && (entries[j].point >> fast.shift) as usize == b {
                j += 1;
            }
            slots.push(fast.field(entries[i].point, j - i) | owner);
            i = j;
        }
        let first = entries[0].owner as u16;
        slots.resize(buckets, empty | first);
        slots.push(first);
        fast.slots = slots;
        fast
    }

    /// The parameters for `entries`, `2^bits` buckets and `owners` owners, without slots;
    /// `None` when the summary cannot encode them.
    fn layout(entries: &[Entry], bits: u32, owners: u32) -> Option<Fast> {
        if entries.is_empty() || !summarised(owners) {
            return None;
        }
        let owner_bits = (u32::BITS - owners.saturating_sub(1).leading_zeros()).max(1);
        let frag_bits = 15 - owner_bits;
        let shift = 64 - bits;
        Some(Fast {
            slots: Vec::new(),
            shift,
            owner_bits,
            frag_shift: shift - frag_bits,
            frag_mask: (1u64 << frag_bits) - 1,
        })
    }

    /// The field (shifted into place) of a bucket whose first point is `point`, holding `n`
    /// points.
    #[inline]
    fn field(&self, point: u64, n: usize) -> u16 {
        let f = match n {
            0 => self.frag_mask + 1,
            1 => (point >> self.frag_shift) & self.frag_mask,
            _ => self.frag_mask,
        };
        (f as u16) << self.owner_bits
    }

    fn empty_field(&self) -> u16 {
        self.field(0, 0)
    }

    /// This summary for `entries`, which differ from the ones it was built for by the points
    /// `changed` (sorted) of owner `at`, added or removed; owner indexes at or above `at` moved
    /// up by one (added) or those above it down by one (removed). Shifts the owners in one
    /// pass and recomputes only the buckets whose first point or point count changed: each
    /// changed point's bucket, the empty buckets just before it, and the empty buckets at the
    /// end that wrap to the smallest point; `index` (bucket bits `64 - index_shift`) locates
    /// them. `owners` is the number of owners after the change. A full build when the owner
    /// width or the bucket count changes, or this summary was empty.
    fn rebuilt(
        &self,
        entries: &[Entry],
        (index, index_shift): (&[u32], u32),
        changed: &[u64],
        added: bool,
        (at, owners): (u32, u32),
    ) -> Fast {
        let bits = fast_bits(entries.len());
        let mut fast = match Fast::layout(entries, bits, owners) {
            Some(f) if f.shift == self.shift && f.owner_bits == self.owner_bits => f,
            _ => return Fast::build(entries, bits, owners),
        };
        let owner_mask = (1u16 << self.owner_bits) - 1;
        let at = at as u16;
        let mut slots: Vec<u16> = if added {
            self.slots
                .iter()
                .map(|&s| s + ((s & owner_mask) >= at) as u16)
                .collect()
        } else {
            self.slots
                .iter()
                .map(|&s| s - ((s & owner_mask) > at) as u16)
                .collect()
        };
        let buckets = slots.len() - 1;
        let empty = fast.empty_field();
        let redo = |fast: &Fast, slots: &mut Vec<u16>, b: usize| {
            let start = (b as u64) << fast.shift;
            let lo = lower_bound(entries, index, index_shift, start);
            let in_bucket = |k: usize| {
                entries
                    .get(k)
                    .is_some_and(|e| (e.point >> fast.shift) as usize == b)
            };
            let n = in_bucket(lo) as usize + (in_bucket(lo) && in_bucket(lo + 1)) as usize;
            let e = entries.get(lo).unwrap_or(&entries[0]);
            slots[b] = fast.field(e.point, n) | e.owner as u16;
            n == 0
        };
        for &c in changed {
            // The changed point's bucket, then back over the empty buckets before it (their
            // first point may be the changed one) and the first non-empty one.
            let mut b = (c >> fast.shift) as usize;
            while redo(&fast, &mut slots, b) || b == (c >> fast.shift) as usize {
                if b == 0 {
                    break;
                }
                b -= 1;
            }
        }
        // The end of the ring wraps to the smallest point.
        let mut b = buckets;
        while b > 0 && slots[b - 1] & !owner_mask == empty {
            b -= 1;
            redo(&fast, &mut slots, b);
        }
        slots[buckets] = entries[0].owner as u16;
        fast.slots = slots;
        fast
    }

    /// Owner of the first point `>= h` (wrapping), or `None` when the slots cannot tell.
    #[inline]
    fn owner_of(&self, h: u64) -> Option<u32> {
        let b = (h >> self.shift) as usize;
        let (&s, &t) = (self.slots.get(b)?, self.slots.get(b + 1)?);
        let f = (s >> self.owner_bits) as u64;
        let key = (h >> self.frag_shift) & self.frag_mask;
        if f == self.frag_mask || f == key {
            return None;
        }
        let owner_mask = (1u16 << self.owner_bits) - 1;
        Some((if key < f { s } else { t } & owner_mask) as u32)
    }
}

impl Continuum {
    /// Build from `(point, owner)` pairs with the owner as tie rank.
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: Vec<(u64, u32)>) -> Self {
        Continuum::from_entries(pairs.into_iter().map(|(p, o)| (p, o as u64, o)).collect())
    }

    /// Build from `(point, tie rank, owner)` entries in any order; equal points are ordered by
    /// tie rank.
    pub(crate) fn from_entries(mut raw: Vec<(u64, u64, u32)>) -> Self {
        raw.sort_unstable();
        let entries = raw
            .iter()
            .map(|&(point, _, owner)| Entry { point, owner })
            .collect();
        Continuum::from_sorted(entries)
    }

    /// This continuum with owner `at` inserted: `new_points` (sorted) belong to it, and every
    /// existing owner index `>= at` shifts up by one; `rank` gives the tie rank of an owner
    /// index after the shift. Linear and cheap: runs of old entries are copied whole, and the
    /// index is shifted rather than rebuilt when its size does not change.
    pub(crate) fn with_owner_inserted(
        &self,
        at: u32,
        new_points: &[u64],
        rank: impl Fn(u32) -> u64,
    ) -> Self {
        let old = &self.entries;
        let mut entries = Vec::with_capacity(old.len() + new_points.len());
        let shift = |e: &Entry| Entry {
            point: e.point,
            owner: e.owner + (e.owner >= at) as u32,
        };
        let new_rank = rank(at);
        let mut i = 0;
        for &np in new_points {
            let mut j = lower_bound(old, &self.index, self.shift, np).max(i);
            while j < old.len() && old[j].point == np && rank(shift(&old[j]).owner) < new_rank {
                j += 1;
            }
            entries.extend(old[i..j].iter().map(shift));
            entries.push(Entry {
                point: np,
                owner: at,
            });
            i = j;
        }
        entries.extend(old[i..].iter().map(shift));
        self.rebuilt(entries, new_points, true, at)
    }

    /// This continuum without owner `at`, whose points are `old_points` (sorted); owner indexes
    /// above `at` shift down by one.
    pub(crate) fn with_owner_removed(&self, at: u32, old_points: &[u64]) -> Self {
        let old = &self.entries;
        let mut entries = Vec::with_capacity(old.len().saturating_sub(old_points.len()));
        let shift = |e: &Entry| Entry {
            point: e.point,
            owner: e.owner - (e.owner > at) as u32,
        };
        let mut i = 0;
        for &v in old_points {
            // The entry (v, at): among the entries equal to v, the one owned by `at`.
            let mut j = lower_bound(old, &self.index, self.shift, v).max(i);
            while j < old.len() && old[j].owner != at {
                j += 1;
            }
            entries.extend(old[i..j].iter().map(shift));
            i = (j + 1).min(old.len());
        }
        entries.extend(old[i..].iter().map(shift));
        self.rebuilt(entries, old_points, false, at)
    }

    /// A continuum over `entries`, which differ from `self` by the points `changed` (sorted) of
    /// owner `at`, added or removed. Reuses the index layout when its size stays the same: each
    /// bucket's start moves by the number of changed points below it (constant between changed
    /// points, so the loop is a plain map). The summary patches the buckets around the changed
    /// points.
    fn rebuilt(&self, entries: Vec<Entry>, changed: &[u64], added: bool, at: u32) -> Self {
        let owners = if added {
            self.owners + 1
        } else {
            self.owners.saturating_sub(1)
        };
        let bits = index_bits(entries.len(), summarised(owners));
        if self.index.is_empty()
            || bits != 64 - self.shift
            || fine_bits(entries.len()) != fine_bits(self.entries.len())
        {
            return Continuum::from_sorted_with(entries, owners);
        }
        let buckets = self.index.len() - 1;
        let mut index = Vec::with_capacity(self.index.len());
        let mut from = 0usize;
        for j in 0..=changed.len() {
            // Buckets before `to` have exactly j changed points below their start.
            let to = match changed.get(j) {
                Some(&c) => ((c >> self.shift) as usize + 1).min(buckets),
                None => buckets,
            };
            if to <= from {
                continue;
            }
            let j = j as u32;
            let old = &self.index[from..to];
            if added {
                index.extend(old.iter().map(|&start| start + j));
            } else {
                index.extend(old.iter().map(|&start| start - j));
            }
            from = to;
        }
        index.push(entries.len() as u32);
        let fast = self
            .fast
            .rebuilt(&entries, (&index, self.shift), changed, added, (at, owners));
        Continuum {
            entries,
            index,
            shift: self.shift,
            owners,
            fast,
        }
    }

    fn from_sorted(entries: Vec<Entry>) -> Self {
        let owners = entries.iter().map(|e| e.owner + 1).max().unwrap_or(0);
        Continuum::from_sorted_with(entries, owners)
    }

    fn from_sorted_with(entries: Vec<Entry>, owners: u32) -> Self {
        let bits = index_bits(entries.len(), summarised(owners));
        let shift = 64 - bits;
        let buckets = 1usize << bits;
        let mut index = Vec::with_capacity(buckets + 1);
        for (pos, e) in entries.iter().enumerate() {
            let bucket = (e.point >> shift) as usize;
            if index.len() <= bucket {
                index.resize(bucket + 1, pos as u32);
            }
        }
        index.resize(buckets + 1, entries.len() as u32);
        let fast = Fast::build(&entries, fast_bits(entries.len()), owners);
        Continuum {
            entries,
            index,
            shift,
            owners,
            fast,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    pub(crate) fn point(&self, pos: usize) -> u64 {
        self.entries[pos].point
    }

    #[inline]
    pub(crate) fn owner(&self, pos: usize) -> u32 {
        self.entries[pos].owner
    }

    /// Position of the first point `>= h`, wrapping to 0 past the largest point.
    /// The continuum must not be empty.
    #[inline]
    pub(crate) fn position(&self, h: u64) -> usize {
        let lo = lower_bound(&self.entries, &self.index, self.shift, h);
        if lo == self.entries.len() { 0 } else { lo }
    }

    /// Owner of the first point `>= h` (wrapping). The continuum must not be empty.
    #[inline]
    pub(crate) fn owner_of(&self, h: u64) -> u32 {
        match self.fast.owner_of(h) {
            Some(owner) => owner,
            None => self.owner_from_index(h),
        }
    }

    /// [`Continuum::owner_of`] from the index and the entries, for the lookups the summary
    /// leaves (and every lookup on a ring with more than [`FAST_MAX_OWNERS`] owners).
    #[inline(never)]
    fn owner_from_index(&self, h: u64) -> u32 {
        self.entries[self.position(h)].owner
    }

    /// The largest point value strictly below `v`, wrapping to the largest point; `None` when
    /// every point equals `v`.
    pub(crate) fn prev_distinct(&self, v: u64) -> Option<u64> {
        let pos = lower_bound(&self.entries, &self.index, self.shift, v);
        if pos > 0 {
            return Some(self.entries[pos - 1].point);
        }
        let last = self.entries.last()?.point;
        if last == v { None } else { Some(last) }
    }

    /// Bytes of memory held by this continuum.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.index.capacity() * std::mem::size_of::<u32>()
            + self.fast.slots.capacity() * std::mem::size_of::<u16>()
    }
}

/// Position of the first entry whose point is `>= v` (`entries.len()` past the largest), found
/// through the index (bucket bits `64 - shift`): one index slot and the bucket's entries instead
/// of a binary search over the whole array, which on a large ring is a chain of cache misses.
#[inline]
fn lower_bound(entries: &[Entry], index: &[u32], shift: u32, v: u64) -> usize {
    if index.is_empty() {
        return 0;
    }
    let b = (v >> shift) as usize;
    let mut lo = index[b] as usize;
    let hi = index[b + 1] as usize;
    if hi - lo > 8 {
        lo += entries[lo..hi].partition_point(|e| e.point < v);
    } else {
        while lo < hi && entries[lo].point < v {
            lo += 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A xorshift64 generator: deterministic test data without a dependency.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// The continuum built from scratch where owner `i` owns the points `sets[i]`.
    fn fresh(sets: &[Vec<u64>]) -> Continuum {
        Continuum::from_pairs(
            sets.iter()
                .enumerate()
                .flat_map(|(i, s)| s.iter().map(move |&p| (p, i as u32)))
                .collect(),
        )
    }

    /// `c` equals the continuum built from scratch from `sets`, index and summary included.
    fn assert_fresh(c: &Continuum, sets: &[Vec<u64>]) {
        let f = fresh(sets);
        assert_eq!(c.entries, f.entries);
        assert_eq!(c.index, f.index);
        assert_eq!(c.fast, f.fast);
    }

    fn naive(points: &[(u64, u32)], h: u64) -> u32 {
        let mut s = points.to_vec();
        s.sort_unstable();
        s.iter().find(|p| p.0 >= h).unwrap_or(&s[0]).1
    }

    #[test]
    fn position_matches_a_linear_scan() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for n in [1usize, 2, 3, 17, 1000] {
            let pairs: Vec<(u64, u32)> = (0..n).map(|i| (next(), (i % 5) as u32)).collect();
            let c = Continuum::from_pairs(pairs.clone());
            for _ in 0..2000 {
                let h = next();
                assert_eq!(c.owner_of(h), naive(&pairs, h));
                assert_eq!(c.owner(c.position(h)), c.owner_of(h));
            }
            assert_eq!(c.owner_of(u64::MAX), naive(&pairs, u64::MAX));
            assert_eq!(c.owner_of(0), naive(&pairs, 0));
        }
    }

    #[test]
    fn incremental_changes_equal_a_fresh_build() {
        let mut rng = xorshift(0x2545_F491_4F6C_DD1D);
        let mut next = move |m: u64| rng() % m;
        // Small value ranges force ties; sizes cross index-size boundaries.
        for (owners, per, range) in [
            (5u32, 3usize, 50u64),
            (20, 40, u64::MAX),
            (9, 7, 30),
            (60, 20, 1 << 12),
            (40, 160, u64::MAX),
        ] {
            let mut sets: Vec<Vec<u64>> = Vec::new();
            let mut c = Continuum::default();
            for _ in 0..owners {
                let mut pts: Vec<u64> = (0..per).map(|_| next(range)).collect();
                pts.sort_unstable();
                // Insert the new owner at a random index: the owners above it shift up.
                let at = next(sets.len() as u64 + 1) as usize;
                c = c.with_owner_inserted(at as u32, &pts, |x| x as u64);
                sets.insert(at, pts);
                assert_fresh(&c, &sets);
            }
            while sets.len() > 1 {
                let at = next(sets.len() as u64) as usize;
                let gone = sets.remove(at);
                c = c.with_owner_removed(at as u32, &gone);
                assert_fresh(&c, &sets);
            }
        }
    }

    #[test]
    fn the_summary_agrees_with_the_index_at_every_boundary() {
        let mut next = xorshift(0x51_7CC1_B727_220A);
        // Owner widths from 1 to 15 bits (fragments from 14 bits down to none), rings of
        // different densities, and one ring with too many owners for a summary.
        for (points, owners) in [
            (3usize, 2u32),
            (200, 3),
            (5000, 100),
            (20_000, 1000),
            (40_000, 20_000),
            (40_000, 40_000),
        ] {
            let pairs: Vec<(u64, u32)> =
                (0..points).map(|i| (next(), (i as u32) % owners)).collect();
            let c = Continuum::from_pairs(pairs.clone());
            assert_eq!(c.fast.slots.is_empty(), owners > FAST_MAX_OWNERS);
            let mut probes: Vec<u64> = vec![0, 1, u64::MAX];
            for &(p, _) in &pairs {
                probes.extend([p.wrapping_sub(1), p, p.wrapping_add(1)]);
                // The start and end of the point's bucket, and a key with the same fragment.
                let s = c.fast.shift.max(1);
                probes.extend([p >> s << s, (p >> s << s) | ((1 << s) - 1), p ^ 1 << 7]);
            }
            probes.extend((0..2000).map(|_| next()));
            for h in probes {
                assert_eq!(c.owner_of(h), c.owner_from_index(h), "h = {h:#x}");
            }
            let mut sorted = pairs.clone();
            sorted.sort_unstable();
            for h in (0..2000)
                .map(|_| next())
                .chain([sorted[0].0, sorted[points - 1].0])
            {
                let pos = sorted.partition_point(|p| p.0 < h);
                assert_eq!(c.owner_of(h), sorted.get(pos).unwrap_or(&sorted[0]).1);
            }
        }
    }

    #[test]
    fn changes_across_the_summary_limit_equal_a_fresh_build() {
        let mut rng = xorshift(0x1234_5678_9ABC_DEF1);
        let mut next = move |m: u64| rng() % m;
        let start = FAST_MAX_OWNERS as usize - 2;
        let mut sets: Vec<Vec<u64>> = (0..start).map(|_| vec![next(u64::MAX)]).collect();
        let mut c = fresh(&sets);
        let mut steps = vec![true; 5];
        steps.extend([false; 5]);
        for add in steps {
            if add {
                let mut pts: Vec<u64> = (0..3).map(|_| next(u64::MAX)).collect();
                pts.sort_unstable();
                let at = next(sets.len() as u64 + 1) as usize;
                c = c.with_owner_inserted(at as u32, &pts, |x| x as u64);
                sets.insert(at, pts);
            } else {
                let at = next(sets.len() as u64) as usize;
                let gone = sets.remove(at);
                c = c.with_owner_removed(at as u32, &gone);
            }
            assert_eq!(
                c.fast.slots.is_empty(),
                sets.len() > FAST_MAX_OWNERS as usize
            );
            assert_fresh(&c, &sets);
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
