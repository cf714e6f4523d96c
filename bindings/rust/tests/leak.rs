//! No leak over 1,000 create/free cycles of every handle: resident memory
//! (/proc/self/statm) after the cycles stays within a small bound of what it
//! was after a warm-up. Its own test binary, so no other test allocates meanwhile.
#![cfg(target_os = "linux")] // /proc/self/statm, glibc's malloc_trim

mod common;

use loom::{Batch, Context, Detokenizer, Model, Sampler};

extern "C" {
    fn sysconf(name: i32) -> i64;
    fn malloc_trim(pad: usize) -> i32; // glibc
}
const SC_PAGESIZE: i32 = 30; // Linux

/// Resident bytes, after glibc has handed its free heap back to the kernel
/// (else RSS swings by tens of MiB with what malloc keeps after a model load).
fn rss_bytes() -> u64 {
    unsafe { malloc_trim(0) };
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * unsafe { sysconf(SC_PAGESIZE) } as u64
}

/// One of each handle; every tenth cycle also decodes and samples
/// (a decode costs ~10 ms of logits over the 152k vocabulary).
fn cycle(model: &Model, token: i32, decode: bool) {
    let mut ctx = Context::builder(model).n_ctx(64).n_threads(1).abort(|| false).build().unwrap();
    let mut batch = Batch::new(4).unwrap();
    batch.add(token, 0, 0, true).unwrap();
    let mut sampler = Sampler::builder().top_k(8).temperature(0.7).dist(7).build().unwrap();
    let mut detok = Detokenizer::new(model, false).unwrap();
    if decode {
        ctx.decode(&batch).unwrap();
        let next = sampler.sample(&ctx, -1).unwrap();
        detok.push(next).unwrap();
    }
    // A failing call too: its error must not leak either.
    assert!(Sampler::builder().top_k(0).build().is_err());
}

#[test]
fn no_leak_over_1000_cycles() {
    let model = Model::load(common::model_path()).unwrap();
    let token = model.tokenize("Hi").unwrap()[0];
    for i in 0..100 {
        cycle(&model, token, i % 10 == 0);
    }
    let t0 = std::time::Instant::now();
    let before = rss_bytes();
    for i in 0..1000 {
        cycle(&model, token, i % 10 == 0);
    }
    let after = rss_bytes();
    let growth = after.saturating_sub(before);
    eprintln!("rss before {} KiB, after 1000 cycles {} KiB ({:?})", before / 1024, after / 1024, t0.elapsed());
    // A leak of one KV cache (64 cells) or one detokenizer per cycle would be several MiB.
    assert!(growth < 2 << 20, "RSS grew by {growth} bytes over 1000 cycles");

    // Model loads (vocabulary only: the tokenizer, ~20 MiB, is the big part)
    // and clones. RSS swings by ~20 MiB from load to load with what the test
    // thread's malloc arena keeps, so compare the lowest of the first and of
    // the last four loads: a leaked tokenizer per load would add ~150 MiB.
    let path = common::model_path();
    let mut rss = Vec::new();
    for _ in 0..12 {
        let m = Model::builder().vocab_only(true).load(&path).unwrap();
        let c = m.clone();
        drop(m);
        assert_eq!(c.tokenize("Hi").unwrap()[0], token);
        drop(c);
        rss.push(rss_bytes());
    }
    let (first, last) = (rss[..4].iter().min().unwrap(), rss[8..].iter().min().unwrap());
    let growth = last.saturating_sub(*first);
    eprintln!(
        "12 model loads: lowest RSS of the first four {} KiB, of the last four {} KiB",
        first / 1024,
        last / 1024
    );
    assert!(growth < 16 << 20, "RSS grew by {growth} bytes over 12 model loads");
}
