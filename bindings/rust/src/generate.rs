//! `Generation`: text generation as an iterator of UTF-8-safe pieces
//! (through a `Detokenizer`), the loop of `loom run`: sample, accept, stop at
//! end-of-generation, detokenize, decode the token, repeat.
use crate::batch::Batch;
use crate::context::Context;
use crate::detokenizer::Detokenizer;
use crate::error::{Error, Result};
use crate::sampler::Sampler;

/// Limits of a generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Most tokens to sample (the end-of-generation token included); None: no limit.
    pub max_tokens: Option<usize>,
    /// Stop at an end-of-generation token (it is sampled, not printed or decoded).
    pub stop_at_eog: bool,
    /// Emit special tokens' text ("<|im_end|>") instead of nothing.
    pub render_special: bool,
}

impl GenerateOptions {
    /// At most `n` tokens, stopping at end-of-generation (as `loom run -n N`).
    pub fn max_tokens(n: usize) -> GenerateOptions {
        GenerateOptions { max_tokens: Some(n), ..GenerateOptions::default() }
    }
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions { max_tokens: None, stop_at_eog: true, render_special: false }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Flushing,
    Done,
}

/// Yields `Result<String>` pieces, each non-empty and made of whole UTF-8
/// characters (a token ending inside a character is held back until the
/// next completes it). Bytes that can never be UTF-8 (a random model may
/// emit them) become U+FFFD here; `bytes()` gives them unchanged. After an
/// error the iterator ends.
pub struct Generation<'a> {
    ctx: &'a mut Context,
    sampler: &'a mut Sampler,
    detok: Detokenizer,
    batch: Batch,
    n_past: i32,
    options: GenerateOptions,
    tokens: Vec<i32>,
    hit_eog: bool,
    state: State,
    pending: Option<Error>,
}

impl<'a> Generation<'a> {
    pub(crate) fn new(
        ctx: &'a mut Context,
        sampler: &'a mut Sampler,
        n_past: i32,
        options: GenerateOptions,
    ) -> Result<Generation<'a>> {
        let model = ctx.model().clone();
        let detok = Detokenizer::new(&model, options.render_special)?;
        let batch = Batch::new(1)?;
        Ok(Generation {
            ctx,
            sampler,
            detok,
            batch,
            n_past,
            options,
            tokens: Vec::new(),
            hit_eog: false,
            state: State::Running,
            pending: None,
        })
    }

    /// The ids sampled so far (an end-of-generation token included).
    pub fn tokens(&self) -> &[i32] {
        &self.tokens
    }

    /// Whether the last sampled token ended the reply.
    pub fn hit_eog(&self) -> bool {
        self.hit_eog
    }

    /// Tokens in the cache (prompt and decoded generated tokens).
    pub fn n_past(&self) -> i32 {
        self.n_past
    }

    /// The same pieces as raw bytes, exactly what `loom run` prints.
    pub fn bytes(self) -> GenerationBytes<'a> {
        GenerationBytes(self)
    }

    /// The next non-empty piece of bytes, an error, or None at the end.
    pub fn next_bytes(&mut self) -> Option<Result<Vec<u8>>> {
        loop {
            if let Some(e) = self.pending.take() {
                self.state = State::Done;
                return Some(Err(e));
            }
            match self.state {
                State::Done => return None,
                State::Flushing => {
                    self.state = State::Done;
                    return match self.detok.flush() {
                        Ok(tail) if tail.is_empty() => None,
                        other => Some(other),
                    };
                }
                State::Running => {}
            }
            match self.step() {
                Ok(piece) if piece.is_empty() => continue,
                Ok(piece) => return Some(Ok(piece)),
                Err(e) => {
                    self.state = State::Done;
                    return Some(Err(e));
                }
            }
        }
    }

    /// One token: sample and accept it, detokenize it, decode it. A decode
    /// error is kept in `pending`, after the token's text.
    fn step(&mut self) -> Result<Vec<u8>> {
        if self.options.max_tokens.map_or(false, |n| self.tokens.len() >= n) {
            self.state = State::Flushing;
            return Ok(Vec::new());
        }
        let token = self.sampler.sample(&*self.ctx, -1)?;
        self.sampler.accept(token)?;
        self.tokens.push(token);
        if self.options.stop_at_eog && self.ctx.model().token_is_eog(token) {
            self.hit_eog = true;
            self.state = State::Flushing;
            return Ok(Vec::new());
        }
        let piece = self.detok.push(token)?;
        if self.n_past as u32 >= self.ctx.n_ctx() {
            self.state = State::Flushing; // the cache is full: stop here
            return Ok(piece);
        }
        self.batch.clear();
        let decoded = self.batch.add(token, self.n_past, 0, true).and_then(|_| self.ctx.decode(&self.batch));
        match decoded {
            Ok(()) => self.n_past += 1,
            Err(e) => self.pending = Some(e),
        }
        Ok(piece)
    }
}

impl<'a> std::fmt::Debug for Generation<'a> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generation").field("n_past", &self.n_past).field("tokens", &self.tokens).finish()
    }
}

impl<'a> Iterator for Generation<'a> {
    type Item = Result<String>;

    fn next(&mut self) -> Option<Result<String>> {
        self.next_bytes().map(|r| {
            r.map(|b| String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
        })
    }
}

/// `Generation::bytes()`: the pieces as raw bytes.
#[derive(Debug)]
pub struct GenerationBytes<'a>(Generation<'a>);

impl<'a> GenerationBytes<'a> {
    pub fn generation(&self) -> &Generation<'a> {
        &self.0
    }
}

impl<'a> Iterator for GenerationBytes<'a> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        self.0.next_bytes()
    }
}
