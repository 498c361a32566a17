//! `tosim sim`, `tosim unit sim`, `tosim compare`, `tosim table`.

use anyhow::{bail, Result};

/// Arguments of `tosim sim`.
#[derive(clap::Args, Debug)]
pub struct SimArgs {}

/// Arguments of `tosim unit sim`.
#[derive(clap::Args, Debug)]
pub struct UnitSimArgs {}

/// Arguments of `tosim compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {}

/// Arguments of `tosim table`.
#[derive(clap::Args, Debug)]
pub struct TableArgs {}

/// Runs `tosim sim`.
pub fn sim(_a: SimArgs) -> Result<()> {
    bail!("tosim sim: not implemented yet")
}

/// Runs `tosim unit sim`.
pub fn unit_sim(_a: UnitSimArgs) -> Result<()> {
    bail!("tosim unit sim: not implemented yet")
}

/// Runs `tosim compare`.
pub fn compare(_a: CompareArgs) -> Result<()> {
    bail!("tosim compare: not implemented yet")
}

/// Runs `tosim table`.
pub fn table(_a: TableArgs) -> Result<()> {
    bail!("tosim table: not implemented yet")
}
