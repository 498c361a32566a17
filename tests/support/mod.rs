//! Shared test helpers: locating external tools.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

pub mod sky130;

/// Root of the repository.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether an external tool is on PATH. In CI (`CI` set) a missing tool is a
/// test failure; locally the caller skips with a printed reason.
pub fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("-V").output().is_ok() || Command::new(name).arg("--version").output().is_ok();
    if !found {
        assert!(std::env::var_os("CI").is_none(), "{name} is required in CI but was not found on PATH");
        eprintln!("skipping: {name} not found on PATH");
    }
    found
}

/// A fresh scratch directory under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}
