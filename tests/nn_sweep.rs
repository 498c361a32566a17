//! `tosim net --shard` + `tosim merge`, and `tosim sweep`, end to end.

use std::path::Path;
use std::process::{Command, Output};

use crate::support;

fn tosim(args: &[&str], threads: &str) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tosim"))
        .current_dir(support::repo())
        .env("RAYON_NUM_THREADS", threads)
        .args(args)
        .output()
        .unwrap();
    out
}

fn ok(args: &[&str], threads: &str) -> String {
    let out = tosim(args, threads);
    assert!(out.status.success(), "tosim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(args: &[&str]) -> String {
    let out = tosim(args, "2");
    assert!(!out.status.success(), "tosim {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The default model over the whole test split: three shards (two threads)
/// merged are byte for byte the JSON of the unsharded run, which is itself the
/// same for one and two threads.
#[test]
fn merged_shards_are_the_unsharded_report() {
    let dir = support::scratch("nn_shard");
    let whole1 = dir.join("whole1.json");
    let whole2 = dir.join("whole2.json");
    ok(&["net", "--json", s(&whole1)], "1");
    ok(&["net", "--json", s(&whole2)], "2");
    let w1 = std::fs::read(&whole1).unwrap();
    assert_eq!(w1, std::fs::read(&whole2).unwrap(), "RAYON_NUM_THREADS=1 and 2");
    let shards: Vec<_> = (1..=3).map(|i| dir.join(format!("s{i}.json"))).collect();
    for (i, p) in shards.iter().enumerate() {
        let spec = format!("{}/3", i + 1);
        let out = ok(&["net", "--shard", &spec, "--json", s(p)], "2");
        assert!(out.contains(&format!("shard    {spec}: samples {}..{} of 450", 150 * i, 150 * (i + 1))), "{out}");
    }
    let merged = dir.join("merged.json");
    let out = ok(&["merge", s(&shards[2]), s(&shards[0]), s(&shards[1]), "-o", s(&merged)], "2");
    assert!(out.contains("agreement: yes"), "{out}");
    assert_eq!(std::fs::read_to_string(&merged).unwrap(), String::from_utf8(w1).unwrap());

    // Clear errors for incomplete, duplicated, foreign and whole reports.
    let e = fails(&["merge", s(&shards[0]), s(&shards[1])]);
    assert!(e.contains("missing shard(s) 3 of 3"), "{e}");
    let e = fails(&["merge", s(&shards[0]), s(&shards[1]), s(&shards[1])]);
    assert!(e.contains("shard 2/3 is given twice"), "{e}");
    let e = fails(&["merge", s(&shards[0]), s(&shards[1]), s(&whole1)]);
    assert!(e.contains("whole1.json: not a shard report"), "{e}");
    let other = dir.join("other3.json");
    ok(&["net", "--shard", "3/3", "--limit", "300", "--json", s(&other)], "2");
    let e = fails(&["merge", s(&shards[0]), s(&shards[1]), s(&other)]);
    assert!(e.contains("not shards of one run") && e.contains("number of samples"), "{e}");
    // The same model, sample count and quantised values, but one input differs
    // in its last bit (a 0.0 pixel of the last sample becomes the smallest
    // subnormal; header 128 bytes + 449·64 f32 before it): the data fingerprints
    // differ.
    let mut x = std::fs::read(support::repo().join("circuits/models/digits_test_x.npy")).unwrap();
    assert_eq!((x.len(), &x[115_072..115_076]), (128 + 450 * 64 * 4, &[0u8, 0, 0, 0][..]));
    x[115_072] = 1;
    let x2 = dir.join("x2.npy");
    std::fs::write(&x2, x).unwrap();
    let other = dir.join("otherdata3.json");
    let labels = "circuits/models/digits_test_y.npy";
    ok(&["net", "--data", s(&x2), "--labels", labels, "--shard", "3/3", "--json", s(&other)], "2");
    let e = fails(&["merge", s(&shards[0]), s(&shards[1]), s(&other)]);
    assert!(e.contains("not shards of one run") && e.contains("input data or labels"), "{e}");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"model\": 1}").unwrap();
    let e = fails(&["merge", s(&bad)]);
    assert!(e.contains("bad.json: not a tosim net JSON report"), "{e}");
    let e = fails(&["net", "--shard", "4/3"]);
    assert!(e.contains("--shard 4/3") && e.contains("1 to 3"), "{e}");
}

/// A small sweep: one row per model with counts that follow from the shapes.
#[test]
fn sweep_writes_one_row_per_model() {
    let dir = support::scratch("nn_sweep");
    let (csv, json) = (dir.join("sweep.csv"), dir.join("sweep.json"));
    let out = ok(
        &[
            "sweep",
            "--depth",
            "0,1",
            "--width",
            "4,8",
            "--activation",
            "relu,leaky_relu",
            "--batch-norm",
            "off,on",
            "--batchnorm",
            "unfold,fold",
            "--samples",
            "5",
            "--csv",
            s(&csv),
            "--json",
            s(&json),
        ],
        "2",
    );
    assert!(out.contains("d1-w8-leaky_relu-bn-fold"), "{out}");
    let rows: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    // depth × width × activation × (no batch norm, unfolded, folded).
    assert_eq!(rows.len(), 2 * 2 * 2 * 3);
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 1 + rows.len());
    for r in rows {
        assert_eq!(r["agreement"], true, "{r}");
        assert!(r["error"].is_null());
        // 5 digits samples of 64 features; depth 0: 64·10 MACs per sample;
        // depth 1, width w: 64·w + w·10.
        let (d, w) = (r["depth"].as_u64().unwrap(), r["width"].as_u64().unwrap());
        let per = if d == 0 { 640 } else { 64 * w + w * 10 };
        assert_eq!(r["macs"], 5 * per, "{r}");
        let (st, sw) = (r["static_tos"].as_u64().unwrap(), r["switching_tos"].as_u64().unwrap());
        assert!(0 < sw && sw < st, "{r}");
    }
    // Batch norm folded into the weights: the same unit operations as without it
    // (static TOs may differ: the folded weights change the requantisation
    // units' widths). Unfolded: one square root and one division per neuron and
    // sample (5 · 8), which FLOPs and MACs do not see.
    let find = |m: &str| rows.iter().find(|r| r["model"] == m).unwrap();
    let ops = |m: &str, p: &str| find(m)["by_primitive"][p]["operations"].clone();
    for p in ["multiply", "add", "compare", "divide", "sqrt"] {
        assert_eq!(ops("d1-w8-relu", p), ops("d1-w8-relu-bn-fold", p), "{p}");
    }
    assert!(ops("d1-w8-relu", "sqrt").is_null());
    assert_eq!(ops("d1-w8-relu-bn", "sqrt"), 5 * 8);
    assert_eq!(ops("d1-w8-relu-bn", "divide"), 5 * 8);
    assert_eq!(find("d1-w8-relu-bn")["flops"], find("d1-w8-relu")["flops"]);
    assert_eq!(find("d1-w8-relu-bn")["batchnorm"], "unfold");
    assert_eq!(find("d1-w8-relu-bn-fold")["variant"], "relu+bn(folded)");
    // LeakyReLU costs a multiplier and a comparator per neuron where ReLU has a comparator.
    assert!(find("d1-w8-leaky_relu")["static_tos"].as_u64() > find("d1-w8-relu")["static_tos"].as_u64());
    // A float format: the sigmoid's exponential and division are counted.
    let fp = dir.join("fp16.json");
    let args = ["sweep", "--format", "fp16", "--depth", "1", "--width", "4", "--activation", "sigmoid"];
    ok(&[&args[..], &["--batch-norm", "off", "--samples", "3", "--json", s(&fp)]].concat(), "2");
    let rows: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&fp).unwrap()).unwrap();
    let r = &rows[0];
    assert_eq!((r["format"].as_str(), r["agreement"].as_bool()), (Some("fp16"), Some(true)), "{r}");
    assert!(r["by_primitive"]["exp"]["operations"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["macs"], 3 * (64 * 4 + 4 * 10));
    // A model the format cannot run: an error naming the model and the layer,
    // or with --keep-going a row with the error.
    let act = ["sweep", "--depth", "1", "--width", "4", "--batch-norm", "off", "--samples", "3", "--activation"];
    let e = fails(&[&act[..], &["relu,leaky_relu:2"]].concat());
    assert!(
        e.contains("model d1-w4-leaky_relu:2") && e.contains("layer \"act0\"") && e.contains("0 < alpha < 1"),
        "{e}"
    );
    let kg = dir.join("kg.json");
    ok(&[&act[..], &["relu,leaky_relu:2", "--keep-going", "--json", s(&kg)]].concat(), "2");
    let rows: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&kg).unwrap()).unwrap();
    assert!(rows[0]["error"].is_null() && rows[0]["agreement"] == true);
    assert!(rows[1]["error"].as_str().unwrap().contains("0 < alpha < 1") && rows[1]["macs"] == 0, "{}", rows[1]);
    let e = fails(&["sweep", "--activation", "gelu"]);
    assert!(e.contains("--activation gelu"), "{e}");
}
