//! The abort closure stops a decode mid-prompt with Status::Cancelled; the
//! load progress closure can cancel a load; a panic in either never crosses
//! the FFI: it is resumed on the Rust side once the C call returned.
mod common;

use loom::{Context, GenerateOptions, Model, Sampler, Status};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn long_prompt(model: &Model) -> Vec<i32> {
    let text = "The abort callback is checked between ops while this prompt is decoded. ".repeat(6);
    model.tokenize(&text).unwrap()
}

/// A context whose abort closure counts its calls and asks to stop from
/// call number `stop_at` (0-based) on.
fn counting_context(model: &Model, stop_at: usize) -> (Context, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let abort = move || seen.fetch_add(1, Ordering::SeqCst) >= stop_at;
    (Context::builder(model).n_ctx(512).abort(abort).build().unwrap(), calls)
}

#[test]
fn abort_mid_prompt_returns_cancelled() {
    let model = Model::load(common::model_path()).unwrap();
    let prompt = long_prompt(&model);
    // Let the first few checks pass, then ask to stop: the decode is under way.
    let (mut ctx, calls) = counting_context(&model, 3);
    let mut sampler = Sampler::greedy().unwrap();
    let err =
        ctx.generate(&prompt, &mut sampler, GenerateOptions::max_tokens(4)).expect_err("the abort stops the prompt");
    assert_eq!(err.status(), Status::Cancelled);
    assert!(!err.message().is_empty());
    assert!(calls.load(Ordering::SeqCst) >= 4, "the callback ran before and at the stop");
    // On error the cache is as before: empty.
    assert_eq!(ctx.kv_seq_pos_max(0).unwrap(), None);
}

#[test]
fn context_without_abort_decodes_the_same_prompt() {
    let model = Model::load(common::model_path()).unwrap();
    let prompt = long_prompt(&model);
    let (mut ctx, calls) = counting_context(&model, usize::MAX);
    ctx.decode_tokens(&prompt, 0, 0, loom::Logits::Last).unwrap();
    assert!(calls.load(Ordering::SeqCst) > 0);
    assert_eq!(ctx.kv_seq_pos_max(0).unwrap(), Some(prompt.len() as i32 - 1));
}

#[test]
fn panic_in_abort_closure_is_resumed_after_decode() {
    let model = Model::load(common::model_path()).unwrap();
    let prompt = long_prompt(&model);
    common::quiet_expected_panics();
    const MSG: &str = "expected panic: abort closure";
    let mut ctx = Context::builder(&model).n_ctx(512).abort(|| std::panic::panic_any(MSG)).build().unwrap();
    let caught = catch_unwind(AssertUnwindSafe(|| ctx.decode_tokens(&prompt, 0, 0, loom::Logits::Last)));
    let payload = caught.expect_err("the panic reaches the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&MSG));
    assert_eq!(ctx.kv_seq_pos_max(0).unwrap(), None, "the decode was stopped");
}

#[test]
fn progress_closure_reports_and_cancels() {
    let path = common::model_path();
    let mut fractions = Vec::new();
    let model = Model::builder().progress(|f| {
        fractions.push(f);
        true
    });
    model.load(&path).unwrap();
    assert!(!fractions.is_empty());
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
    assert_eq!(*fractions.last().unwrap(), 1.0);

    let err = Model::builder().progress(|_| false).load(&path).expect_err("cancelled");
    assert_eq!(err.status(), Status::Cancelled);

    common::quiet_expected_panics();
    const MSG: &str = "expected panic: progress closure";
    let caught = catch_unwind(|| Model::builder().progress(|_| std::panic::panic_any(MSG)).load(&path));
    let payload = caught.expect_err("the panic reaches the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&MSG));
}
