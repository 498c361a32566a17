//! ONNX graph → [`Network`]: walks the nodes in file order (ONNX requires a
//! topological order) along the one feature path from the graph input.
//!
//! Feature path operators: `Gemm`, `MatMul` (+ `Add` bias), `Relu`, `LeakyRelu`,
//! `Sigmoid`, `Tanh`, `Softmax`, `BatchNormalization`, `Flatten`, `Reshape`,
//! `Identity`, `Cast` (to float), `Constant`. Label post-processing as skl2onnx
//! writes it (`ArgMax` → `ArrayFeatureExtractor` → `Reshape` → `Cast`) is
//! recognised and turned into [`Network::classes`]. Anything else is
//! [`NnError::UnsupportedOp`] naming the operator and its node.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{NnError, Result};
use crate::model::{Activation, BatchNorm, Dense, Layer, LayerKind, Network};
use crate::proto::{self, dtype, AttributeProto, NodeProto, TensorProto};

/// Reads an `.onnx` file.
pub fn load_onnx(path: &Path) -> Result<Network> {
    let bytes = std::fs::read(path).map_err(|source| NnError::Io { path: path.to_path_buf(), source })?;
    parse_onnx(&bytes, path)
}

/// Builds a network from the bytes of an `.onnx` file; `path` names it in errors.
pub fn parse_onnx(bytes: &[u8], path: &Path) -> Result<Network> {
    if bytes.is_empty() {
        return Err(NnError::EmptyFile { path: path.to_path_buf() });
    }
    let m = proto::parse_model(bytes).map_err(|e| NnError::CorruptOnnx {
        path: path.to_path_buf(),
        offset: e.offset,
        context: e.context,
        what: e.what,
    })?;
    let invalid = |what: String| NnError::InvalidModel { path: path.to_path_buf(), what };
    let Some(g) = m.graph.as_ref() else {
        return Err(invalid("no graph (is this an ONNX model file?)".into()));
    };
    let opset = m.opset_import.iter().find(|(d, _)| d.is_empty() || d == "ai.onnx").map_or(1, |(_, v)| *v);
    let mut b = Builder { path, opset, inits: BTreeMap::new(), layers: Vec::new() };
    for t in &g.initializers {
        b.inits.insert(t.name.clone(), t.clone());
    }
    let inputs: Vec<_> = g.inputs.iter().filter(|v| !b.inits.contains_key(&v.name)).collect();
    let input = match inputs.as_slice() {
        [one] => *one,
        [] => return Err(invalid("the graph has no input".into())),
        many => {
            return Err(invalid(format!(
                "the graph has {} inputs ({}); tosim runs single-input networks",
                many.len(),
                many.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")
            )))
        }
    };
    // Per-sample shape: the input's dimensions after the batch axis, when all are known.
    let mut shape: Option<Vec<usize>> = match &input.shape {
        Some(d) if d.len() >= 2 && d[1..].iter().all(|x| matches!(x, Some(v) if *v > 0)) => {
            Some(d[1..].iter().map(|x| x.unwrap_or(0) as usize).collect())
        }
        _ => None,
    };
    let mut input_shape = shape.clone();
    let mut cur = input.name.clone();
    // Values of the label path: name → Some(classes) after ArrayFeatureExtractor, None after ArgMax.
    let mut post: BTreeMap<String, Option<Vec<i64>>> = BTreeMap::new();
    let mut classes = None;
    let mut pending_matmul = false;

    for (idx, n) in g.nodes.iter().enumerate() {
        let name = if n.name.is_empty() { format!("{}#{idx}", n.op_type) } else { n.name.clone() };
        let bad = |what: String| NnError::BadNode {
            path: path.to_path_buf(),
            node: name.clone(),
            op_type: n.op_type.clone(),
            what,
        };
        let domain_ok = n.domain.is_empty() || n.domain == "ai.onnx";
        let first = n.inputs.first().map(String::as_str).unwrap_or("");
        let out = n.outputs.first().cloned().ok_or_else(|| bad("node has no output".into()))?;

        // Label post-processing.
        if let Some(v) = post.get(first).cloned() {
            match (n.op_type.as_str(), domain_ok) {
                ("Reshape" | "Cast" | "Identity", true) => {
                    post.insert(out, v);
                    continue;
                }
                _ => return Err(unsupported(path, n, &name)),
            }
        }
        if n.op_type == "ArrayFeatureExtractor" && n.domain == "ai.onnx.ml" {
            let idx_in = n.inputs.get(1).map(String::as_str).unwrap_or("");
            if post.get(idx_in) != Some(&None) {
                return Err(bad("only ArrayFeatureExtractor(classes, ArgMax(...)) is supported".into()));
            }
            let t = b.init(first).ok_or_else(|| bad(format!("classes {first:?} is not an initializer")))?;
            let c = int_values(t).map_err(|w| bad(format!("classes {first:?}: {w}")))?;
            classes = Some(c.clone());
            post.insert(out, Some(c));
            continue;
        }
        if !domain_ok {
            return Err(unsupported(path, n, &name));
        }
        if n.op_type == "Constant" {
            let a = attr(n, "value").ok_or_else(|| bad("Constant without a tensor `value`".into()))?;
            let mut t = a.t.clone().ok_or_else(|| bad("Constant `value` is not a tensor".into()))?;
            t.name = out.clone();
            b.inits.insert(out, t);
            continue;
        }
        if n.op_type == "ArgMax" {
            if first != cur {
                return Err(bad(format!("input {first:?} is not the network output {cur:?}")));
            }
            let axis = attr_i(n, "axis", 0);
            if axis != 1 && axis != -1 {
                return Err(bad(format!("ArgMax over axis {axis}; only the class axis (1) is supported")));
            }
            post.insert(out, None);
            continue;
        }
        // Everything else is on the feature path and must consume the current value.
        let is_feature_op = matches!(
            n.op_type.as_str(),
            "Gemm"
                | "MatMul"
                | "Add"
                | "Relu"
                | "LeakyRelu"
                | "Sigmoid"
                | "Tanh"
                | "Softmax"
                | "BatchNormalization"
                | "Flatten"
                | "Reshape"
                | "Identity"
                | "Cast"
        );
        if !is_feature_op {
            return Err(unsupported(path, n, &name));
        }
        let feature_inputs: Vec<&String> = n.inputs.iter().filter(|i| !i.is_empty() && b.init(i).is_none()).collect();
        if feature_inputs.len() != 1 || *feature_inputs[0] != cur {
            return Err(bad(format!(
                "inputs {:?}: expected exactly one non-constant input, the output {cur:?} of the previous layer \
                 (branching graphs are not supported)",
                n.inputs
            )));
        }
        let was_matmul = std::mem::replace(&mut pending_matmul, false);
        match n.op_type.as_str() {
            "Identity" => {}
            "Cast" => {
                let to = attr_i(n, "to", 0);
                if to != i64::from(dtype::FLOAT) && to != i64::from(dtype::DOUBLE) {
                    return Err(bad(format!("Cast to data type {to} on the feature path (only float is supported)")));
                }
            }
            "Flatten" => {
                let axis = attr_i(n, "axis", 1);
                if axis != 1 {
                    return Err(bad(format!(
                        "Flatten with axis {axis}; only axis 1 (keep the batch axis) is supported"
                    )));
                }
                shape = shape.map(|s| vec![s.iter().product()]);
            }
            "Reshape" => {
                let sname = n.inputs.get(1).map(String::as_str).unwrap_or("");
                let t = b.init(sname).ok_or_else(|| bad(format!("shape {sname:?} is not a constant")))?;
                let dims = int_values(t).map_err(|w| bad(format!("shape {sname:?}: {w}")))?;
                let ok = dims.len() >= 2 && (dims[0] == 0 || dims[0] == -1) && dims[1..].iter().all(|&d| d > 0);
                if !ok {
                    return Err(bad(format!(
                        "target shape {dims:?}; only [-1 or 0, d1, d2, …] with known d's (keep the batch axis) is supported"
                    )));
                }
                let new: Vec<usize> = dims[1..].iter().map(|&d| d as usize).collect();
                let width: usize = new.iter().product();
                match &shape {
                    Some(s) if s.iter().product::<usize>() != width => {
                        return Err(bad(format!(
                            "reshapes {s:?} ({} values) to {new:?} ({width})",
                            s.iter().product::<usize>()
                        )));
                    }
                    None if input_shape.is_none() && b.layers.is_empty() => input_shape = Some(vec![width]),
                    _ => {}
                }
                shape = Some(new);
            }
            "MatMul" | "Gemm" => {
                let (w_name, c_name) = (n.inputs.get(1).map(String::as_str).unwrap_or(""), n.inputs.get(2));
                if first != cur {
                    return Err(bad("the data must be the first operand (x·W), not the second".into()));
                }
                let wt = b.init(w_name).ok_or_else(|| bad(format!("weights {w_name:?} are not an initializer")))?;
                let w = float_values(wt).map_err(|e| bad(format!("weights {w_name:?}: {e}")))?;
                if wt.dims.len() != 2 {
                    return Err(bad(format!("weights {w_name:?} have shape {:?}; a 2-D matrix is required", wt.dims)));
                }
                let (alpha, beta, trans_b) = if n.op_type == "Gemm" {
                    if attr_i(n, "transA", 0) != 0 {
                        return Err(bad("transA=1 is not supported".into()));
                    }
                    (attr_f(n, "alpha", 1.0), attr_f(n, "beta", 1.0), attr_i(n, "transB", 0) != 0)
                } else {
                    (1.0, 1.0, false)
                };
                let (r, c) = (wt.dims[0] as usize, wt.dims[1] as usize);
                let (k, outs) = if trans_b { (c, r) } else { (r, c) };
                let width = shape.as_ref().map(|s| (s.len(), s.iter().product::<usize>()));
                match width {
                    Some((rank, wd)) if rank != 1 || wd != k => {
                        return Err(bad(format!(
                            "weights {w_name:?} take {k} inputs, the layer input has shape {:?}",
                            shape.clone().unwrap_or_default()
                        )))
                    }
                    None if input_shape.is_none() && b.layers.is_empty() => input_shape = Some(vec![k]),
                    None => return Err(bad("the input shape of this layer is unknown".into())),
                    _ => {}
                }
                let mut weights = vec![0f32; k * outs];
                for o in 0..outs {
                    for i in 0..k {
                        let v = if trans_b { w[o * k + i] } else { w[i * outs + o] };
                        weights[o * k + i] = alpha * v;
                    }
                }
                let mut bias = vec![0f32; outs];
                if let Some(cn) = c_name.filter(|s| !s.is_empty()) {
                    let ct = b.init(cn).ok_or_else(|| bad(format!("bias {cn:?} is not an initializer")))?;
                    let cv = float_values(ct).map_err(|e| bad(format!("bias {cn:?}: {e}")))?;
                    bias = broadcast(&cv, outs).ok_or_else(|| {
                        bad(format!(
                            "bias {cn:?} has {} values (shape {:?}), the layer has {outs} outputs",
                            cv.len(),
                            ct.dims
                        ))
                    })?;
                    bias.iter_mut().for_each(|x| *x *= beta);
                }
                b.layers.push(Layer {
                    name: name.clone(),
                    op: n.op_type.clone(),
                    kind: LayerKind::Dense(Dense { inputs: k, outputs: outs, weights, bias }),
                    width: outs,
                });
                pending_matmul = n.op_type == "MatMul";
                shape = Some(vec![outs]);
            }
            "Add" => {
                let other = n.inputs.iter().find(|i| **i != cur).map(String::as_str).unwrap_or("");
                let last = b.layers.last_mut();
                let Some(Layer { kind: LayerKind::Dense(d), op, .. }) = last.filter(|_| was_matmul) else {
                    return Err(bad("Add is supported only as the bias of the MatMul just before it".into()));
                };
                let t = b.inits.get(other).ok_or_else(|| bad(format!("bias {other:?} is not an initializer")))?;
                let v = float_values(t).map_err(|e| bad(format!("bias {other:?}: {e}")))?;
                let outs = d.outputs;
                d.bias = broadcast(&v, outs).ok_or_else(|| {
                    bad(format!(
                        "bias {other:?} has {} values (shape {:?}), the layer has {outs} outputs",
                        v.len(),
                        t.dims
                    ))
                })?;
                *op = "MatMul+Add".into();
            }
            "Relu" | "LeakyRelu" | "Sigmoid" | "Tanh" => {
                let a = match n.op_type.as_str() {
                    "Relu" => Activation::Relu,
                    "LeakyRelu" => Activation::LeakyRelu { alpha: attr_f(n, "alpha", 0.01) },
                    "Sigmoid" => Activation::Sigmoid,
                    _ => Activation::Tanh,
                };
                let w = known_width(&shape).ok_or_else(|| bad("the input shape is unknown".into()))?;
                b.layers.push(Layer {
                    name: name.clone(),
                    op: n.op_type.clone(),
                    kind: LayerKind::Activation(a),
                    width: w,
                });
            }
            "Softmax" => {
                let s = shape.clone().ok_or_else(|| bad("the input shape is unknown".into()))?;
                let default_axis = if b.opset >= 13 { -1 } else { 1 };
                let axis = attr_i(n, "axis", default_axis);
                // Full rank is 1 (batch) + per-sample rank; only a softmax over a 1-D sample is supported.
                if s.len() != 1 || !(axis == 1 || axis == -1) {
                    return Err(bad(format!("softmax over axis {axis} of a sample of shape {s:?}; only 1-D samples")));
                }
                b.layers.push(Layer {
                    name: name.clone(),
                    op: n.op_type.clone(),
                    kind: LayerKind::Softmax,
                    width: s[0],
                });
            }
            "BatchNormalization" => {
                let s = shape.clone().ok_or_else(|| bad("the input shape is unknown".into()))?;
                if attr_i(n, "training_mode", 0) != 0 {
                    return Err(bad("training_mode=1 is not supported (export the model in eval mode)".into()));
                }
                if n.outputs.iter().skip(1).any(|o| !o.is_empty()) {
                    return Err(bad("running mean/var outputs (training mode) are not supported".into()));
                }
                let channels = s[0];
                let get = |i: usize, what: &str| -> Result<Vec<f32>> {
                    let nm = n.inputs.get(i).map(String::as_str).unwrap_or("");
                    let t = b.init(nm).ok_or_else(|| bad(format!("{what} {nm:?} is not an initializer")))?;
                    let v = float_values(t).map_err(|e| bad(format!("{what} {nm:?}: {e}")))?;
                    if v.len() != channels {
                        return Err(bad(format!(
                            "{what} {nm:?} has {} values, the input has {channels} channels",
                            v.len()
                        )));
                    }
                    Ok(v)
                };
                let bn = BatchNorm {
                    channels,
                    per_channel: s[1..].iter().product(),
                    scale: get(1, "scale")?,
                    shift: get(2, "bias")?,
                    mean: get(3, "mean")?,
                    var: get(4, "var")?,
                    epsilon: attr_f(n, "epsilon", 1e-5),
                };
                if let Some(c) =
                    bn.var.iter().position(|&v| (v + bn.epsilon).partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater))
                {
                    return Err(bad(format!("variance + epsilon of channel {c} is not positive")));
                }
                let width = s.iter().product();
                b.layers.push(Layer {
                    name: name.clone(),
                    op: n.op_type.clone(),
                    kind: LayerKind::BatchNorm(bn),
                    width,
                });
            }
            _ => return Err(unsupported(path, n, &name)),
        }
        cur = out;
    }
    if !b.layers.iter().any(|l| matches!(l.kind, LayerKind::Dense(_))) {
        return Err(invalid("no Gemm or MatMul layer: nothing to compute".into()));
    }
    let outputs: Vec<&str> = g.outputs.iter().map(|o| o.name.as_str()).collect();
    if !outputs.contains(&cur.as_str()) && !post.keys().any(|k| outputs.contains(&k.as_str())) {
        return Err(invalid(format!("the last layer's output {cur:?} is not a graph output ({outputs:?})")));
    }
    let input_shape = input_shape.ok_or_else(|| invalid("the input shape is unknown".into()))?;
    Ok(Network {
        path: path.to_path_buf(),
        producer: m.producer_name.clone(),
        input_name: input.name.clone(),
        input_shape,
        layers: b.layers,
        classes,
    })
}

struct Builder<'a> {
    #[allow(dead_code)]
    path: &'a Path,
    opset: i64,
    inits: BTreeMap<String, TensorProto>,
    layers: Vec<Layer>,
}

impl Builder<'_> {
    fn init(&self, name: &str) -> Option<&TensorProto> {
        self.inits.get(name)
    }
}

fn unsupported(path: &Path, n: &NodeProto, name: &str) -> NnError {
    NnError::UnsupportedOp {
        path: path.to_path_buf(),
        op_type: n.op_type.clone(),
        domain: n.domain.clone(),
        node: name.to_string(),
    }
}

fn known_width(s: &Option<Vec<usize>>) -> Option<usize> {
    s.as_ref().map(|s| s.iter().product())
}

fn attr<'n>(n: &'n NodeProto, name: &str) -> Option<&'n AttributeProto> {
    n.attributes.iter().find(|a| a.name == name)
}

fn attr_i(n: &NodeProto, name: &str, default: i64) -> i64 {
    attr(n, name).map_or(default, |a| a.i)
}

fn attr_f(n: &NodeProto, name: &str, default: f32) -> f32 {
    attr(n, name).map_or(default, |a| a.f)
}

/// `v` broadcast to `n` values: `n` values, or one value repeated.
fn broadcast(v: &[f32], n: usize) -> Option<Vec<f32>> {
    match v.len() {
        l if l == n => Some(v.to_vec()),
        1 => Some(vec![v[0]; n]),
        _ => None,
    }
}

fn numel(t: &TensorProto) -> std::result::Result<usize, String> {
    t.dims.iter().try_fold(1usize, |a, &d| {
        usize::try_from(d).ok().and_then(|d| a.checked_mul(d)).ok_or_else(|| format!("bad dims {:?}", t.dims))
    })
}

fn check_stored(t: &TensorProto) -> std::result::Result<(), String> {
    if t.data_location == 1 || t.has_external_data {
        return Err("external data is not supported (save the model with the weights inside)".into());
    }
    if t.has_segment {
        return Err("segmented tensors are not supported".into());
    }
    Ok(())
}

/// A float tensor's values (FLOAT or DOUBLE; `float_data`/`double_data` or `raw_data`),
/// checked against its dims and for NaN/Inf.
fn float_values(t: &TensorProto) -> std::result::Result<Vec<f32>, String> {
    check_stored(t)?;
    let n = numel(t)?;
    let v: Vec<f32> = match t.data_type {
        dtype::FLOAT if !t.raw_data.is_empty() => {
            if t.raw_data.len() != 4 * n {
                return Err(format!("raw_data has {} bytes, dims {:?} need {}", t.raw_data.len(), t.dims, 4 * n));
            }
            t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        }
        dtype::FLOAT => t.float_data.clone(),
        dtype::DOUBLE if !t.raw_data.is_empty() => {
            if t.raw_data.len() != 8 * n {
                return Err(format!("raw_data has {} bytes, dims {:?} need {}", t.raw_data.len(), t.dims, 8 * n));
            }
            t.raw_data
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
                .collect()
        }
        dtype::DOUBLE => t.double_data.iter().map(|&x| x as f32).collect(),
        d => return Err(format!("data type {d} is not float or double")),
    };
    if v.len() != n {
        return Err(format!("{} values stored, dims {:?} need {n}", v.len(), t.dims));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(format!("value {} at element {i} is not finite", v[i]));
    }
    Ok(v)
}

/// An integer tensor's values (INT64, INT32, INT8, UINT8).
fn int_values(t: &TensorProto) -> std::result::Result<Vec<i64>, String> {
    check_stored(t)?;
    let n = numel(t)?;
    let raw = !t.raw_data.is_empty();
    let v: Vec<i64> = match t.data_type {
        dtype::INT64 if raw => t
            .raw_data
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
        dtype::INT64 => t.int64_data.clone(),
        dtype::INT32 if raw => {
            t.raw_data.chunks_exact(4).map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect()
        }
        dtype::INT32 | dtype::INT8 | dtype::UINT8 if !raw => t.int32_data.iter().map(|&x| i64::from(x)).collect(),
        dtype::INT8 => t.raw_data.iter().map(|&x| i64::from(x as i8)).collect(),
        dtype::UINT8 => t.raw_data.iter().map(|&x| i64::from(x)).collect(),
        dtype::STRING => return Err("string labels are not supported (train with integer classes)".into()),
        d => return Err(format!("data type {d} is not an integer type")),
    };
    if v.len() != n {
        return Err(format!("{} values stored, dims {:?} need {n}", v.len(), t.dims));
    }
    Ok(v)
}
