//! A data set for a network: inputs (and optional labels) checked against the model.

use std::path::Path;

use crate::error::{NnError, Result};
use crate::model::Network;
use crate::npy::{read_npy, NpyArray};

/// Inputs, one row of the network's input width per sample, and optional labels.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSet {
    /// Number of samples.
    pub samples: usize,
    /// Values per sample (the network's input width).
    pub width: usize,
    /// Row-major inputs, `samples × width`, all finite.
    pub x: Vec<f32>,
    /// Labels, one per sample, when given.
    pub labels: Option<Vec<i64>>,
}

impl DataSet {
    /// Reads inputs (and labels) from `.npy` files and checks them against `net`.
    pub fn load(net: &Network, x_path: &Path, y_path: Option<&Path>) -> Result<DataSet> {
        let x = read_npy(x_path)?;
        let y = y_path.map(read_npy).transpose()?;
        DataSet::from_arrays(net, &x, y.as_ref())
    }

    /// Checks parsed arrays against `net`.
    pub fn from_arrays(net: &Network, x: &NpyArray, y: Option<&NpyArray>) -> Result<DataSet> {
        let (samples, width, values) = x.to_features()?;
        if width != net.input_width() {
            return Err(NnError::ShapeMismatch {
                path: x.path.clone(),
                what: format!(
                    "the model input {:?} takes {} values per sample (shape {:?}), the data has {} (array shape {:?})",
                    net.input_name,
                    net.input_width(),
                    net.input_shape,
                    width,
                    x.shape
                ),
            });
        }
        let labels = match y {
            None => None,
            Some(y) => {
                let l = y.to_labels()?;
                if l.len() != samples {
                    return Err(NnError::ShapeMismatch {
                        path: y.path.clone(),
                        what: format!("{} labels for {} samples in {}", l.len(), samples, x.path.display()),
                    });
                }
                Some(l)
            }
        };
        Ok(DataSet { samples, width, x: values, labels })
    }

    /// Sample `i`'s inputs.
    pub fn sample(&self, i: usize) -> &[f32] {
        &self.x[i * self.width..(i + 1) * self.width]
    }
}
