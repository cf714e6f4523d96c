//! Failures arrive as loom::Error with loom's status and its message (the
//! very text the C API's loom_last_error() gives the `loom` CLI).
mod common;

use common::{cli, model_path, scratch};
use loom::{Batch, Context, Model, Sampler, Status};

/// The message `loom run -m PATH` prints for a model that fails to load.
fn cli_load_message(path: &str) -> String {
    let (ok, _, err) = cli(&["run", "-m", path, "-p", "x", "-n", "1"], b"");
    assert!(!ok);
    let prefix = format!("loom: error: {path}: ");
    err.strip_prefix(&prefix).unwrap_or_else(|| panic!("unexpected stderr {err:?}")).trim_end().to_string()
}

#[test]
fn missing_file_is_an_io_error_with_loom_message() {
    let path = scratch("does-not-exist.gguf");
    let err = Model::load(&path).expect_err("loading a missing file fails");
    assert_eq!(err.status(), Status::Io);
    assert!(err.message().contains("does-not-exist.gguf"), "{err}");
    assert_eq!(err.message(), cli_load_message(path.to_str().unwrap()));
    assert_eq!(err.to_string(), format!("{}: {}", Status::Io, err.message()));
}

#[test]
fn non_gguf_file_is_a_format_error_with_loom_message() {
    let path = scratch("not-a-model.gguf");
    std::fs::write(&path, b"this is a text file, not a GGUF model\n".repeat(4)).unwrap();
    let err = Model::load(&path).expect_err("loading a text file fails");
    let cli_msg = cli_load_message(path.to_str().unwrap());
    let _ = std::fs::remove_file(&path);
    assert_eq!(err.status(), Status::Format);
    assert!(!err.message().is_empty());
    assert_eq!(err.message(), cli_msg);
}

#[test]
fn invalid_arguments_are_invalid_argument_errors() {
    let model = Model::load(model_path()).unwrap();
    let e = Sampler::builder().top_k(0).build().expect_err("top_k(0) is refused");
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(!e.message().is_empty(), "loom gives a message");
    let e = Sampler::builder().greedy().temperature(0.5).build().expect_err("a stage after the pick is refused");
    assert_eq!(e.status(), Status::InvalidArgument);

    let e = Context::builder(&model).n_seq_max(100_000).build().expect_err("n_seq_max above 256 is refused");
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(!e.message().is_empty());

    let e = Model::builder().load_threads(257).load(model_path()).expect_err("257 load threads are refused");
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(e.message().contains("n_threads = 257"), "{e}");

    let e = Batch::new(-1).expect_err("a negative capacity is refused");
    assert_eq!(e.status(), Status::InvalidArgument);

    let mut ctx = Context::builder(&model).n_ctx(64).build().unwrap();
    let mut batch = Batch::new(1).unwrap();
    batch.add(model.n_vocab() + 7, 0, 0, true).unwrap();
    let e = ctx.decode(&batch).expect_err("a token outside the vocabulary is refused");
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(!e.message().is_empty());
    assert_eq!(batch.add(1, 1, 0, true).err().unwrap().status(), Status::BufferTooSmall);

    // Checked by the binding before the call: a NUL inside a string.
    let e = model.token_find("a\0b").err().unwrap();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(e.message().contains("NUL"));
    // Reported by loom: no such token.
    assert_eq!(model.token_find("no such token text").err().unwrap().status(), Status::NotFound);
}

#[test]
fn status_codes_round_trip() {
    for code in -12..=-1 {
        let s = Status::from_code(code);
        assert_eq!(s.code(), code);
        assert!(!matches!(s, Status::Unknown(_)));
    }
    assert_eq!(Status::from_code(-99), Status::Unknown(-99));
    assert_eq!(Status::Unknown(-99).to_string(), "unknown status");
    assert_eq!(Status::Cancelled.to_string(), "cancelled");
}
