//! The channel-attention module of seed 002 §4.3.1: global average pooling, two 1x1
//! convolutions (reduce by a ratio, ReLU, expand), a sigmoid, and a per-channel
//! rescaling of the input.

use tch::{nn, Tensor};

/// Squeeze-and-excitation style channel attention.
#[derive(Debug)]
pub struct ChannelAttention {
    reduce: nn::Conv2D,
    expand: nn::Conv2D,
}

impl ChannelAttention {
    /// Attention over `channels` channels with hidden width `channels / reduction`
    /// (at least 4).
    pub fn new(vs: &nn::Path, channels: i64, reduction: i64) -> Self {
        let hidden = (channels / reduction.max(1)).max(4);
        let cfg = nn::ConvConfig { bias: true, ..Default::default() };
        Self {
            reduce: nn::conv2d(vs / "fc1", channels, hidden, 1, cfg),
            expand: nn::conv2d(vs / "fc2", hidden, channels, 1, cfg),
        }
    }
}

impl nn::Module for ChannelAttention {
    fn forward(&self, x: &Tensor) -> Tensor {
        let w = x.adaptive_avg_pool2d([1, 1]).apply(&self.reduce).relu().apply(&self.expand).sigmoid();
        x * w
    }
}
