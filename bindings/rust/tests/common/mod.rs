//! Test support: the tiny model (LOOM_TEST_MODEL, else made once with
//! ref/mkgguf.py --preset tiny) and the `loom` CLI of the same build
//! (LOOM_CLI, else LOOM_LIB_DIR/examples/loom/loom), the C API's reference.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, Once};

static MODEL: Mutex<Option<PathBuf>> = Mutex::new(None);

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tiny random-weight Qwen2 GGUF (real Qwen2.5 vocabulary).
pub fn model_path() -> PathBuf {
    if let Some(p) = std::env::var_os("LOOM_TEST_MODEL") {
        return PathBuf::from(p);
    }
    let mut cached = MODEL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = cached.as_ref() {
        return p.clone();
    }
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tiny-s1.gguf");
    if !path.exists() {
        let ref_dir =
            std::env::var_os("LOOM_REF_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("../shared/ref"));
        let python = if Path::new("/usr/bin/python3").exists() { "/usr/bin/python3" } else { "python3" };
        let tmp = path.with_extension("tmp");
        let st = Command::new(python)
            .arg(ref_dir.join("mkgguf.py"))
            .arg(&tmp)
            .args(["--preset", "tiny", "--seed", "1"])
            .stdout(Stdio::null())
            .status()
            .expect("run mkgguf.py (set LOOM_TEST_MODEL or LOOM_REF_DIR)");
        assert!(st.success(), "mkgguf.py failed");
        std::fs::rename(&tmp, &path).unwrap();
    }
    *cached = Some(path.clone());
    path
}

pub fn cli_path() -> PathBuf {
    if let Some(p) = std::env::var_os("LOOM_CLI") {
        return PathBuf::from(p);
    }
    let build = std::env::var_os("LOOM_LIB_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("build"));
    build.join("examples/loom/loom")
}

/// Runs the loom CLI with `args` and `stdin`; (exit ok, stdout, stderr).
pub fn cli(args: &[&str], stdin: &[u8]) -> (bool, Vec<u8>, String) {
    let mut child = Command::new(cli_path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e} (set LOOM_CLI)", cli_path()));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A scratch file path under the cargo tmp dir, unique per test.
pub fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()))
}

/// Panics a test raises on purpose (inside callbacks) start with this; the
/// panic hook stays quiet for them so that the log shows only real failures.
pub const EXPECTED_PANIC: &str = "expected panic: ";

pub fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(|s| s.as_str()));
            let msg = msg.unwrap_or("");
            if !msg.starts_with(EXPECTED_PANIC) {
                default(info)
            }
        }));
    });
}
