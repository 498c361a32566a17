//! `tosim cells`.

use anyhow::{bail, Result};

/// Arguments of `tosim cells`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// SPICE files or folders (default: the textbook library).
    pub paths: Vec<std::path::PathBuf>,
    /// Emit JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `tosim cells`.
pub fn run(_a: Args) -> Result<()> {
    bail!("tosim cells: not implemented yet")
}
