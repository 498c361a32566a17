//! A minimal reader of the protobuf wire format for the parts of `onnx.proto` a
//! feed-forward network needs: `ModelProto`, `GraphProto`, `NodeProto`,
//! `TensorProto`, `AttributeProto`, `ValueInfoProto` (field numbers from
//! `onnx/onnx.proto3`). Unknown fields are skipped by wire type, as protobuf
//! requires; truncation, bad varints, group wire types, bad UTF-8 and packed
//! arrays whose length is not a multiple of the element size are errors that
//! name the byte offset and the message field being decoded.

/// A decoding failure: byte offset, message field, description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// Offset from the start of the file.
    pub offset: usize,
    /// `Message.field` being decoded.
    pub context: String,
    /// What was wrong.
    pub what: String,
}

type R<T> = std::result::Result<T, WireError>;

/// ONNX `TensorProto.DataType` values tosim reads.
pub mod dtype {
    /// 32-bit float.
    pub const FLOAT: i32 = 1;
    /// Unsigned 8-bit.
    pub const UINT8: i32 = 2;
    /// Signed 8-bit.
    pub const INT8: i32 = 3;
    /// Signed 32-bit.
    pub const INT32: i32 = 6;
    /// Signed 64-bit.
    pub const INT64: i32 = 7;
    /// String.
    pub const STRING: i32 = 8;
    /// 64-bit float.
    pub const DOUBLE: i32 = 11;
}

/// `ModelProto` (the fields tosim uses).
#[derive(Debug, Clone, Default)]
pub struct ModelProto {
    /// `ir_version` (1).
    pub ir_version: i64,
    /// `producer_name` (2).
    pub producer_name: String,
    /// `opset_import` (8): (domain, version).
    pub opset_import: Vec<(String, i64)>,
    /// `graph` (7).
    pub graph: Option<GraphProto>,
}

/// `GraphProto`.
#[derive(Debug, Clone, Default)]
pub struct GraphProto {
    /// `name` (2).
    pub name: String,
    /// `node` (1), in file order (topologically sorted by the ONNX spec).
    pub nodes: Vec<NodeProto>,
    /// `initializer` (5).
    pub initializers: Vec<TensorProto>,
    /// `input` (11).
    pub inputs: Vec<ValueInfoProto>,
    /// `output` (12).
    pub outputs: Vec<ValueInfoProto>,
}

/// `NodeProto`.
#[derive(Debug, Clone, Default)]
pub struct NodeProto {
    /// `input` (1).
    pub inputs: Vec<String>,
    /// `output` (2).
    pub outputs: Vec<String>,
    /// `name` (3).
    pub name: String,
    /// `op_type` (4).
    pub op_type: String,
    /// `domain` (7).
    pub domain: String,
    /// `attribute` (5).
    pub attributes: Vec<AttributeProto>,
}

/// `AttributeProto` (scalar, list and tensor values).
#[derive(Debug, Clone, Default)]
pub struct AttributeProto {
    /// `name` (1).
    pub name: String,
    /// `type` (20): 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS, 8 STRINGS…
    pub kind: i32,
    /// `f` (2).
    pub f: f32,
    /// `i` (3).
    pub i: i64,
    /// `s` (4).
    pub s: Vec<u8>,
    /// `t` (5).
    pub t: Option<TensorProto>,
    /// `floats` (7).
    pub floats: Vec<f32>,
    /// `ints` (8).
    pub ints: Vec<i64>,
}

/// `TensorProto`.
#[derive(Debug, Clone, Default)]
pub struct TensorProto {
    /// `dims` (1).
    pub dims: Vec<i64>,
    /// `data_type` (2).
    pub data_type: i32,
    /// `float_data` (4).
    pub float_data: Vec<f32>,
    /// `int32_data` (5).
    pub int32_data: Vec<i32>,
    /// `int64_data` (7).
    pub int64_data: Vec<i64>,
    /// `name` (8).
    pub name: String,
    /// `raw_data` (9), little endian.
    pub raw_data: Vec<u8>,
    /// `double_data` (10).
    pub double_data: Vec<f64>,
    /// `data_location` (14): 1 means external data, which tosim does not read.
    pub data_location: i32,
    /// Whether `external_data` (13) entries are present.
    pub has_external_data: bool,
    /// Whether `segment` (3) is present (segmented tensors are not read).
    pub has_segment: bool,
}

/// `ValueInfoProto` with its tensor type flattened.
#[derive(Debug, Clone, Default)]
pub struct ValueInfoProto {
    /// `name` (1).
    pub name: String,
    /// `type.tensor_type.elem_type`, 0 if absent.
    pub elem_type: i32,
    /// `type.tensor_type.shape.dim`: `Some(n)` for `dim_value`, `None` for a
    /// symbolic or absent dimension. `None` for the whole when no shape is given.
    pub shape: Option<Vec<Option<i64>>>,
}

/// A cursor over a byte slice that knows its absolute offset in the file.
struct Cur<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
    ctx: &'static str,
}

/// Wire types.
const VARINT: u32 = 0;
const I64: u32 = 1;
const LEN: u32 = 2;
const I32: u32 = 5;

impl<'a> Cur<'a> {
    fn new(buf: &'a [u8], base: usize, ctx: &'static str) -> Self {
        Cur { buf, pos: 0, base, ctx }
    }

    fn err(&self, field: &str, what: impl Into<String>) -> WireError {
        let context = if field.is_empty() { self.ctx.to_string() } else { format!("{}.{}", self.ctx, field) };
        WireError { offset: self.base + self.pos, context, what: what.into() }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self, field: &str) -> R<u64> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.err(field, "truncated varint"));
            };
            self.pos += 1;
            if i == 9 && b > 1 {
                return Err(self.err(field, "varint longer than 64 bits"));
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err(field, "varint longer than 10 bytes"))
    }

    fn fixed<const N: usize>(&mut self, field: &str) -> R<[u8; N]> {
        let end = self.pos + N;
        let Some(s) = self.buf.get(self.pos..end) else {
            return Err(self.err(field, format!("truncated {}-byte fixed value", N)));
        };
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        self.pos = end;
        Ok(a)
    }

    /// A length-delimited payload; returns (slice, absolute offset of its first byte).
    fn bytes(&mut self, field: &str) -> R<(&'a [u8], usize)> {
        let at = self.pos;
        let len = self.varint(field)?;
        let avail = self.buf.len() - self.pos;
        if len > avail as u64 {
            let mut e = self.err(field, format!("length {len} runs past the end ({avail} bytes left)"));
            e.offset = self.base + at;
            return Err(e);
        }
        let start = self.pos;
        self.pos += len as usize;
        Ok((&self.buf[start..self.pos], self.base + start))
    }

    fn string(&mut self, field: &str) -> R<String> {
        let (b, at) = self.bytes(field)?;
        String::from_utf8(b.to_vec()).map_err(|e| WireError {
            offset: at + e.utf8_error().valid_up_to(),
            context: format!("{}.{}", self.ctx, field),
            what: "invalid UTF-8".into(),
        })
    }

    /// Reads a tag; returns (field number, wire type).
    fn tag(&mut self) -> R<(u32, u32)> {
        let t = self.varint("tag")?;
        let field = t >> 3;
        let wt = (t & 7) as u32;
        if field == 0 || field > u64::from(u32::MAX >> 3) {
            return Err(self.err("", format!("invalid field number {field}")));
        }
        if !matches!(wt, VARINT | I64 | LEN | I32) {
            return Err(self.err("", format!("unsupported wire type {wt} (field {field})")));
        }
        Ok((field as u32, wt))
    }

    fn skip(&mut self, wt: u32, field: u32) -> R<()> {
        let f = format!("field{field}");
        match wt {
            VARINT => self.varint(&f).map(|_| ()),
            I64 => self.fixed::<8>(&f).map(|_| ()),
            I32 => self.fixed::<4>(&f).map(|_| ()),
            _ => self.bytes(&f).map(|_| ()),
        }
    }

    fn expect(&self, wt: u32, want: u32, field: &str) -> R<()> {
        if wt == want {
            Ok(())
        } else {
            Err(self.err(field, format!("wire type {wt}, expected {want}")))
        }
    }

    /// A repeated varint field, packed or not.
    fn rep_varint(&mut self, wt: u32, field: &str, out: &mut Vec<i64>) -> R<()> {
        if wt == LEN {
            let (b, at) = self.bytes(field)?;
            let mut c = Cur { buf: b, pos: 0, base: at, ctx: self.ctx };
            while !c.done() {
                out.push(c.varint(field)? as i64);
            }
            Ok(())
        } else {
            self.expect(wt, VARINT, field)?;
            out.push(self.varint(field)? as i64);
            Ok(())
        }
    }

    /// A repeated fixed-size field (float, double), packed or not.
    fn rep_fixed<const N: usize, T>(&mut self, wt: u32, field: &str, out: &mut Vec<T>, f: fn([u8; N]) -> T) -> R<()> {
        if wt == LEN {
            let (b, _) = self.bytes(field)?;
            if b.len() % N != 0 {
                return Err(self.err(field, format!("packed length {} is not a multiple of {N}", b.len())));
            }
            out.extend(b.chunks_exact(N).map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                f(a)
            }));
            Ok(())
        } else {
            self.expect(wt, if N == 4 { I32 } else { I64 }, field)?;
            out.push(f(self.fixed::<N>(field)?));
            Ok(())
        }
    }

    fn sub(&mut self, field: &str, ctx: &'static str) -> R<Cur<'a>> {
        let (b, at) = self.bytes(field)?;
        Ok(Cur::new(b, at, ctx))
    }
}

/// Decodes a whole `.onnx` file.
pub fn parse_model(buf: &[u8]) -> R<ModelProto> {
    let mut c = Cur::new(buf, 0, "ModelProto");
    let mut m = ModelProto::default();
    while !c.done() {
        let (field, wt) = c.tag()?;
        match field {
            1 => {
                c.expect(wt, VARINT, "ir_version")?;
                m.ir_version = c.varint("ir_version")? as i64;
            }
            2 => {
                c.expect(wt, LEN, "producer_name")?;
                m.producer_name = c.string("producer_name")?;
            }
            7 => {
                c.expect(wt, LEN, "graph")?;
                let mut s = c.sub("graph", "GraphProto")?;
                m.graph = Some(parse_graph(&mut s)?);
            }
            8 => {
                c.expect(wt, LEN, "opset_import")?;
                let mut s = c.sub("opset_import", "OperatorSetIdProto")?;
                let (mut domain, mut version) = (String::new(), 0i64);
                while !s.done() {
                    let (f, w) = s.tag()?;
                    match f {
                        1 => {
                            s.expect(w, LEN, "domain")?;
                            domain = s.string("domain")?;
                        }
                        2 => {
                            s.expect(w, VARINT, "version")?;
                            version = s.varint("version")? as i64;
                        }
                        _ => s.skip(w, f)?,
                    }
                }
                m.opset_import.push((domain, version));
            }
            _ => c.skip(wt, field)?,
        }
    }
    Ok(m)
}

fn parse_graph(c: &mut Cur) -> R<GraphProto> {
    let mut g = GraphProto::default();
    while !c.done() {
        let (field, wt) = c.tag()?;
        match field {
            1 => {
                c.expect(wt, LEN, "node")?;
                let mut s = c.sub("node", "NodeProto")?;
                g.nodes.push(parse_node(&mut s)?);
            }
            2 => {
                c.expect(wt, LEN, "name")?;
                g.name = c.string("name")?;
            }
            5 => {
                c.expect(wt, LEN, "initializer")?;
                let mut s = c.sub("initializer", "TensorProto")?;
                g.initializers.push(parse_tensor(&mut s)?);
            }
            11 | 12 => {
                let name = if field == 11 { "input" } else { "output" };
                c.expect(wt, LEN, name)?;
                let mut s = c.sub(name, "ValueInfoProto")?;
                let v = parse_value_info(&mut s)?;
                if field == 11 {
                    g.inputs.push(v);
                } else {
                    g.outputs.push(v);
                }
            }
            _ => c.skip(wt, field)?,
        }
    }
    Ok(g)
}

fn parse_node(c: &mut Cur) -> R<NodeProto> {
    let mut n = NodeProto::default();
    while !c.done() {
        let (field, wt) = c.tag()?;
        match field {
            1 => {
                c.expect(wt, LEN, "input")?;
                n.inputs.push(c.string("input")?);
            }
            2 => {
                c.expect(wt, LEN, "output")?;
                n.outputs.push(c.string("output")?);
            }
            3 => {
                c.expect(wt, LEN, "name")?;
                n.name = c.string("name")?;
            }
            4 => {
                c.expect(wt, LEN, "op_type")?;
                n.op_type = c.string("op_type")?;
            }
            7 => {
                c.expect(wt, LEN, "domain")?;
                n.domain = c.string("domain")?;
            }
            5 => {
                c.expect(wt, LEN, "attribute")?;
                let mut s = c.sub("attribute", "AttributeProto")?;
                n.attributes.push(parse_attribute(&mut s)?);
            }
            _ => c.skip(wt, field)?,
        }
    }
    Ok(n)
}

fn parse_attribute(c: &mut Cur) -> R<AttributeProto> {
    let mut a = AttributeProto::default();
    while !c.done() {
        let (field, wt) = c.tag()?;
        match field {
            1 => {
                c.expect(wt, LEN, "name")?;
                a.name = c.string("name")?;
            }
            20 => {
                c.expect(wt, VARINT, "type")?;
                a.kind = c.varint("type")? as i32;
            }
            2 => {
                c.expect(wt, I32, "f")?;
                a.f = f32::from_le_bytes(c.fixed::<4>("f")?);
            }
            3 => {
                c.expect(wt, VARINT, "i")?;
                a.i = c.varint("i")? as i64;
            }
            4 => {
                c.expect(wt, LEN, "s")?;
                a.s = c.bytes("s")?.0.to_vec();
            }
            5 => {
                c.expect(wt, LEN, "t")?;
                let mut s = c.sub("t", "TensorProto")?;
                a.t = Some(parse_tensor(&mut s)?);
            }
            7 => c.rep_fixed::<4, f32>(wt, "floats", &mut a.floats, f32::from_le_bytes)?,
            8 => c.rep_varint(wt, "ints", &mut a.ints)?,
            _ => c.skip(wt, field)?,
        }
    }
    Ok(a)
}

fn parse_tensor(c: &mut Cur) -> R<TensorProto> {
    let mut t = TensorProto::default();
    while !c.done() {
        let (field, wt) = c.tag()?;
        match field {
            1 => c.rep_varint(wt, "dims", &mut t.dims)?,
            2 => {
                c.expect(wt, VARINT, "data_type")?;
                t.data_type = c.varint("data_type")? as i32;
            }
            3 => {
                t.has_segment = true;
                c.skip(wt, field)?;
            }
            4 => c.rep_fixed::<4, f32>(wt, "float_data", &mut t.float_data, f32::from_le_bytes)?,
            5 => {
                let mut v = Vec::new();
                c.rep_varint(wt, "int32_data", &mut v)?;
                // int32 fields are varint-encoded int64 sign extensions; truncate as protobuf does.
                t.int32_data.extend(v.into_iter().map(|x| x as i32));
            }
            7 => c.rep_varint(wt, "int64_data", &mut t.int64_data)?,
            8 => {
                c.expect(wt, LEN, "name")?;
                t.name = c.string("name")?;
            }
            9 => {
                c.expect(wt, LEN, "raw_data")?;
                t.raw_data = c.bytes("raw_data")?.0.to_vec();
            }
            10 => c.rep_fixed::<8, f64>(wt, "double_data", &mut t.double_data, f64::from_le_bytes)?,
            13 => {
                t.has_external_data = true;
                c.skip(wt, field)?;
            }
            14 => {
                c.expect(wt, VARINT, "data_location")?;
                t.data_location = c.varint("data_location")? as i32;
            }
            _ => c.skip(wt, field)?,
        }
    }
    Ok(t)
}

fn parse_value_info(c: &mut Cur) -> R<ValueInfoProto> {
    let mut v = ValueInfoProto::default();
    while !c.done() {
        let (field, wt) = c.tag()?;
        match field {
            1 => {
                c.expect(wt, LEN, "name")?;
                v.name = c.string("name")?;
            }
            2 => {
                c.expect(wt, LEN, "type")?;
                let mut tp = c.sub("type", "TypeProto")?;
                while !tp.done() {
                    let (f, w) = tp.tag()?;
                    if f != 1 {
                        tp.skip(w, f)?;
                        continue;
                    }
                    tp.expect(w, LEN, "tensor_type")?;
                    let mut tt = tp.sub("tensor_type", "TypeProto.Tensor")?;
                    while !tt.done() {
                        let (f, w) = tt.tag()?;
                        match f {
                            1 => {
                                tt.expect(w, VARINT, "elem_type")?;
                                v.elem_type = tt.varint("elem_type")? as i32;
                            }
                            2 => {
                                tt.expect(w, LEN, "shape")?;
                                let mut sh = tt.sub("shape", "TensorShapeProto")?;
                                let mut dims = Vec::new();
                                while !sh.done() {
                                    let (f, w) = sh.tag()?;
                                    if f != 1 {
                                        sh.skip(w, f)?;
                                        continue;
                                    }
                                    sh.expect(w, LEN, "dim")?;
                                    let mut d = sh.sub("dim", "TensorShapeProto.Dimension")?;
                                    let mut value = None;
                                    while !d.done() {
                                        let (f, w) = d.tag()?;
                                        if f == 1 {
                                            d.expect(w, VARINT, "dim_value")?;
                                            value = Some(d.varint("dim_value")? as i64);
                                        } else {
                                            d.skip(w, f)?;
                                        }
                                    }
                                    dims.push(value);
                                }
                                v.shape = Some(dims);
                            }
                            _ => tt.skip(w, f)?,
                        }
                    }
                }
            }
            _ => c.skip(wt, field)?,
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-encoded: field 1 varint 7 (ir_version), field 2 "ab" (producer_name).
    #[test]
    fn decodes_scalars_and_strings() {
        let m = parse_model(&[0x08, 0x07, 0x12, 0x02, b'a', b'b']).unwrap();
        assert_eq!(m.ir_version, 7);
        assert_eq!(m.producer_name, "ab");
        assert!(m.graph.is_none());
    }

    #[test]
    fn truncation_and_bad_wire_types_are_errors() {
        // Length 5 but only 2 bytes follow.
        let e = parse_model(&[0x12, 0x05, b'a', b'b']).unwrap_err();
        assert_eq!(e.offset, 1);
        assert!(e.what.contains("runs past the end"), "{e:?}");
        // Wire type 3 (start group) for field 1.
        let e = parse_model(&[0x0b]).unwrap_err();
        assert!(e.what.contains("wire type 3"), "{e:?}");
        // Truncated varint.
        let e = parse_model(&[0x08, 0x80]).unwrap_err();
        assert!(e.what.contains("truncated varint"), "{e:?}");
    }

    #[test]
    fn packed_floats_must_be_whole() {
        // TensorProto.float_data (4), packed, 5 bytes: not a multiple of 4.
        let mut c = Cur::new(&[0x22, 0x05, 0, 0, 0x80, 0x3f, 0], 0, "TensorProto");
        let e = parse_tensor(&mut c).unwrap_err();
        assert!(e.what.contains("not a multiple of 4"), "{e:?}");
        // 4 bytes: 1.0f32 little endian.
        let mut c = Cur::new(&[0x22, 0x04, 0, 0, 0x80, 0x3f], 0, "TensorProto");
        assert_eq!(parse_tensor(&mut c).unwrap().float_data, vec![1.0]);
    }
}
