//! The typed network: a chain of layers with their real-valued parameters, and a
//! float reference forward pass.

use std::path::PathBuf;

/// An element-wise activation function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `x` for `x ≥ 0`, `alpha·x` otherwise.
    LeakyRelu {
        /// Slope for negative inputs.
        alpha: f32,
    },
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh x`.
    Tanh,
}

impl Activation {
    /// The function on one value (f64 inside, as the float reference).
    pub fn apply(self, x: f32) -> f32 {
        let v = f64::from(x);
        (match self {
            Activation::Relu => v.max(0.0),
            Activation::LeakyRelu { alpha } => {
                if v >= 0.0 {
                    v
                } else {
                    f64::from(alpha) * v
                }
            }
            Activation::Sigmoid => 1.0 / (1.0 + (-v).exp()),
            Activation::Tanh => v.tanh(),
        }) as f32
    }

    /// Short lower-case name (`relu`, `leaky_relu`, `sigmoid`, `tanh`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
        }
    }
}

/// A fully connected layer `y = W·x + b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Input width K.
    pub inputs: usize,
    /// Output width (neurons) N.
    pub outputs: usize,
    /// Weights, row-major `[N][K]`: row `o` holds neuron `o`'s K weights in input order.
    pub weights: Vec<f32>,
    /// Bias, N values (zeros when the model has none).
    pub bias: Vec<f32>,
}

impl Dense {
    /// Neuron `o`'s weights.
    pub fn row(&self, o: usize) -> &[f32] {
        &self.weights[o * self.inputs..(o + 1) * self.inputs]
    }
}

/// Batch normalisation in inference form: `y = scale·(x − mean)/√(var + ε) + shift`,
/// per channel (the first per-sample axis).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNorm {
    /// Channels C.
    pub channels: usize,
    /// Elements per channel (1 for a dense (N, C) input).
    pub per_channel: usize,
    /// γ, C values.
    pub scale: Vec<f32>,
    /// β, C values.
    pub shift: Vec<f32>,
    /// Running mean, C values.
    pub mean: Vec<f32>,
    /// Running variance, C values.
    pub var: Vec<f32>,
    /// ε.
    pub epsilon: f32,
}

/// What a layer computes.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerKind {
    /// Fully connected.
    Dense(Dense),
    /// Element-wise activation.
    Activation(Activation),
    /// Softmax over the sample's values.
    Softmax,
    /// Batch normalisation.
    BatchNorm(BatchNorm),
}

/// One layer: a name (the ONNX node that made it), its source operator and its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Name: the ONNX node's name, or `op_type` and the node's position when unnamed.
    pub name: String,
    /// The ONNX operator(s) it came from (`MatMul+Add`, `Gemm`, `Relu`…).
    pub op: String,
    /// What it computes.
    pub kind: LayerKind,
    /// Values per sample this layer produces.
    pub width: usize,
}

impl Layer {
    /// The float reference of this layer on one sample.
    pub fn forward_f32(&self, v: &[f32]) -> Vec<f32> {
        match &self.kind {
            LayerKind::Dense(d) => (0..d.outputs)
                .map(|o| {
                    let s: f64 = d.row(o).iter().zip(v).map(|(&w, &a)| f64::from(w) * f64::from(a)).sum();
                    (s + f64::from(d.bias[o])) as f32
                })
                .collect(),
            LayerKind::Activation(a) => v.iter().map(|&x| a.apply(x)).collect(),
            LayerKind::Softmax => {
                let m = v.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(f64::from(x)));
                let e: Vec<f64> = v.iter().map(|&x| (f64::from(x) - m).exp()).collect();
                let s: f64 = e.iter().sum();
                e.iter().map(|&x| (x / s) as f32).collect()
            }
            LayerKind::BatchNorm(b) => v
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    let c = i / b.per_channel;
                    let d = (f64::from(b.var[c]) + f64::from(b.epsilon)).sqrt();
                    (f64::from(b.scale[c]) * (f64::from(x) - f64::from(b.mean[c])) / d + f64::from(b.shift[c])) as f32
                })
                .collect(),
        }
    }
}

/// A feed-forward network read from a model file.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// The model file.
    pub path: PathBuf,
    /// `producer_name` of the file (`skl2onnx`, `pytorch`…).
    pub producer: String,
    /// Name of the graph input.
    pub input_name: String,
    /// Per-sample shape of the input (without the batch axis).
    pub input_shape: Vec<usize>,
    /// The layers in execution order.
    pub layers: Vec<Layer>,
    /// Class labels when the model maps the arg-max index to a label
    /// (skl2onnx's `ArrayFeatureExtractor`); `None` means the label is the index.
    pub classes: Option<Vec<i64>>,
}

impl Network {
    /// Values per input sample.
    pub fn input_width(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Values per output sample.
    pub fn output_width(&self) -> usize {
        self.layers.last().map_or(self.input_width(), |l| l.width)
    }

    /// The float reference: runs one sample through every layer (f32 values,
    /// f64 sums) and returns the last layer's output.
    pub fn forward_f32(&self, x: &[f32]) -> Vec<f32> {
        self.layers.iter().fold(x.to_vec(), |v, l| l.forward_f32(&v))
    }

    /// Like [`Network::forward_f32`], returning every layer's output.
    pub fn forward_trace(&self, x: &[f32]) -> Vec<Vec<f32>> {
        let mut out: Vec<Vec<f32>> = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            let v = l.forward_f32(out.last().map_or(x, |v| v.as_slice()));
            out.push(v);
        }
        out
    }

    /// The label of an output vector: the arg-max index (first maximum), mapped
    /// through [`Network::classes`] when present.
    pub fn label_of<T: PartialOrd + Copy>(&self, out: &[T]) -> i64 {
        let i = argmax(out);
        match &self.classes {
            Some(c) => c.get(i).copied().unwrap_or(i as i64),
            None => i as i64,
        }
    }
}

/// Index of the first maximum (0 for an empty slice).
pub fn argmax<T: PartialOrd + Copy>(v: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}
