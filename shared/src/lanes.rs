//! Eight f32 lanes for the own ops' kernels (feature `tract`): one AVX2 register on x86-64
//! (with FMA, picked at run time), two NEON registers on aarch64, a plain array elsewhere
//! and on x86-64 CPUs without AVX2; and sixteen, one AVX-512 register, where the CPU has
//! AVX-512 ([`wide`]).
//!
//! The kernels are written once over [`Lanes`], with their accumulators as values of it,
//! so that they stay in registers whatever the compiler's vectoriser decides: written as
//! loops over arrays, a block of 8 output channels of [`crate::pointwise`] was left
//! scalar and ran 3x slower than a block of 16.

/// [`Lanes::N`] f32 values in registers.
///
/// # Safety
/// The methods are `unsafe` because an implementation may need CPU features that the
/// caller must have checked ([`Avx2`]: AVX2 and FMA); pointers must be valid for `N` values.
pub trait Lanes: Copy {
    /// Values in one: 16 (AVX-512), 8, or 1 for a lone `f32` (the channels left over).
    const N: usize;
    /// Every lane `v`.
    unsafe fn splat(v: f32) -> Self;
    /// Lanes from `p[0..N]`.
    unsafe fn load(p: *const f32) -> Self;
    /// Lanes into `p[0..N]`.
    unsafe fn store(self, p: *mut f32);
    /// `self * b + c`, fused where the CPU can.
    unsafe fn mul_add(self, b: Self, c: Self) -> Self;
    /// Each lane clamped to `lo..=hi` (`max` first, then `min`).
    unsafe fn clamp(self, lo: Self, hi: Self) -> Self;
}

/// One `__m256` with AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub struct Avx2(std::arch::x86_64::__m256);

#[cfg(target_arch = "x86_64")]
impl Lanes for Avx2 {
    const N: usize = 8;
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn splat(v: f32) -> Self {
        Avx2(std::arch::x86_64::_mm256_set1_ps(v))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller gives 8 readable values.
        Avx2(unsafe { std::arch::x86_64::_mm256_loadu_ps(p) })
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller gives 8 writable values.
        unsafe { std::arch::x86_64::_mm256_storeu_ps(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        Avx2(std::arch::x86_64::_mm256_fmadd_ps(self.0, b.0, c.0))
    }
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn clamp(self, lo: Self, hi: Self) -> Self {
        use std::arch::x86_64::{_mm256_max_ps, _mm256_min_ps};
        Avx2(_mm256_min_ps(_mm256_max_ps(self.0, lo.0), hi.0))
    }
}

/// One `__m512` with AVX-512F: for layers whose channels come in sixteens (elsewhere a
/// block of 24 in [`Avx2`] lanes, one pass, beats 16 here and 8 more in a second pass).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub struct Avx512(std::arch::x86_64::__m512);

#[cfg(target_arch = "x86_64")]
impl Lanes for Avx512 {
    const N: usize = 16;
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn splat(v: f32) -> Self {
        Avx512(std::arch::x86_64::_mm512_set1_ps(v))
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller gives 16 readable values.
        Avx512(unsafe { std::arch::x86_64::_mm512_loadu_ps(p) })
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller gives 16 writable values.
        unsafe { std::arch::x86_64::_mm512_storeu_ps(p, self.0) }
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        Avx512(std::arch::x86_64::_mm512_fmadd_ps(self.0, b.0, c.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn clamp(self, lo: Self, hi: Self) -> Self {
        use std::arch::x86_64::{_mm512_max_ps, _mm512_min_ps};
        Avx512(_mm512_min_ps(_mm512_max_ps(self.0, lo.0), hi.0))
    }
}

/// Two `float32x4_t`.
#[cfg(target_arch = "aarch64")]
#[derive(Clone, Copy)]
pub struct Neon(std::arch::aarch64::float32x4_t, std::arch::aarch64::float32x4_t);

#[cfg(target_arch = "aarch64")]
impl Lanes for Neon {
    const N: usize = 8;
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        // SAFETY: NEON is part of every aarch64 CPU.
        let v = unsafe { std::arch::aarch64::vdupq_n_f32(v) };
        Neon(v, v)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        use std::arch::aarch64::vld1q_f32;
        // SAFETY: the caller gives 8 readable values.
        unsafe { Neon(vld1q_f32(p), vld1q_f32(p.add(4))) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        use std::arch::aarch64::vst1q_f32;
        // SAFETY: the caller gives 8 writable values.
        unsafe {
            vst1q_f32(p, self.0);
            vst1q_f32(p.add(4), self.1);
        }
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        use std::arch::aarch64::vfmaq_f32;
        // SAFETY: NEON is part of every aarch64 CPU.
        unsafe { Neon(vfmaq_f32(c.0, self.0, b.0), vfmaq_f32(c.1, self.1, b.1)) }
    }
    #[inline(always)]
    unsafe fn clamp(self, lo: Self, hi: Self) -> Self {
        use std::arch::aarch64::{vmaxq_f32, vminq_f32};
        // SAFETY: NEON is part of every aarch64 CPU.
        unsafe { Neon(vminq_f32(vmaxq_f32(self.0, lo.0), hi.0), vminq_f32(vmaxq_f32(self.1, lo.1), hi.1)) }
    }
}

/// A plain array: the fallback, and the reference the tests compare the others with.
#[derive(Clone, Copy)]
pub struct Plain([f32; 8]);

impl Lanes for Plain {
    const N: usize = 8;
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        Plain([v; 8])
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller gives 8 readable values.
        Plain(unsafe { p.cast::<[f32; 8]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller gives 8 writable values.
        unsafe { p.cast::<[f32; 8]>().write_unaligned(self.0) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        Plain(std::array::from_fn(|j| self.0[j] * b.0[j] + c.0[j]))
    }
    #[inline(always)]
    unsafe fn clamp(self, lo: Self, hi: Self) -> Self {
        Plain(std::array::from_fn(|j| self.0[j].max(lo.0[j]).min(hi.0[j])))
    }
}

/// One value: the channels left over after the blocks of eight.
impl Lanes for f32 {
    const N: usize = 1;
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        v
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller gives a readable value.
        unsafe { *p }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller gives a writable value.
        unsafe { *p = self }
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        self * b + c
    }
    #[inline(always)]
    unsafe fn clamp(self, lo: Self, hi: Self) -> Self {
        self.max(lo).min(hi)
    }
}

/// How many lanes of `L` a block of channels takes (`Single`: one channel, as `f32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// Three lanes: used where pairs would leave a single lane over (24 channels in
    /// one pass instead of 16 and then 8).
    Three,
    /// Two lanes.
    Two,
    /// One lane.
    One,
    /// One channel.
    Single,
}

/// The blocks covering `c` channels with lanes of `n` values: `(first channel, block)`.
/// Pairs of lanes, except that three are taken where pairs would leave one lane over;
/// then one lane, then single channels.
pub fn blocks(c: usize, n: usize) -> impl Iterator<Item = (usize, Block)> {
    let mut c0 = 0;
    std::iter::from_fn(move || {
        let left = c - c0;
        let block = if left >= 3 * n && left % (2 * n) >= n {
            (Block::Three, 3 * n)
        } else if left >= 2 * n {
            (Block::Two, 2 * n)
        } else if left >= n {
            (Block::One, n)
        } else if left > 0 {
            (Block::Single, 1)
        } else {
            return None;
        };
        let at = c0;
        c0 += block.1;
        Some((at, block.0))
    })
}

/// `V` lanes from `p` on.
///
/// # Safety
/// `p` holds `V * L::N` values; the CPU has `L`'s features.
#[inline(always)]
pub unsafe fn load<L: Lanes, const V: usize>(p: *const f32) -> [L; V] {
    // SAFETY: as the caller promises.
    std::array::from_fn(|v| unsafe { L::load(p.add(v * L::N)) })
}

/// `acc += i * k`, lane by lane.
///
/// # Safety
/// The CPU has `L`'s features.
#[inline(always)]
pub unsafe fn madd<L: Lanes, const V: usize>(acc: &mut [L; V], i: [L; V], k: [L; V]) {
    for v in 0..V {
        // SAFETY: as the caller promises.
        acc[v] = unsafe { i[v].mul_add(k[v], acc[v]) };
    }
}

/// Stores `acc` at `p`, each value clamped to `lo..=hi`.
///
/// # Safety
/// `p` holds `V * L::N` writable values; the CPU has `L`'s features.
#[inline(always)]
pub unsafe fn store_clamped<L: Lanes, const V: usize>(acc: [L; V], p: *mut f32, lo: L, hi: L) {
    for (v, a) in acc.into_iter().enumerate() {
        // SAFETY: as the caller promises.
        unsafe { a.clamp(lo, hi).store(p.add(v * L::N)) };
    }
}

/// An op computed over [`Lanes`] from its input `x` into `out`, which [`dispatch`] runs
/// with the best lanes this CPU has. Implement [`Kernel::run`] as `#[inline(always)]`,
/// and the functions it calls likewise: then the whole kernel is compiled inside
/// [`dispatch`]'s AVX2+FMA (or AVX-512) entry point, and the lanes' methods inline into
/// it. (A closure in between stops that: compiled without AVX2, it keeps each lane
/// method as a call, 40x slower.)
pub trait Kernel {
    /// Computes the op with lanes `L`.
    ///
    /// # Safety
    /// The CPU has `L`'s features; `x` and `out` have the sizes the op computes.
    unsafe fn run<L: Lanes>(&self, x: &[f32], out: &mut [f32]);
}

/// Whether the own ops may use 16-lane registers (AVX-512) where the CPU has them: yes,
/// unless the environment variable `SIGNSPELL_LANES` is `8`, which times the 8-lane
/// kernels a Pi's NEON runs on a host with AVX-512 (read once).
pub fn wide_allowed() -> bool {
    static WIDE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WIDE.get_or_init(|| std::env::var("SIGNSPELL_LANES").map_or(true, |v| v.trim() != "8"))
}

/// Whether the own ops use AVX-512 here: the CPU has AVX-512F, AVX2 and FMA (an x86-64
/// one) and [`wide_allowed`].
pub fn wide() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && wide_allowed()
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Runs `kernel` on `x` into `out`: with [`Avx512`] where [`wide`] and `sixteens` (the
/// op's channels come in sixteens), else with [`Avx2`] on an x86-64 CPU with AVX2 and
/// FMA, `Neon` on aarch64, [`Plain`] otherwise.
///
/// # Safety
/// As [`Kernel::run`] asks, beyond the CPU's features (which this checks).
#[inline]
pub unsafe fn dispatch<K: Kernel>(kernel: &K, x: &[f32], out: &mut [f32], sixteens: bool) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn avx512<K: Kernel>(kernel: &K, x: &[f32], out: &mut [f32]) {
            // SAFETY: this function is only called on CPUs with AVX-512F, AVX2 and FMA.
            unsafe { kernel.run::<Avx512>(x, out) }
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2<K: Kernel>(kernel: &K, x: &[f32], out: &mut [f32]) {
            // SAFETY: this function is only called on CPUs with AVX2 and FMA.
            unsafe { kernel.run::<Avx2>(x, out) }
        }
        // SAFETY (all three): the CPU has the features of the lanes chosen; the sizes
        // are the caller's promise.
        if sixteens && wide() {
            unsafe { avx512(kernel, x, out) }
        } else if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            unsafe { avx2(kernel, x, out) }
        } else {
            unsafe { kernel.run::<Plain>(x, out) }
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        let _ = sixteens;
        // SAFETY: NEON is part of every aarch64 CPU; the sizes are the caller's promise.
        unsafe { kernel.run::<Neon>(x, out) }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = sixteens;
        // SAFETY: plain lanes need no CPU feature; the sizes are the caller's promise.
        unsafe { kernel.run::<Plain>(x, out) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_every_channel_once_taking_three_lanes_only_where_pairs_leave_one() {
        let widths = |c| blocks(c, 8).map(|(_, b)| b).collect::<Vec<_>>();
        assert_eq!(widths(24), [Block::Three]);
        assert_eq!(widths(64), [Block::Two; 4]);
        assert_eq!(widths(40), [Block::Three, Block::Two]);
        assert_eq!(widths(8), [Block::One]);
        assert_eq!(widths(11), [Block::One, Block::Single, Block::Single, Block::Single]);
        assert_eq!(widths(0), []);
        let n_of = |b| match b {
            Block::Three => 24,
            Block::Two => 16,
            Block::One => 8,
            Block::Single => 1,
        };
        for c in 0..100 {
            let mut next = 0;
            for (c0, b) in blocks(c, 8) {
                assert_eq!(c0, next, "{c} channels");
                next += n_of(b);
            }
            assert_eq!(next, c, "{c} channels");
        }
    }
}
