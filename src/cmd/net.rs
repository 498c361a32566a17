//! `tosim net`.

use anyhow::{bail, Result};

/// Arguments of `tosim net`.
#[derive(clap::Args, Debug)]
pub struct NetArgs {}

/// Runs `tosim net`.
pub fn run(_a: NetArgs) -> Result<()> {
    bail!("tosim net: not implemented yet")
}
