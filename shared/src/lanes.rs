//! Eight f32 lanes for the own ops' kernels (feature `tract`): one AVX2 register on x86-64
//! (with FMA, picked at run time), two NEON registers on aarch64, a plain array elsewhere
//! and on x86-64 CPUs without AVX2.
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
    /// Values in one: 8, or 1 for a lone `f32` (the channels left over).
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

/// Runs `kernel` with the best [`Lanes`] of eight this CPU has: `kernel!(L)` is instantiated for
/// each lane type, and the AVX2 one is entered through a function compiled for AVX2 and
/// FMA, so that the lanes' methods inline into it.
#[macro_export]
#[doc(hidden)]
macro_rules! with_lanes {
    (|$l:ident| $body:expr) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                type $l = $crate::lanes::Avx2;
                let body = || $body;
                // SAFETY: the CPU has the features `Avx2` needs.
                unsafe { avx2(body) }
            } else {
                type $l = $crate::lanes::Plain;
                $body
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            type $l = $crate::lanes::Neon;
            $body
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            type $l = $crate::lanes::Plain;
            $body
        }
    }};
}
