//! generate MODEL PROMPT N: prints what `loom run -m MODEL -p PROMPT -n N --temp 0`
//! prints: the prompt, its greedy continuation of at most N tokens (stopping
//! at end-of-generation; N < 0: no limit) and a newline. Nothing else.
use loom::{Context, GenerateOptions, Model, Sampler};
use std::io::Write;
use std::process::exit;

fn run(model_path: &str, prompt: &str, n: i64) -> loom::Result<()> {
    let model = Model::load(model_path)?;
    let tokens = model.tokenize(prompt)?;
    let mut ctx = Context::new(&model)?;
    let mut sampler = Sampler::greedy()?;
    let options = GenerateOptions { max_tokens: usize::try_from(n).ok(), ..GenerateOptions::default() };
    let generation = ctx.generate(&tokens, &mut sampler, options)?;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(prompt.as_bytes());
    let mut result = Ok(());
    // Raw bytes, not String pieces: a random model may emit bytes that are not UTF-8.
    for piece in generation.bytes() {
        match piece {
            Ok(bytes) => {
                let _ = out.write_all(&bytes);
                let _ = out.flush();
            }
            Err(e) => result = Err(e),
        }
    }
    let _ = out.write_all(b"\n");
    let _ = out.flush();
    result
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = args.get(3).and_then(|s| s.parse::<i64>().ok());
    let (path, prompt, n) = match (args.len(), n) {
        (4, Some(n)) if !args[2].is_empty() => (&args[1], &args[2], n),
        _ => {
            eprintln!("usage: generate MODEL PROMPT N");
            exit(2);
        }
    };
    if let Err(e) = run(path, prompt, n) {
        eprintln!("generate: error: {e}");
        exit(1);
    }
}
