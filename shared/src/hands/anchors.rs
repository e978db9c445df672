//! MediaPipe's SSD anchors for the palm detector (`SsdAnchorsCalculator` with the
//! options of `palm_detection_cpu.pbtxt`): 192x192 input, strides 8, 16, 16, 16, two
//! anchors per cell per layer, fixed anchor size, offset 0.5 -> 24x24x2 + 12x12x6 = 2016.

/// Input side of the palm detector.
pub const INPUT: usize = 192;
/// Strides of the four feature layers.
const STRIDES: [usize; 4] = [8, 16, 16, 16];

/// Anchor centres `(x, y)` in 0..1 of the detector's input, in the model's output order.
pub fn palm_anchors() -> Vec<(f32, f32)> {
    let mut out = Vec::with_capacity(2016);
    let mut layer = 0;
    while layer < STRIDES.len() {
        // Consecutive layers with the same stride share one grid (2 anchors each).
        let mut last = layer;
        while last < STRIDES.len() && STRIDES[last] == STRIDES[layer] {
            last += 1;
        }
        let per_cell = 2 * (last - layer);
        let side = INPUT.div_ceil(STRIDES[layer]);
        for y in 0..side {
            for x in 0..side {
                let c = ((x as f32 + 0.5) / side as f32, (y as f32 + 0.5) / side as f32);
                out.extend(std::iter::repeat_n(c, per_cell));
            }
        }
        layer = last;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn palm_anchors_are_mediapipes_2016() {
        let a = super::palm_anchors();
        assert_eq!(a.len(), 2016);
        assert_eq!(a[0], (0.5 / 24.0, 0.5 / 24.0));
        assert_eq!(a[1], a[0]);
        assert_eq!(a[24 * 24 * 2], (0.5 / 12.0, 0.5 / 12.0));
        assert_eq!(a[2015], (11.5 / 12.0, 11.5 / 12.0));
    }
}
