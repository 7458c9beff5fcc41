//! BLAKE3 of many short keys at once: [`LANES`] independent inputs of at most one block
//! (64 bytes) each, hashed side by side so that the compiler turns every step of the
//! compression function into SIMD instructions over the lanes.
//!
//! Why not the `blake3` crate: it hashes one input at a time, and a single-block input is one
//! compression, a chain of about 500 dependent 32-bit operations, so its cost (about 75 ns
//! here) is latency, not work. The crate parallelises across the chunks of one long input but
//! has no API for many short inputs; that is what a batch of ring lookups needs. Each lane here
//! is exactly BLAKE3's compression of one block (the IV or the key as chaining value, counter 0,
//! flags `CHUNK_START | CHUNK_END | ROOT`, plus `KEYED_HASH` for keyed hashing), written from the
//! BLAKE3 specification; tests check every lane against the `blake3` crate.
//!
//! Only the first 8 output bytes (as a little-endian `u64`, the ring position) are produced.

/// Inputs hashed together.
pub(crate) const LANES: usize = 8;
/// Longest input a lane takes (one block).
pub(crate) const BLOCK_LEN: usize = 64;

/// The BLAKE3 (= SHA-256) initial chaining value.
pub(crate) const IV: [u32; 8] = [
    0x6A09_E667,
    0xBB67_AE85,
    0x3C6E_F372,
    0xA54F_F53A,
    0x510E_527F,
    0x9B05_688C,
    0x1F83_D9AB,
    0x5BE0_CD19,
];
const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const ROOT: u32 = 8;
const KEYED_HASH: u32 = 16;
/// Message word order of the next round, from the specification.
const PERMUTATION: [usize; 16] = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];

/// Message word indexes used by each of the 7 rounds: round r reads the block through the
/// permutation applied r times.
const SCHEDULE: [[usize; 16]; 7] = {
    let mut s = [[0usize; 16]; 7];
    let mut i = 0;
    while i < 16 {
        s[0][i] = i;
        i += 1;
    }
    let mut r = 1;
    while r < 7 {
        let mut i = 0;
        while i < 16 {
            s[r][i] = s[r - 1][PERMUTATION[i]];
            i += 1;
        }
        r += 1;
    }
    s
};

/// The chaining value and extra flags of plain (`None`) or keyed BLAKE3.
pub(crate) fn mode(key: Option<&[u8; 32]>) -> ([u32; 8], u32) {
    match key {
        None => (IV, 0),
        Some(k) => {
            let mut cv = [0u32; 8];
            for (w, c) in cv.iter_mut().zip(k.chunks_exact(4)) {
                *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
            (cv, KEYED_HASH)
        }
    }
}

/// The inputs, each zero-padded to a whole block, and their lengths.
struct Blocks {
    bytes: [[u8; BLOCK_LEN]; LANES],
    len: [u32; LANES],
}

impl Blocks {
    fn new(inputs: [&[u8]; LANES]) -> Blocks {
        let mut b = Blocks {
            bytes: [[0; BLOCK_LEN]; LANES],
            len: [0; LANES],
        };
        for (lane, input) in inputs.iter().enumerate() {
            assert!(input.len() <= BLOCK_LEN, "a lane takes at most one block");
            b.bytes[lane][..input.len()].copy_from_slice(input);
            b.len[lane] = input.len() as u32;
        }
        b
    }

    /// Little-endian message word `w` of `lane`.
    fn word(&self, lane: usize, w: usize) -> u32 {
        let c = &self.bytes[lane][4 * w..4 * w + 4];
        u32::from_le_bytes([c[0], c[1], c[2], c[3]])
    }
}

/// 32-bit lanes of one vector register, and the operations a compression needs.
///
/// # Safety
/// The methods may only be called on a CPU that has the instruction set the implementation
/// uses (the `Portable` one runs anywhere).
unsafe trait Vector: Copy {
    const WIDTH: usize;
    unsafe fn splat(x: u32) -> Self;
    /// Lanes from `words[..WIDTH]`.
    unsafe fn load(words: &[u32]) -> Self;
    /// The 16 message words of lanes `start .. start + WIDTH`, transposed: vector `w` holds
    /// word `w` of every lane.
    unsafe fn message(blocks: &Blocks, start: usize) -> [Self; 16];
    /// Lanes into `out[..WIDTH]`.
    unsafe fn store(self, out: &mut [u32]);
    unsafe fn add(self, other: Self) -> Self;
    unsafe fn xor(self, other: Self) -> Self;
    unsafe fn ror16(self) -> Self;
    unsafe fn ror12(self) -> Self;
    unsafe fn ror8(self) -> Self;
    unsafe fn ror7(self) -> Self;
}

#[inline(always)]
unsafe fn g<S: Vector>(v: &mut [S; 16], (a, b, c, d): (usize, usize, usize, usize), x: S, y: S) {
    // SAFETY: the caller runs on a CPU with `S`'s instructions.
    unsafe {
        v[a] = v[a].add(v[b]).add(x);
        v[d] = v[d].xor(v[a]).ror16();
        v[c] = v[c].add(v[d]);
        v[b] = v[b].xor(v[c]).ror12();
        v[a] = v[a].add(v[b]).add(y);
        v[d] = v[d].xor(v[a]).ror8();
        v[c] = v[c].add(v[d]);
        v[b] = v[b].xor(v[c]).ror7();
    }
}

/// Compress lanes `start .. start + S::WIDTH` of `blocks` and write their first 8 output bytes.
#[inline(always)]
unsafe fn compress<S: Vector>(
    blocks: &Blocks,
    cv: &[u32; 8],
    flags: u32,
    start: usize,
    out: &mut [u64; LANES],
) {
    // SAFETY: the caller runs on a CPU with `S`'s instructions.
    unsafe {
        let m = S::message(blocks, start);
        let zero = S::splat(0);
        let mut v = [zero; 16];
        for i in 0..8 {
            v[i] = S::splat(cv[i]);
        }
        for i in 0..4 {
            v[8 + i] = S::splat(IV[i]);
        }
        // v[12], v[13]: the 64-bit chunk counter, 0.
        v[14] = S::load(&blocks.len[start..]);
        v[15] = S::splat(CHUNK_START | CHUNK_END | ROOT | flags);
        for s in &SCHEDULE {
            g(&mut v, (0, 4, 8, 12), m[s[0]], m[s[1]]);
            g(&mut v, (1, 5, 9, 13), m[s[2]], m[s[3]]);
            g(&mut v, (2, 6, 10, 14), m[s[4]], m[s[5]]);
            g(&mut v, (3, 7, 11, 15), m[s[6]], m[s[7]]);
            g(&mut v, (0, 5, 10, 15), m[s[8]], m[s[9]]);
            g(&mut v, (1, 6, 11, 12), m[s[10]], m[s[11]]);
            g(&mut v, (2, 7, 8, 13), m[s[12]], m[s[13]]);
            g(&mut v, (3, 4, 9, 14), m[s[14]], m[s[15]]);
        }
        // Output word i is v[i] ^ v[i + 8]; the ring position is words 0 and 1.
        let (mut lo, mut hi) = ([0u32; LANES], [0u32; LANES]);
        v[0].xor(v[8]).store(&mut lo);
        v[1].xor(v[9]).store(&mut hi);
        for l in 0..S::WIDTH {
            out[start + l] = u64::from(lo[l]) | (u64::from(hi[l]) << 32);
        }
    }
}

/// Plain Rust lanes, for any CPU.
#[derive(Clone, Copy)]
struct Portable([u32; 4]);

// SAFETY: plain Rust, valid on every CPU.
unsafe impl Vector for Portable {
    const WIDTH: usize = 4;
    unsafe fn splat(x: u32) -> Self {
        Portable([x; 4])
    }
    unsafe fn load(words: &[u32]) -> Self {
        Portable([words[0], words[1], words[2], words[3]])
    }
    unsafe fn message(blocks: &Blocks, start: usize) -> [Self; 16] {
        std::array::from_fn(|w| Portable(std::array::from_fn(|l| blocks.word(start + l, w))))
    }
    unsafe fn store(self, out: &mut [u32]) {
        out[..4].copy_from_slice(&self.0);
    }
    unsafe fn add(self, o: Self) -> Self {
        Portable(std::array::from_fn(|i| self.0[i].wrapping_add(o.0[i])))
    }
    unsafe fn xor(self, o: Self) -> Self {
        Portable(std::array::from_fn(|i| self.0[i] ^ o.0[i]))
    }
    unsafe fn ror16(self) -> Self {
        Portable(self.0.map(|x| x.rotate_right(16)))
    }
    unsafe fn ror12(self) -> Self {
        Portable(self.0.map(|x| x.rotate_right(12)))
    }
    unsafe fn ror8(self) -> Self {
        Portable(self.0.map(|x| x.rotate_right(8)))
    }
    unsafe fn ror7(self) -> Self {
        Portable(self.0.map(|x| x.rotate_right(7)))
    }
}

/// Which implementation runs the lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    /// Plain Rust, 4 lanes at a time.
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    Portable,
    /// x86-64 SSE2 (every x86-64 CPU), 4 lanes per register.
    #[cfg(target_arch = "x86_64")]
    Sse2,
    /// x86-64 AVX2, 8 lanes per register; chosen at run time when the CPU has it.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Backend {
    /// The fastest backend this CPU runs.
    pub(crate) fn detect() -> Backend {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                return Backend::Avx2;
            }
            Backend::Sse2
        }
        #[cfg(not(target_arch = "x86_64"))]
        Backend::Portable
    }

    /// Whether this CPU can run the backend.
    pub(crate) fn available(self) -> bool {
        match self {
            Backend::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Sse2 => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => std::is_x86_feature_detected!("avx2"),
        }
    }
}

/// The first 8 bytes, little-endian, of BLAKE3 (keyed when `cv`/`flags` come from a key, see
/// [`mode`]) of each input. Every input must be at most [`BLOCK_LEN`] bytes.
pub(crate) fn hash_lanes(inputs: [&[u8]; LANES], cv: &[u32; 8], flags: u32) -> [u64; LANES] {
    hash_lanes_with(Backend::detect(), inputs, cv, flags)
}

/// [`hash_lanes`] on a given backend. Panics if the CPU cannot run it.
pub(crate) fn hash_lanes_with(
    backend: Backend,
    inputs: [&[u8]; LANES],
    cv: &[u32; 8],
    flags: u32,
) -> [u64; LANES] {
    assert!(
        backend.available(),
        "{backend:?} is not supported by this CPU"
    );
    let blocks = Blocks::new(inputs);
    let mut out = [0u64; LANES];
    match backend {
        Backend::Portable => {
            for start in (0..LANES).step_by(Portable::WIDTH) {
                // SAFETY: `Portable` runs on every CPU.
                unsafe { compress::<Portable>(&blocks, cv, flags, start, &mut out) };
            }
        }
        // SAFETY: SSE2 is part of the x86-64 baseline.
        #[cfg(target_arch = "x86_64")]
        Backend::Sse2 => unsafe { x86::sse2(&blocks, cv, flags, &mut out) },
        // SAFETY: `available()` checked that the CPU has AVX2.
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => unsafe { x86::avx2(&blocks, cv, flags, &mut out) },
    }
    out
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{Blocks, LANES, Vector, compress};

    #[derive(Clone, Copy)]
    struct Sse2(__m128i);
    #[derive(Clone, Copy)]
    struct Avx2(__m256i);

    // SAFETY: every method uses SSE2 only; `Vector`'s contract makes callers check the CPU.
    unsafe impl Vector for Sse2 {
        const WIDTH: usize = 4;
        #[inline(always)]
        unsafe fn splat(x: u32) -> Self {
            unsafe { Sse2(_mm_set1_epi32(x as i32)) }
        }
        #[inline(always)]
        unsafe fn load(words: &[u32]) -> Self {
            assert!(words.len() >= 4);
            // SAFETY: 4 readable u32s (checked above); unaligned load.
            unsafe { Sse2(_mm_loadu_si128(words.as_ptr().cast())) }
        }
        #[inline(always)]
        unsafe fn message(blocks: &Blocks, start: usize) -> [Self; 16] {
            // SAFETY: only reached on a CPU with this backend's instructions (`Vector`).
            unsafe {
                let lanes = &blocks.bytes[start..start + 4];
                let mut m = [Sse2(_mm_setzero_si128()); 16];
                for q in 0..4 {
                    // SAFETY: each block has 64 bytes, so bytes 16q .. 16q + 16 are in bounds.
                    let r: [__m128i; 4] = std::array::from_fn(|l| {
                        _mm_loadu_si128(lanes[l].as_ptr().add(16 * q).cast())
                    });
                    // 4x4 transpose of 32-bit words.
                    let t0 = _mm_unpacklo_epi32(r[0], r[1]);
                    let t1 = _mm_unpackhi_epi32(r[0], r[1]);
                    let t2 = _mm_unpacklo_epi32(r[2], r[3]);
                    let t3 = _mm_unpackhi_epi32(r[2], r[3]);
                    m[4 * q] = Sse2(_mm_unpacklo_epi64(t0, t2));
                    m[4 * q + 1] = Sse2(_mm_unpackhi_epi64(t0, t2));
                    m[4 * q + 2] = Sse2(_mm_unpacklo_epi64(t1, t3));
                    m[4 * q + 3] = Sse2(_mm_unpackhi_epi64(t1, t3));
                }
                m
            }
        }
        #[inline(always)]
        unsafe fn store(self, out: &mut [u32]) {
            assert!(out.len() >= 4);
            // SAFETY: 4 writable u32s (checked above); unaligned store.
            unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), self.0) }
        }
        #[inline(always)]
        unsafe fn add(self, o: Self) -> Self {
            unsafe { Sse2(_mm_add_epi32(self.0, o.0)) }
        }
        #[inline(always)]
        unsafe fn xor(self, o: Self) -> Self {
            unsafe { Sse2(_mm_xor_si128(self.0, o.0)) }
        }
        #[inline(always)]
        unsafe fn ror16(self) -> Self {
            // Swap the 16-bit halves of every 32-bit lane.
            unsafe {
                Sse2(_mm_shufflehi_epi16::<0xB1>(_mm_shufflelo_epi16::<0xB1>(
                    self.0,
                )))
            }
        }
        #[inline(always)]
        unsafe fn ror12(self) -> Self {
            unsafe {
                Sse2(_mm_or_si128(
                    _mm_srli_epi32::<12>(self.0),
                    _mm_slli_epi32::<20>(self.0),
                ))
            }
        }
        #[inline(always)]
        unsafe fn ror8(self) -> Self {
            unsafe {
                Sse2(_mm_or_si128(
                    _mm_srli_epi32::<8>(self.0),
                    _mm_slli_epi32::<24>(self.0),
                ))
            }
        }
        #[inline(always)]
        unsafe fn ror7(self) -> Self {
            unsafe {
                Sse2(_mm_or_si128(
                    _mm_srli_epi32::<7>(self.0),
                    _mm_slli_epi32::<25>(self.0),
                ))
            }
        }
    }

    // SAFETY: every method uses AVX2 only; `Vector`'s contract makes callers check the CPU.
    unsafe impl Vector for Avx2 {
        const WIDTH: usize = 8;
        #[inline(always)]
        unsafe fn splat(x: u32) -> Self {
            unsafe { Avx2(_mm256_set1_epi32(x as i32)) }
        }
        #[inline(always)]
        unsafe fn load(words: &[u32]) -> Self {
            assert!(words.len() >= 8);
            // SAFETY: 8 readable u32s (checked above); unaligned load.
            unsafe { Avx2(_mm256_loadu_si256(words.as_ptr().cast())) }
        }
        #[inline(always)]
        unsafe fn message(blocks: &Blocks, start: usize) -> [Self; 16] {
            // SAFETY: only reached on a CPU with this backend's instructions (`Vector`).
            unsafe {
                debug_assert_eq!(start, 0);
                let mut m = [Avx2(_mm256_setzero_si256()); 16];
                for half in 0..2 {
                    // SAFETY: each block has 64 bytes, so bytes 32h .. 32h + 32 are in bounds.
                    let r: [__m256i; 8] = std::array::from_fn(|l| {
                        _mm256_loadu_si256(blocks.bytes[l].as_ptr().add(32 * half).cast())
                    });
                    // 8x8 transpose of 32-bit words.
                    let t: [__m256i; 8] = std::array::from_fn(|i| {
                        let (a, b) = (r[i & !1], r[i | 1]);
                        if i % 2 == 0 {
                            _mm256_unpacklo_epi32(a, b)
                        } else {
                            _mm256_unpackhi_epi32(a, b)
                        }
                    });
                    // u[k] for rows 0-3 (k < 4) and rows 4-7 (k >= 4): words k%4 and k%4 + 4.
                    let u: [__m256i; 8] = std::array::from_fn(|k| {
                        let base = if k < 4 { 0 } else { 4 };
                        let (lo, hi) = match k % 4 {
                            0 | 1 => (t[base], t[base + 2]),
                            _ => (t[base + 1], t[base + 3]),
                        };
                        if k % 2 == 0 {
                            _mm256_unpacklo_epi64(lo, hi)
                        } else {
                            _mm256_unpackhi_epi64(lo, hi)
                        }
                    });
                    for k in 0..4 {
                        m[8 * half + k] = Avx2(_mm256_permute2x128_si256::<0x20>(u[k], u[k + 4]));
                        m[8 * half + k + 4] =
                            Avx2(_mm256_permute2x128_si256::<0x31>(u[k], u[k + 4]));
                    }
                }
                m
            }
        }
        #[inline(always)]
        unsafe fn store(self, out: &mut [u32]) {
            assert!(out.len() >= 8);
            // SAFETY: 8 writable u32s (checked above); unaligned store.
            unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), self.0) }
        }
        #[inline(always)]
        unsafe fn add(self, o: Self) -> Self {
            unsafe { Avx2(_mm256_add_epi32(self.0, o.0)) }
        }
        #[inline(always)]
        unsafe fn xor(self, o: Self) -> Self {
            unsafe { Avx2(_mm256_xor_si256(self.0, o.0)) }
        }
        #[inline(always)]
        unsafe fn ror16(self) -> Self {
            // Byte shuffle: result byte i of each lane is source byte (i + 2) % 4.
            unsafe {
                let m = _mm256_setr_epi8(
                    2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5,
                    10, 11, 8, 9, 14, 15, 12, 13,
                );
                Avx2(_mm256_shuffle_epi8(self.0, m))
            }
        }
        #[inline(always)]
        unsafe fn ror12(self) -> Self {
            unsafe {
                Avx2(_mm256_or_si256(
                    _mm256_srli_epi32::<12>(self.0),
                    _mm256_slli_epi32::<20>(self.0),
                ))
            }
        }
        #[inline(always)]
        unsafe fn ror8(self) -> Self {
            // Byte shuffle: result byte i of each lane is source byte (i + 1) % 4.
            unsafe {
                let m = _mm256_setr_epi8(
                    1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7, 4,
                    9, 10, 11, 8, 13, 14, 15, 12,
                );
                Avx2(_mm256_shuffle_epi8(self.0, m))
            }
        }
        #[inline(always)]
        unsafe fn ror7(self) -> Self {
            unsafe {
                Avx2(_mm256_or_si256(
                    _mm256_srli_epi32::<7>(self.0),
                    _mm256_slli_epi32::<25>(self.0),
                ))
            }
        }
    }

    /// # Safety
    /// The CPU must have SSE2 (every x86-64 CPU does).
    #[target_feature(enable = "sse2")]
    pub(super) unsafe fn sse2(blocks: &Blocks, cv: &[u32; 8], flags: u32, out: &mut [u64; LANES]) {
        // SAFETY: this function runs only with SSE2.
        unsafe {
            compress::<Sse2>(blocks, cv, flags, 0, out);
            compress::<Sse2>(blocks, cv, flags, 4, out);
        }
    }

    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn avx2(blocks: &Blocks, cv: &[u32; 8], flags: u32, out: &mut [u64; LANES]) {
        // SAFETY: this function runs only with AVX2.
        unsafe { compress::<Avx2>(blocks, cv, flags, 0, out) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every backend this CPU runs (the detected one included).
    fn backends() -> Vec<Backend> {
        let all = [
            Backend::Portable,
            #[cfg(target_arch = "x86_64")]
            Backend::Sse2,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2,
        ];
        all.into_iter().filter(|b| b.available()).collect()
    }

    fn first_u64(d: &[u8; 32]) -> u64 {
        u64::from_le_bytes(d[..8].try_into().unwrap())
    }

    #[test]
    fn every_length_matches_the_crate() {
        let data: Vec<u8> = (0..=255u8).cycle().take(BLOCK_LEN + 8).collect();
        let key = [0x5au8; 32];
        for start in 0..LANES {
            let inputs: [&[u8]; LANES] =
                std::array::from_fn(|l| &data[l..(l + start * 8).min(l + BLOCK_LEN)]);
            let (cv, flags) = mode(None);
            let (kcv, kflags) = mode(Some(&key));
            for backend in backends() {
                let got = hash_lanes_with(backend, inputs, &cv, flags);
                let keyed = hash_lanes_with(backend, inputs, &kcv, kflags);
                for l in 0..LANES {
                    assert_eq!(got[l], first_u64(blake3::hash(inputs[l]).as_bytes()));
                    assert_eq!(
                        keyed[l],
                        first_u64(blake3::keyed_hash(&key, inputs[l]).as_bytes())
                    );
                }
            }
        }
        for n in 0..=BLOCK_LEN {
            let inputs = [&data[..n]; LANES];
            let (cv, flags) = mode(None);
            for backend in backends() {
                assert_eq!(
                    hash_lanes_with(backend, inputs, &cv, flags)[LANES - 1],
                    first_u64(blake3::hash(&data[..n]).as_bytes()),
                    "length {n} on {backend:?}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn random_inputs_match_the_crate(
            inputs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..=BLOCK_LEN), LANES),
            key in proptest::option::of(any::<[u8; 32]>()),
        ) {
            let refs: [&[u8]; LANES] = std::array::from_fn(|l| inputs[l].as_slice());
            let (cv, flags) = mode(key.as_ref());
            for backend in backends() {
            let got = hash_lanes_with(backend, refs, &cv, flags);
            for l in 0..LANES {
                let want = match &key {
                    None => blake3::hash(refs[l]),
                    Some(k) => blake3::keyed_hash(k, refs[l]),
                };
                prop_assert_eq!(got[l], first_u64(want.as_bytes()));
            }
            }
        }
    }
}
