//! The binding adds no behaviour: text, token ids, logits, chat and FIM
//! prompts equal what the C API gives through the `loom` CLI of the same build.
mod common;

use common::{cli, model_path, scratch};
use loom::{ChatMessage, ChatOptions, Context, Detokenizer, GenerateOptions, Logits, Model, Sampler};

fn model() -> Model {
    Model::load(model_path()).expect("load the tiny model")
}

fn rust_generate(model: &Model, prompt: &str, n: usize) -> (Vec<u8>, String, Vec<i32>) {
    let tokens = model.tokenize(prompt).unwrap();
    let (mut ctx, mut sampler) = (Context::new(model).unwrap(), Sampler::greedy().unwrap());
    let mut bytes_gen = ctx.generate(&tokens, &mut sampler, GenerateOptions::max_tokens(n)).unwrap().bytes();
    let mut bytes = Vec::new();
    for piece in &mut bytes_gen {
        bytes.extend(piece.unwrap());
    }
    let ids = bytes_gen.generation().tokens().to_vec();
    let (mut ctx, mut sampler) = (Context::new(model).unwrap(), Sampler::greedy().unwrap());
    let text: String =
        ctx.generate(&tokens, &mut sampler, GenerateOptions::max_tokens(n)).unwrap().map(|p| p.unwrap()).collect();
    (bytes, text, ids)
}

#[test]
fn greedy_text_equals_loom_run() {
    let model = model();
    let path = model_path();
    // "Once upon a time" makes this random model emit bytes that are not UTF-8 (the
    // String pieces show U+FFFD there, the byte pieces are loom run's output).
    let cases =
        [("Hello world", 24), ("The quick brown fox", 40), ("<|im_start|>user\n日本語", 16), ("Once upon a time", 120)];
    let mut saw_invalid_utf8 = false;
    for (prompt, n) in cases {
        let (bytes, text, ids) = rust_generate(&model, prompt, n);
        let (ok, out, err) =
            cli(&["run", "-m", path.to_str().unwrap(), "-p", prompt, "-n", &n.to_string(), "--temp", "0"], b"");
        assert!(ok, "loom run failed: {err}");
        let mut expect = prompt.as_bytes().to_vec();
        expect.extend(&bytes);
        expect.push(b'\n');
        assert_eq!(out, expect, "prompt {prompt:?}");
        assert_eq!(text, String::from_utf8_lossy(&bytes), "the String pieces are the bytes");
        assert!(!ids.is_empty() && ids.len() <= n);
        saw_invalid_utf8 |= std::str::from_utf8(&bytes).is_err();
    }
    assert!(saw_invalid_utf8, "one case covers bytes that are not UTF-8");
}

#[test]
fn token_ids_equal_loom_tokenize() {
    let model = model();
    let path = model_path();
    for text in ["Hello world", "<|im_start|>user\nhé llo<|im_end|>", "e\u{301}t\u{e9} 世界 🎉  \t\n x", ""] {
        let ids = model.tokenize(text).unwrap();
        let (ok, out, err) = cli(&["tokenize", "-m", path.to_str().unwrap()], text.as_bytes());
        assert!(ok, "loom tokenize failed: {err}");
        let expect: Vec<i32> = String::from_utf8(out).unwrap().lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(ids, expect, "text {text:?}");
    }
    // Without special-token parsing "<|im_end|>" is plain text.
    let plain = model.tokenize_bytes(b"<|im_end|>", false, true).unwrap();
    assert!(plain.len() > 1);
    assert_eq!(model.tokenize("<|im_end|>").unwrap(), vec![model.token_find("<|im_end|>").unwrap()]);
}

#[test]
fn logits_equal_loom_logits() {
    let model = model();
    let tokens = model.tokenize("Logits at a few positions of a short prompt, compared bit for bit").unwrap();
    let n = tokens.len();
    let out_file = scratch("logits.f32");
    let ids: String = tokens.iter().map(|t| format!("{t} ")).collect();
    let (ok, _, err) =
        cli(&["logits", "-m", model_path().to_str().unwrap(), "-o", out_file.to_str().unwrap()], ids.as_bytes());
    assert!(ok, "loom logits failed: {err}");
    let raw = std::fs::read(&out_file).unwrap();
    let _ = std::fs::remove_file(&out_file);
    let n_vocab = model.n_vocab() as usize;
    assert_eq!(raw.len(), n * n_vocab * 4);
    // As loom logits: n_ctx max(64, n), one batch, logits for every entry.
    let mut ctx = Context::builder(&model).n_ctx(64.max(n as u32)).n_batch(n as u32).build().unwrap();
    ctx.decode_tokens(&tokens, 0, 0, Logits::All).unwrap();
    for pos in [0, n / 2, n - 1] {
        let row = ctx.logits(pos as i32).unwrap();
        assert_eq!(row.len(), n_vocab);
        let expect = &raw[pos * n_vocab * 4..(pos + 1) * n_vocab * 4];
        let same = row.iter().zip(expect.chunks(4)).all(|(a, b)| a.to_le_bytes() == [b[0], b[1], b[2], b[3]]);
        assert!(same, "logits of position {pos} differ from loom logits");
    }
}

#[test]
fn chat_and_fim_prompts_equal_the_c_api() {
    let model = model();
    let messages = [ChatMessage::system("Be brief."), ChatMessage::user("hi \"there\""), ChatMessage::assistant("ok")];
    let text = model.chat_apply(&messages, ChatOptions { add_generation_prompt: true, force_chatml: false }).unwrap();
    let json = r#"[{"role":"system","content":"Be brief."},{"role":"user","content":"hi \"there\""},{"role":"assistant","content":"ok"}]"#;
    let (ok, out, err) = cli(&["chat-template", "-m", model_path().to_str().unwrap()], json.as_bytes());
    assert!(ok, "loom chat-template failed: {err}");
    assert_eq!(text.as_bytes(), &out[..]);
    assert!(text.ends_with("<|im_start|>assistant\n"));
    assert_eq!(model.chat_template_kind().unwrap(), loom::ChatKind::ChatMl);
    // No tools: the same prompt; tools with Qwen2's template (the tiny model's): refused.
    let opts = ChatOptions { add_generation_prompt: true, force_chatml: false };
    assert_eq!(model.chat_apply_tools(&messages, &[], Some("[]"), opts).unwrap(), text);
    let tools = r#"[{"type": "function", "function": {"name": "f"}}]"#;
    let err = model.chat_apply_tools(&messages, &[], Some(tools), opts).unwrap_err();
    assert_eq!(err.status(), loom::Status::Unsupported, "{err}");

    assert_eq!(model.fim_prompt("def f(", "\n").unwrap(), "<|fim_prefix|>def f(<|fim_suffix|>\n<|fim_middle|>");
    let repo = model.fim_repo_prompt("r", &[("a.py", "x = 1\n")], "b.py", "p", "s").unwrap();
    assert_eq!(
        repo,
        "<|repo_name|>r\n<|file_sep|>a.py\nx = 1\n<|file_sep|>b.py\n<|fim_prefix|>p<|fim_suffix|>s<|fim_middle|>"
    );
}

#[test]
fn detokenizer_releases_whole_characters() {
    let model = model();
    let text = "héllo 世界 🎉 done";
    let ids = model.tokenize(text).unwrap();
    let mut detok = Detokenizer::new(&model, false).unwrap();
    let mut all = Vec::new();
    for &id in &ids {
        let piece = detok.push(id).unwrap();
        assert!(std::str::from_utf8(&piece).is_ok(), "piece {piece:?} is not whole UTF-8");
        all.extend(piece);
        assert!(!model.token_to_piece(id).unwrap().is_empty());
    }
    all.extend(detok.flush().unwrap());
    assert_eq!(String::from_utf8(all).unwrap(), text);
    // Special tokens: nothing unless rendered.
    let end = model.token_find("<|im_end|>").unwrap();
    assert!(detok.push(end).unwrap().is_empty());
    let mut render = Detokenizer::new(&model, true).unwrap();
    assert_eq!(render.push(end).unwrap(), b"<|im_end|>");
    assert!(model.token_is_eog(end) && model.token_is_special(end));
    assert!(model.eog_tokens().unwrap().contains(&end));
}

#[test]
fn model_from_bytes_equals_model_from_file() {
    let bytes = std::fs::read(model_path()).unwrap();
    let from_bytes = Model::builder().load_from_bytes(&bytes).unwrap();
    drop(bytes); // the model keeps its own copy
    let prompt = "From memory";
    assert_eq!(rust_generate(&from_bytes, prompt, 12), rust_generate(&model(), prompt, 12));
    let err = Model::builder().load_from_bytes(b"GGUF but not really").err().unwrap();
    assert_eq!(err.status(), loom::Status::Format);
}

#[test]
fn model_facts() {
    let model = model();
    assert_eq!(model.n_vocab(), 151936);
    assert_eq!(model.n_embd(), 256);
    assert_eq!(model.n_layer(), 2);
    assert_eq!(model.meta_string("general.architecture").unwrap(), "qwen2");
    let v = loom::version();
    assert_eq!(loom::version_string(), format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100));
}
