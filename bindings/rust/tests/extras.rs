//! A model's log closure, stop strings, Vulkan devices (against `loom devices`), and
//! a context reused for a second generation.
mod common;

use loom::{Context, GenerateOptions, LogLevel, Model, Sampler, Status, StopMatcher};
use std::sync::{Arc, Mutex};

#[test]
fn model_log_closure_receives_loom_lines() {
    let lines: Arc<Mutex<Vec<(LogLevel, String)>>> = Arc::default();
    let sink = lines.clone();
    let model = Model::builder()
        .log(move |level, text| sink.lock().unwrap().push((level, text.to_string())))
        .load(common::model_path())
        .unwrap();
    let mut ctx = Context::builder(&model).n_ctx(64).build().unwrap();
    ctx.decode_tokens(&model.tokenize("Hi").unwrap(), 0, 0, loom::Logits::Last).unwrap();
    drop(ctx);
    drop(model);
    let lines = lines.lock().unwrap();
    eprintln!("{} log lines, first: {:?}", lines.len(), lines.first());
    assert!(!lines.is_empty(), "loom logs the load");
    assert!(lines.iter().all(|(_, text)| !text.is_empty() && !text.ends_with('\n')));
}

#[test]
fn stop_matcher_holds_back_and_stops() {
    let mut m = StopMatcher::new(&["STOP", "<end>"]).unwrap();
    assert_eq!(m.push(b"abc ST").unwrap(), (&b"abc "[..], false));
    assert_eq!(m.push(b"ART <e").unwrap(), (&b"START "[..], false));
    assert_eq!(m.push(b"nd> tail").unwrap(), (&b""[..], true));
    assert_eq!(m.flush().unwrap(), b"");
    m.reset();
    assert_eq!(m.push(b"x <en").unwrap(), (&b"x "[..], false));
    assert_eq!(m.flush().unwrap(), b"<en");
    assert_eq!(StopMatcher::new(&[""]).err().unwrap().status(), Status::InvalidArgument);
}

#[test]
fn vulkan_devices_match_loom_devices() {
    let (ok, out, err) = common::cli(&["devices"], b"");
    assert!(ok, "loom devices failed: {err}");
    let out = String::from_utf8(out).unwrap();
    match loom::vulkan_devices() {
        Ok(devices) => {
            let n = devices.len();
            assert!(out.contains(&format!("vulkan: {n} device{}", if n == 1 { "" } else { "s" })), "{out}");
            for d in &devices {
                assert!(out.contains(&format!("  [{}] {}  (", d.index, d.name)), "{d:?} not in {out}");
            }
        }
        Err(e) => {
            assert_eq!(e.status(), Status::Unsupported);
            assert!(out.contains(&format!("vulkan: unavailable ({})", e.message())), "{out}");
        }
    }
}

#[test]
fn a_context_generates_twice_the_same() {
    let model = Model::load(common::model_path()).unwrap();
    let prompt = model.tokenize("Twice the same").unwrap();
    let mut ctx = Context::builder(&model).n_ctx(128).build().unwrap();
    let mut runs = Vec::new();
    for _ in 0..2 {
        let mut sampler = Sampler::greedy().unwrap();
        let text: Result<String, _> =
            ctx.generate(&prompt, &mut sampler, GenerateOptions::max_tokens(12)).unwrap().collect();
        runs.push(text.unwrap());
    }
    assert_eq!(runs[0], runs[1]);
    assert!(!runs[0].is_empty());
}

#[test]
fn state_round_trips_between_contexts() {
    let model = Model::load(common::model_path()).unwrap();
    let prompt = model.tokenize("State saved here").unwrap();
    let mut a = Context::builder(&model).n_ctx(64).build().unwrap();
    a.decode_tokens(&prompt, 0, 0, loom::Logits::Last).unwrap();
    let state = a.state_save().unwrap();
    let mut b = Context::builder(&model).n_ctx(64).build().unwrap();
    b.state_load(&state).unwrap();
    assert_eq!(b.kv_seq_pos_max(0).unwrap(), Some(prompt.len() as i32 - 1));
    assert_eq!(a.logits(-1).unwrap(), b.logits(-1).unwrap());
    let file = common::scratch("state.bin");
    a.state_save_file(&file).unwrap();
    let mut c = Context::builder(&model).n_ctx(64).build().unwrap();
    c.state_load_file(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    assert_eq!(a.logits(-1).unwrap(), c.logits(-1).unwrap());
    let err = c.state_load(&state[..state.len() / 2]).expect_err("a truncated state is refused");
    assert_eq!(err.status(), Status::Format);
    assert_eq!(c.kv_seq_pos_max(0).unwrap(), Some(prompt.len() as i32 - 1), "left as it was");
}
