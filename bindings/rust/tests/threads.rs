//! Two threads, each with its own Context on one shared Model, give the same
//! tokens as one at a time.
mod common;

use loom::{Context, GenerateOptions, Model, Sampler};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

fn greedy_tokens(model: &Model, prompt: &str) -> Vec<i32> {
    let tokens = model.tokenize(prompt).unwrap();
    let mut ctx = Context::builder(model).n_ctx(128).n_threads(1).build().unwrap();
    let mut sampler = Sampler::greedy().unwrap();
    let mut generation = ctx.generate(&tokens, &mut sampler, GenerateOptions::max_tokens(24)).unwrap();
    for piece in &mut generation {
        piece.unwrap();
    }
    generation.tokens().to_vec()
}

#[test]
fn two_threads_share_one_model() {
    assert_send_sync::<Model>();
    assert_send::<Context>();
    assert_send::<loom::Batch>();
    assert_send::<loom::Sampler>();
    assert_send::<loom::Detokenizer>();

    let model = Model::load(common::model_path()).unwrap();
    let prompts = ["Once upon a time", "fn main() { println!("];
    let alone: Vec<Vec<i32>> = prompts.iter().map(|p| greedy_tokens(&model, p)).collect();
    assert_ne!(alone[0], alone[1]);
    for _round in 0..3 {
        let together: Vec<Vec<i32>> = std::thread::scope(|s| {
            let handles: Vec<_> = prompts.iter().map(|p| s.spawn(|| greedy_tokens(&model, p))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(together, alone);
    }
    // A clone moved into a plain thread keeps the model alive after the original is gone.
    let clone = model.clone();
    drop(model);
    let t = std::thread::spawn(move || greedy_tokens(&clone, prompts[0]));
    assert_eq!(t.join().unwrap(), alone[0]);
}
