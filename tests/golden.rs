//! Golden reports: the commands in `tests/golden/commands.txt` must print and
//! write exactly what they did before the architecture change of issue 13
//! (`tests/golden/expected/`, written by commit 0cbdfe1). Run time lines are
//! the only text left out. `TOSIM_GOLDEN_BLESS=1` rewrites the expected files
//! (only for a change a issue names as intended; say which in the commit).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{repo, scratch, sky130};

/// One command of the list.
struct Golden {
    name: String,
    args: Vec<String>,
}

fn commands() -> Vec<Golden> {
    let text = std::fs::read_to_string(repo().join("tests/golden/commands.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, rest) = l.split_once(':').unwrap_or_else(|| panic!("commands.txt: `{l}` has no `name:`"));
            Golden { name: name.trim().to_string(), args: rest.split_whitespace().map(str::to_string).collect() }
        })
        .collect()
}

/// Standard output without the lines that report wall-clock time.
fn without_times(s: &str) -> String {
    s.lines()
        .filter(|l| !(l.starts_with("gate-level run:") || l.starts_with("run time") || l.contains(" ops/s")))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Runs one command; returns (file name, content) of everything it produced.
fn run(g: &Golden, dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let args: Vec<String> = g
        .args
        .iter()
        .map(|a| match a.as_str() {
            "{json}" | "{csv}" => {
                let ext = &a[1..a.len() - 1];
                let path = dir.join(format!("{}.{ext}", g.name));
                files.push((format!("{}.{ext}", g.name), path.clone()));
                path.display().to_string()
            }
            _ => a.clone(),
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_tosim")).args(&args).current_dir(repo()).output().unwrap();
    assert!(
        out.status.success(),
        "{}: tosim {} failed: {}",
        g.name,
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got = vec![(format!("{}.out", g.name), without_times(&String::from_utf8(out.stdout).unwrap()))];
    for (name, path) in files {
        got.push((name, std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))));
    }
    got
}

#[test]
fn reports_are_byte_identical_to_the_golden_set() {
    let expected = repo().join("tests/golden/expected");
    let bless = std::env::var_os("TOSIM_GOLDEN_BLESS").is_some();
    let dir = scratch("golden");
    let sky = commands().iter().any(|g| g.args.iter().any(|a| a == "sky130_hd")).then(sky130::cells_dir).flatten();
    let mut failures = Vec::new();
    for g in commands() {
        let needs_sky = g.args.iter().any(|a| a == "sky130_hd");
        if needs_sky && sky.is_none() {
            continue; // cells_dir printed the reason (and fails in CI)
        }
        let mut g = g;
        if let (true, Some(d)) = (needs_sky, &sky) {
            g.args.extend(["--cells".to_string(), d.display().to_string()]);
        }
        for (name, content) in run(&g, &dir) {
            let path: PathBuf = expected.join(&name);
            if bless {
                std::fs::write(&path, &content).unwrap();
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(want) if want == content => {}
                Ok(want) => {
                    let line = want.lines().zip(content.lines()).position(|(a, b)| a != b);
                    let at = line.unwrap_or(want.lines().count().min(content.lines().count()));
                    failures.push(format!(
                        "{name}: differs from line {}: expected `{}`, got `{}`",
                        at + 1,
                        want.lines().nth(at).unwrap_or("<end>"),
                        content.lines().nth(at).unwrap_or("<end>")
                    ));
                }
                Err(e) => failures.push(format!("{}: {e}", path.display())),
            }
        }
    }
    assert!(failures.is_empty(), "golden reports changed:\n{}", failures.join("\n"));
}
