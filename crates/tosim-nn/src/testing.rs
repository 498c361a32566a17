//! A small ONNX *writer* for tests, examples and generated model sets: builds
//! `ModelProto` bytes (protobuf wire format, field numbers of `onnx.proto3`)
//! from nodes, float/int64 initializers and typed inputs/outputs.

/// A node attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    /// `INT` attribute.
    Int(&'static str, i64),
    /// `FLOAT` attribute.
    Float(&'static str, f32),
}

/// Builder of an ONNX model (opset 13 by default).
#[derive(Debug, Clone, Default)]
pub struct OnnxBuilder {
    graph: Vec<u8>,
    opset: i64,
    producer: String,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn tag(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from(field << 3 | wire));
}

fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    tag(out, field, 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn int(out: &mut Vec<u8>, field: u32, v: i64) {
    tag(out, field, 0);
    varint(out, v as u64);
}

/// A `ValueInfoProto` of a tensor; a negative dimension is symbolic (`N`).
fn value_info(name: &str, elem: i64, dims: &[i64]) -> Vec<u8> {
    let mut shape = Vec::new();
    for &d in dims {
        let mut dim = Vec::new();
        if d >= 0 {
            int(&mut dim, 1, d);
        } else {
            bytes(&mut dim, 2, b"N");
        }
        bytes(&mut shape, 1, &dim);
    }
    let mut tt = Vec::new();
    int(&mut tt, 1, elem);
    bytes(&mut tt, 2, &shape);
    let mut tp = Vec::new();
    bytes(&mut tp, 1, &tt);
    let mut v = Vec::new();
    bytes(&mut v, 1, name.as_bytes());
    bytes(&mut v, 2, &tp);
    v
}

impl OnnxBuilder {
    /// An empty opset-13 model.
    pub fn new() -> Self {
        OnnxBuilder { graph: Vec::new(), opset: 13, producer: "tosim-nn".into() }
    }

    /// Sets the default-domain opset version.
    pub fn opset(mut self, v: i64) -> Self {
        self.opset = v;
        self
    }

    /// Adds a float graph input; negative dims are symbolic (the batch axis).
    pub fn input(mut self, name: &str, dims: &[i64]) -> Self {
        let v = value_info(name, 1, dims);
        bytes(&mut self.graph, 11, &v);
        self
    }

    /// Adds a float graph output.
    pub fn output(mut self, name: &str, dims: &[i64]) -> Self {
        let v = value_info(name, 1, dims);
        bytes(&mut self.graph, 12, &v);
        self
    }

    /// Adds a node of the default domain.
    pub fn node(self, op: &str, name: &str, inputs: &[&str], outputs: &[&str], attrs: &[Attr]) -> Self {
        self.node_in("", op, name, inputs, outputs, attrs)
    }

    /// Adds a node of `domain`.
    pub fn node_in(
        mut self,
        domain: &str,
        op: &str,
        name: &str,
        inputs: &[&str],
        outputs: &[&str],
        attrs: &[Attr],
    ) -> Self {
        let mut n = Vec::new();
        for i in inputs {
            bytes(&mut n, 1, i.as_bytes());
        }
        for o in outputs {
            bytes(&mut n, 2, o.as_bytes());
        }
        bytes(&mut n, 3, name.as_bytes());
        bytes(&mut n, 4, op.as_bytes());
        if !domain.is_empty() {
            bytes(&mut n, 7, domain.as_bytes());
        }
        for a in attrs {
            let mut ab = Vec::new();
            match a {
                Attr::Int(k, v) => {
                    bytes(&mut ab, 1, k.as_bytes());
                    int(&mut ab, 3, *v);
                    int(&mut ab, 20, 2);
                }
                Attr::Float(k, v) => {
                    bytes(&mut ab, 1, k.as_bytes());
                    tag(&mut ab, 2, 5);
                    ab.extend_from_slice(&v.to_le_bytes());
                    int(&mut ab, 20, 1);
                }
            }
            bytes(&mut n, 5, &ab);
        }
        bytes(&mut self.graph, 1, &n);
        self
    }

    /// Adds a float initializer stored in packed `float_data`.
    pub fn init_f32(mut self, name: &str, dims: &[i64], data: &[f32]) -> Self {
        let mut t = Vec::new();
        for &d in dims {
            int(&mut t, 1, d);
        }
        int(&mut t, 2, 1);
        let mut packed = Vec::new();
        for x in data {
            packed.extend_from_slice(&x.to_le_bytes());
        }
        bytes(&mut t, 4, &packed);
        bytes(&mut t, 8, name.as_bytes());
        bytes(&mut self.graph, 5, &t);
        self
    }

    /// Adds an int64 initializer stored in `raw_data`.
    pub fn init_i64(mut self, name: &str, dims: &[i64], data: &[i64]) -> Self {
        let mut t = Vec::new();
        for &d in dims {
            int(&mut t, 1, d);
        }
        int(&mut t, 2, 7);
        bytes(&mut t, 8, name.as_bytes());
        let raw: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
        bytes(&mut t, 9, &raw);
        bytes(&mut self.graph, 5, &t);
        self
    }

    /// The model's bytes.
    pub fn build(self) -> Vec<u8> {
        let mut m = Vec::new();
        int(&mut m, 1, 8);
        bytes(&mut m, 2, self.producer.as_bytes());
        let mut g = self.graph;
        bytes(&mut g, 2, b"g");
        bytes(&mut m, 7, &g);
        let mut op = Vec::new();
        int(&mut op, 2, self.opset);
        bytes(&mut m, 8, &op);
        m
    }
}

/// A 2-input, 2-output `Gemm` (transB=1: `weights` row-major `[out][in]`) and `Relu`.
pub fn tiny_gemm_relu_onnx(weights: &[f32; 4], bias: &[f32; 2]) -> Vec<u8> {
    OnnxBuilder::new()
        .input("x", &[-1, 2])
        .output("y", &[-1, 2])
        .init_f32("w", &[2, 2], weights)
        .init_f32("b", &[2], bias)
        .node("Gemm", "fc", &["x", "w", "b"], &["h"], &[Attr::Int("transB", 1)])
        .node("Relu", "relu", &["h"], &["y"], &[])
        .build()
}

/// SplitMix64 uniform values in `[−1, 1)` from `seed` (for random test networks and data).
pub fn uniform(seed: u64, n: usize) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f32 / (1u64 << 52) as f32 - 1.0
        })
        .collect()
}

/// A random MLP as ONNX bytes: `sizes[0]` inputs, then one `Gemm` (transB = 1)
/// per further entry, weights and biases uniform in `[−scale, scale)` from
/// `seed`; after every hidden Gemm an optional `BatchNormalization` (γ, β, μ
/// uniform, σ² in [0.5, 1.5), ε = 1e−5) and the activation `act` (an ONNX
/// operator name: `Relu`, `Sigmoid`, `Tanh`, `LeakyRelu` with α = 0.1, or
/// `""` for none); after the last Gemm `last` (e.g. `Softmax`, `Sigmoid`,
/// or `""`). Node names: `fc{i}`, `bn{i}`, `act{i}`, `out`.
pub fn random_mlp_onnx(seed: u64, sizes: &[usize], scale: f32, act: &str, batchnorm: bool, last: &str) -> Vec<u8> {
    let n_in = sizes[0] as i64;
    let n_out = sizes[sizes.len() - 1] as i64;
    let mut b = OnnxBuilder::new().input("x", &[-1, n_in]).output("y", &[-1, n_out]);
    let mut cur = "x".to_string();
    let mut seed = seed;
    let mut next = |n: usize| {
        seed = seed.wrapping_add(1);
        uniform(seed, n)
    };
    let layers = sizes.len() - 1;
    for i in 0..layers {
        let (k, n) = (sizes[i], sizes[i + 1]);
        let w: Vec<f32> = next(n * k).iter().map(|v| v * scale).collect();
        let bias: Vec<f32> = next(n).iter().map(|v| v * scale).collect();
        let (wn, bn, out) = (format!("w{i}"), format!("b{i}"), format!("h{i}"));
        b = b.init_f32(&wn, &[n as i64, k as i64], &w).init_f32(&bn, &[n as i64], &bias).node(
            "Gemm",
            &format!("fc{i}"),
            &[&cur, &wn, &bn],
            &[&out],
            &[Attr::Int("transB", 1)],
        );
        cur = out;
        let hidden = i + 1 < layers;
        if hidden && batchnorm {
            let (g, be, mu) = (next(n), next(n), next(n));
            let var: Vec<f32> = next(n).iter().map(|v| 1.0 + 0.5 * v).collect();
            let names = [format!("g{i}"), format!("be{i}"), format!("mu{i}"), format!("var{i}")];
            for (nm, v) in names.iter().zip([&g, &be, &mu, &var]) {
                b = b.init_f32(nm, &[n as i64], v);
            }
            let out = format!("n{i}");
            b = b.node(
                "BatchNormalization",
                &format!("bn{i}"),
                &[&cur, &names[0], &names[1], &names[2], &names[3]],
                &[&out],
                &[Attr::Float("epsilon", 1e-5)],
            );
            cur = out;
        }
        let op = if hidden { act } else { last };
        if !op.is_empty() {
            let out = if hidden { format!("a{i}") } else { "y".to_string() };
            let attrs = if op == "LeakyRelu" { vec![Attr::Float("alpha", 0.1)] } else { vec![] };
            let name = if hidden { format!("act{i}") } else { "out".to_string() };
            b = b.node(op, &name, &[&cur], &[&out], &attrs);
            cur = out;
        }
    }
    if cur != "y" {
        b = b.node("Identity", "out", &[&cur], &["y"], &[]);
    }
    b.build()
}
