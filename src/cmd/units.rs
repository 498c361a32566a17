//! `tosim units`, `tosim unit export`, `tosim unit eval`.

use anyhow::{bail, Result};

/// Arguments of `tosim units`.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Emit JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `tosim unit export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {}

/// Arguments of `tosim unit eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {}

/// Runs `tosim units`.
pub fn list(_a: ListArgs) -> Result<()> {
    bail!("tosim units: not implemented yet")
}

/// Runs `tosim unit export`.
pub fn export(_a: ExportArgs) -> Result<()> {
    bail!("tosim unit export: not implemented yet")
}

/// Runs `tosim unit eval`.
pub fn eval(_a: EvalArgs) -> Result<()> {
    bail!("tosim unit eval: not implemented yet")
}
