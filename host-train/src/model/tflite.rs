//! A minimal, bounds-checked reader for TensorFlow Lite files: the tensors (shape,
//! constant data dequantized to `f32`) and the operators in execution order. It reads
//! only what weight transfer needs, straight from the FlatBuffer (no schema codegen,
//! no TensorFlow).
//!
//! FlatBuffer layout in brief: a table starts with an `i32` offset back to its vtable;
//! the vtable lists, per field id, the field's offset inside the table (0 = absent).
//! Tables, vectors and strings are referenced by `u32` offsets relative to where the
//! offset itself is stored; vectors start with a `u32` length.

use std::path::Path;

use anyhow::{bail, ensure, Context, Result};

/// TFLite builtin operator codes used here (from `schema.fbs`).
pub mod op {
    /// `CONV_2D`.
    pub const CONV_2D: i32 = 3;
    /// `DEPTHWISE_CONV_2D`.
    pub const DEPTHWISE_CONV_2D: i32 = 4;
    /// `FULLY_CONNECTED`.
    pub const FULLY_CONNECTED: i32 = 9;
}

/// One tensor of the main subgraph.
#[derive(Debug, Clone)]
pub struct Tensor {
    /// Name in the file.
    pub name: String,
    /// Shape (TFLite layouts: OHWI convolutions, 1HWC depthwise).
    pub shape: Vec<usize>,
    /// Constant data dequantized to `f32` (`(q - zero_point) * scale`, per channel
    /// where the file says so; plain integers as they are); empty for activations.
    pub data: Vec<f32>,
}

/// One operator: its builtin code and tensor indices (-1 = optional input left out).
#[derive(Debug, Clone)]
pub struct Operator {
    /// Builtin operator code.
    pub code: i32,
    /// Input tensor indices.
    pub inputs: Vec<i32>,
    /// Output tensor indices.
    pub outputs: Vec<i32>,
}

/// The main subgraph of a TFLite model.
#[derive(Debug, Clone)]
pub struct Model {
    /// All tensors.
    pub tensors: Vec<Tensor>,
    /// Operators in execution order.
    pub operators: Vec<Operator>,
}

impl Model {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&bytes).with_context(|| format!("{}: not a valid TFLite model", path.display()))
    }

    /// Parses a TFLite FlatBuffer.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let fb = Fb(bytes);
        ensure!(bytes.len() >= 8, "{} bytes is too short for a FlatBuffer", bytes.len());
        if &bytes[4..8] != b"TFL3" {
            bail!("file identifier is {:?}, not \"TFL3\"", String::from_utf8_lossy(&bytes[4..8]));
        }
        let root = fb.root()?;
        // Model: operator_codes 1, subgraphs 2, buffers 4.
        let codes: Vec<i32> = fb
            .tables(root, 1)?
            .into_iter()
            .map(|t| -> Result<i32> {
                // OperatorCode: deprecated_builtin_code 0 (i8), builtin_code 3 (i32).
                let old = fb.scalar::<1>(t, 0)?.map_or(0, |b| i8::from_le_bytes(b) as i32);
                let new = fb.scalar::<4>(t, 3)?.map_or(0, i32::from_le_bytes);
                Ok(old.max(new))
            })
            .collect::<Result<_>>()?;
        let buffers = fb.tables(root, 4)?;
        let subgraphs = fb.tables(root, 2)?;
        let Some(&graph) = subgraphs.first() else { bail!("the model has no subgraph") };

        let mut tensors = Vec::new();
        for (i, t) in fb.tables(graph, 0)?.into_iter().enumerate() {
            tensors.push(read_tensor(&fb, t, &buffers).with_context(|| format!("tensor {i}"))?);
        }
        let mut operators = Vec::new();
        for (i, o) in fb.tables(graph, 3)?.into_iter().enumerate() {
            // Operator: opcode_index 0, inputs 1, outputs 2.
            let index = fb.scalar::<4>(o, 0)?.map_or(0, u32::from_le_bytes) as usize;
            let code = *codes.get(index).with_context(|| format!("operator {i}: opcode index {index} out of range"))?;
            let inputs = fb.i32s(o, 1)?;
            let outputs = fb.i32s(o, 2)?;
            for &t in inputs.iter().chain(&outputs) {
                ensure!(t < tensors.len() as i32, "operator {i} names tensor {t} of {}", tensors.len());
            }
            operators.push(Operator { code, inputs, outputs });
        }
        Ok(Self { tensors, operators })
    }

    /// The tensor an operator's input `k` names.
    pub fn input(&self, op: &Operator, k: usize) -> Result<&Tensor> {
        let i = *op.inputs.get(k).with_context(|| format!("operator has no input {k}"))?;
        ensure!(i >= 0, "operator input {k} is left out");
        Ok(&self.tensors[i as usize])
    }
}

fn read_tensor(fb: &Fb, t: Table, buffers: &[Table]) -> Result<Tensor> {
    // Tensor: shape 0, type 1, buffer 2, name 3, quantization 4.
    let shape = fb.i32s(t, 0)?.into_iter().map(|d| usize::try_from(d).context("negative dimension")).collect::<Result<Vec<_>>>()?;
    let dtype = fb.scalar::<1>(t, 1)?.map_or(0, |b| b[0]);
    let buffer = fb.scalar::<4>(t, 2)?.map_or(0, u32::from_le_bytes) as usize;
    let name = fb.string(t, 3)?.unwrap_or_default();
    let raw: &[u8] = match buffers.get(buffer) {
        // Buffer: data 0 (ubyte vector). Buffer 0 is the empty sentinel.
        Some(&b) if buffer != 0 => fb.bytes(b, 0)?,
        _ => &[],
    };
    let (scale, zero_point, axis) = match fb.table(t, 4)? {
        // QuantizationParameters: scale 2 (f32s), zero_point 3 (i64s), quantized_dimension 6.
        Some(q) => (fb.f32s(q, 2)?, fb.i64s(q, 3)?, fb.scalar::<4>(q, 6)?.map_or(0, i32::from_le_bytes) as usize),
        None => (Vec::new(), Vec::new(), 0),
    };
    let count: usize = shape.iter().product();
    let data = if raw.is_empty() {
        Vec::new()
    } else {
        // TensorType: FLOAT32 0, INT32 2, UINT8 3, INT8 9.
        let q: Vec<f64> = match dtype {
            0 => return decode(raw, count, 4, &name).map(|_| Tensor { data: f32s(raw), shape, name }),
            2 => decode(raw, count, 4, &name)?.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f64).collect(),
            3 => decode(raw, count, 1, &name)?.iter().map(|&b| b as f64).collect(),
            9 => decode(raw, count, 1, &name)?.iter().map(|&b| b as i8 as f64).collect(),
            other => bail!("tensor '{name}': type {other} is not read here (float32, int32, uint8, int8 are)"),
        };
        dequantize(&q, &shape, &scale, &zero_point, axis).with_context(|| format!("tensor '{name}'"))?
    };
    Ok(Tensor { name, shape, data })
}

fn decode<'a>(raw: &'a [u8], count: usize, size: usize, name: &str) -> Result<&'a [u8]> {
    ensure!(raw.len() == count * size, "tensor '{name}': {} bytes of data for {count} elements of {size} bytes", raw.len());
    Ok(raw)
}

fn f32s(raw: &[u8]) -> Vec<f32> {
    raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
}

/// `(q - zero_point) * scale`, with one scale per slice along `axis` when there are
/// several.
fn dequantize(q: &[f64], shape: &[usize], scale: &[f32], zero: &[i64], axis: usize) -> Result<Vec<f32>> {
    if scale.is_empty() {
        // Plain integers (shapes, axes): their values as they are.
        return Ok(q.iter().map(|&v| v as f32).collect());
    }
    let channels = scale.len();
    if channels == 1 {
        let (s, z) = (scale[0] as f64, zero.first().copied().unwrap_or(0) as f64);
        return Ok(q.iter().map(|&v| ((v - z) * s) as f32).collect());
    }
    ensure!(axis < shape.len() && shape[axis] == channels, "{channels} scales for axis {axis} of shape {shape:?}");
    let inner: usize = shape[axis + 1..].iter().product();
    Ok(q.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = (i / inner) % channels;
            ((v - zero.get(c).copied().unwrap_or(0) as f64) * scale[c] as f64) as f32
        })
        .collect())
}

#[derive(Clone, Copy)]
struct Table {
    pos: usize,
}

/// Bounds-checked FlatBuffer access.
struct Fb<'a>(&'a [u8]);

impl<'a> Fb<'a> {
    fn get<const N: usize>(&self, pos: usize) -> Result<[u8; N]> {
        let end = pos.checked_add(N).context("offset overflow")?;
        let s = self.0.get(pos..end).with_context(|| format!("offset {pos} past the end ({} bytes)", self.0.len()))?;
        Ok(s.try_into().unwrap())
    }

    fn u32(&self, pos: usize) -> Result<usize> {
        Ok(u32::from_le_bytes(self.get(pos)?) as usize)
    }

    /// Follows the `u32` offset stored at `pos`.
    fn follow(&self, pos: usize) -> Result<usize> {
        pos.checked_add(self.u32(pos)?).context("offset overflow")
    }

    fn root(&self) -> Result<Table> {
        Ok(Table { pos: self.follow(0)? })
    }

    /// Absolute position of field `id` of table `t`, if present.
    fn field(&self, t: Table, id: usize) -> Result<Option<usize>> {
        let back = i32::from_le_bytes(self.get(t.pos)?) as i64;
        let vtable = usize::try_from(t.pos as i64 - back).context("vtable offset out of range")?;
        let vlen = u16::from_le_bytes(self.get(vtable)?) as usize;
        let slot = 4 + 2 * id;
        if slot + 2 > vlen {
            return Ok(None);
        }
        let off = u16::from_le_bytes(self.get(vtable + slot)?) as usize;
        Ok((off != 0).then_some(t.pos + off))
    }

    fn scalar<const N: usize>(&self, t: Table, id: usize) -> Result<Option<[u8; N]>> {
        self.field(t, id)?.map(|p| self.get::<N>(p)).transpose()
    }

    fn table(&self, t: Table, id: usize) -> Result<Option<Table>> {
        Ok(match self.field(t, id)? {
            Some(p) => Some(Table { pos: self.follow(p)? }),
            None => None,
        })
    }

    /// `(start of elements, length)` of vector field `id`.
    fn vector(&self, t: Table, id: usize, elem: usize) -> Result<Option<(usize, usize)>> {
        let Some(p) = self.field(t, id)? else { return Ok(None) };
        let v = self.follow(p)?;
        let len = self.u32(v)?;
        let end = len.checked_mul(elem).and_then(|b| b.checked_add(v + 4)).context("vector length overflow")?;
        ensure!(end <= self.0.len(), "vector at {v} of {len} elements runs past the end");
        Ok(Some((v + 4, len)))
    }

    fn tables(&self, t: Table, id: usize) -> Result<Vec<Table>> {
        let Some((start, len)) = self.vector(t, id, 4)? else { return Ok(Vec::new()) };
        (0..len).map(|i| Ok(Table { pos: self.follow(start + 4 * i)? })).collect()
    }

    fn bytes(&self, t: Table, id: usize) -> Result<&'a [u8]> {
        Ok(match self.vector(t, id, 1)? {
            Some((start, len)) => &self.0[start..start + len],
            None => &[],
        })
    }

    fn i32s(&self, t: Table, id: usize) -> Result<Vec<i32>> {
        let Some((start, len)) = self.vector(t, id, 4)? else { return Ok(Vec::new()) };
        (0..len).map(|i| Ok(i32::from_le_bytes(self.get(start + 4 * i)?))).collect()
    }

    fn f32s(&self, t: Table, id: usize) -> Result<Vec<f32>> {
        let Some((start, len)) = self.vector(t, id, 4)? else { return Ok(Vec::new()) };
        (0..len).map(|i| Ok(f32::from_le_bytes(self.get(start + 4 * i)?))).collect()
    }

    fn i64s(&self, t: Table, id: usize) -> Result<Vec<i64>> {
        let Some((start, len)) = self.vector(t, id, 8)? else { return Ok(Vec::new()) };
        (0..len).map(|i| Ok(i64::from_le_bytes(self.get(start + 8 * i)?))).collect()
    }

    fn string(&self, t: Table, id: usize) -> Result<Option<String>> {
        Ok(self.vector(t, id, 1)?.map(|(start, len)| String::from_utf8_lossy(&self.0[start..start + len]).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_tflite() {
        assert!(Model::parse(b"short").unwrap_err().to_string().contains("too short"));
        let err = Model::parse(b"\x08\0\0\0ONNXxxxxxxxx").unwrap_err().to_string();
        assert!(err.contains("TFL3"), "{err}");
        // Right identifier, root offset pointing past the end.
        let err = format!("{:#}", Model::parse(b"\xff\xff\0\0TFL3").unwrap_err());
        assert!(err.contains("past the end"), "{err}");
    }

    #[test]
    fn dequantizes_per_tensor_and_per_channel() {
        let q = [0.0, 128.0, 255.0];
        assert_eq!(dequantize(&q, &[3], &[0.5], &[128], 0).unwrap(), vec![-64.0, 0.0, 63.5]);
        let q = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(dequantize(&q, &[2, 2], &[1.0, 10.0], &[0, 1], 0).unwrap(), vec![1.0, 2.0, 20.0, 30.0]);
        assert_eq!(dequantize(&q, &[4], &[], &[], 0).unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
        assert!(dequantize(&q, &[4], &[1.0, 2.0], &[0, 0], 0).is_err());
    }
}
