//! Finds libloom. In order:
//!  1. `LOOM_LIB_DIR`: the folder holding libloom.so (or libloom.a with
//!     `LOOM_STATIC=1`), e.g. a meson build folder;
//!  2. `pkg-config --libs loom` (`--static` too with `LOOM_STATIC=1`), run as a
//!     program (`PKG_CONFIG` names another one; `PKG_CONFIG_PATH` as usual).
//!
//! Shared linking adds an rpath to the library folder for this crate's own
//! tests and examples, so they run without LD_LIBRARY_PATH.
use std::env;
use std::process::Command;

fn main() {
    for var in ["LOOM_LIB_DIR", "LOOM_STATIC", "PKG_CONFIG", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    let want_static = env::var("LOOM_STATIC").map(|v| v == "1").unwrap_or(false);
    match env::var("LOOM_LIB_DIR") {
        Ok(dir) if !dir.is_empty() => link_from_dir(&dir, want_static),
        _ => link_from_pkg_config(want_static),
    }
}

fn link_from_dir(dir: &str, want_static: bool) {
    println!("cargo:rustc-link-search=native={dir}");
    if want_static {
        println!("cargo:rustc-link-lib=static=loom");
        // What the archive needs (loom-static.pc: the C++ runtime; xxHash is compiled in).
        for lib in ["stdc++", "m", "pthread", "dl"] {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
    } else {
        println!("cargo:rustc-link-lib=dylib=loom");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}

fn link_from_pkg_config(want_static: bool) {
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let mut cmd = Command::new(&program);
    cmd.arg("--libs");
    if want_static {
        cmd.arg("--static");
    }
    cmd.arg("loom");
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => fail(&format!("cannot run {program}: {e}")),
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        fail(&format!("`{program} --libs loom` failed: {}", stderr.trim()));
    }
    let flags = String::from_utf8_lossy(&out.stdout).to_string();
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
            if !want_static {
                println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
            }
        } else if let Some(lib) = flag.strip_prefix("-l") {
            let kind = if want_static && lib == "loom" { "static" } else { "dylib" };
            println!("cargo:rustc-link-lib={kind}={lib}");
        } else if flag == "-pthread" {
            println!("cargo:rustc-link-lib=dylib=pthread");
        }
    }
}

fn fail(why: &str) -> ! {
    panic!(
        "loom: cannot find libloom ({why}). Set LOOM_LIB_DIR to the folder holding libloom.so \
         (e.g. a meson build folder), or install loom so that `pkg-config --libs loom` works \
         (PKG_CONFIG_PATH=BUILD/meson-uninstalled for a build folder)."
    )
}
