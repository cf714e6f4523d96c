//! `Context`: an inference context (KV cache, work buffers) over a `Model`.
//! `Send` but not `Sync`: one thread uses it at a time; many contexts may
//! share one model from their own threads.
use crate::batch::Batch;
use crate::error::{check, Error, Result, Status};
use crate::generate::{GenerateOptions, Generation};
use crate::model::Model;
use crate::sampler::Sampler;
use crate::sys;
use crate::util::{path_cstring, setters, sized_call, Guarded};
use std::os::raw::{c_int, c_void};
use std::path::Path;
use std::ptr::{self, NonNull};

/// KV cache element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvType {
    F16,
    F32,
    Q8_0,
}

/// How quantized matmuls treat activations (loom_matmul_precision).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// f32 accuracy on the dequantized weights, about twice the work.
    Exact,
    /// One 8-bit pass per activation block (the default; llama.cpp's method).
    Fast,
}

type AbortFn = dyn FnMut() -> bool + Send;

/// Options of a new context; unset ones keep loom's defaults.
pub struct ContextBuilder {
    model: Model,
    n_ctx: Option<u32>,
    n_batch: Option<u32>,
    n_seq_max: Option<u32>,
    n_threads: Option<i32>,
    kv_type: Option<KvType>,
    embeddings: bool,
    precision: Option<Precision>,
    abort: Option<Box<AbortFn>>,
}

impl ContextBuilder {
    setters! {
        /// KV cache cells (tokens over all sequences); 0: min(4096, training length).
        n_ctx(n: u32) => Some(n);
        /// Most tokens one decode may carry (default 512, at most n_ctx).
        n_batch(n: u32) => Some(n);
        /// Distinct sequence ids allowed (default 1).
        n_seq_max(n: u32) => Some(n);
        /// CPU threads; 0 (default): the number of cores, at most 8.
        n_threads(n: i32) => Some(n);
        /// KV cache element type (default F16).
        kv_type(t: KvType) => Some(t);
        /// Keep the last hidden state per output (`Context::embeddings`).
        embeddings(on: bool) => on;
        /// Matmul precision (default `Precision::Fast`).
        precision(p: Precision) => Some(p);
    }
    /// Checked between ops during every decode, on the decoding thread:
    /// return `true` to stop (the decode fails with `Status::Cancelled`, the
    /// cache keeps what was complete before the batch). A panic inside stops
    /// the decode and is resumed when `decode` returns.
    pub fn abort(mut self, f: impl FnMut() -> bool + Send + 'static) -> Self {
        self.abort = Some(Box::new(f));
        self
    }

    pub fn build(self) -> Result<Context> {
        let mut p: sys::loom_context_params = unsafe { std::mem::zeroed() };
        check(unsafe {
            sys::loom_context_default_params_sized(&mut p, std::mem::size_of::<sys::loom_context_params>())
        })?;
        p.n_ctx = self.n_ctx.unwrap_or(p.n_ctx);
        p.n_batch = self.n_batch.unwrap_or(p.n_batch);
        p.n_seq_max = self.n_seq_max.unwrap_or(p.n_seq_max);
        p.n_threads = self.n_threads.unwrap_or(p.n_threads);
        p.kv_type = self.kv_type.map_or(p.kv_type, |t| match t {
            KvType::F16 => sys::LOOM_TYPE_F16,
            KvType::F32 => sys::LOOM_TYPE_F32,
            KvType::Q8_0 => sys::LOOM_TYPE_Q8_0,
        });
        p.embeddings = self.embeddings as i32;
        p.matmul_precision = self.precision.map_or(p.matmul_precision, |pr| match pr {
            Precision::Exact => sys::LOOM_MATMUL_EXACT,
            Precision::Fast => sys::LOOM_MATMUL_FAST,
        });
        // Boxed twice: the Guarded's address (the C user data) stays put when the Context moves.
        let mut abort = self.abort.map(|f| Box::new(Guarded::new(f)));
        if let Some(g) = abort.as_mut() {
            p.abort_callback = Some(abort_trampoline);
            p.abort_user_data = &mut **g as *mut Guarded<AbortFn> as *mut c_void;
        }
        let mut out = ptr::null_mut();
        check(unsafe { sys::loom_context_new(self.model.raw(), &p, &mut out) })?;
        let ptr = NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "loom_context_new gave NULL"))?;
        Ok(Context { ptr, n_batch: p.n_batch, _abort: abort, model: self.model })
    }
}

unsafe extern "C" fn abort_trampoline(user_data: *mut c_void) -> c_int {
    // SAFETY: user_data is the Context's boxed Guarded, alive as long as the context.
    let g = &mut *(user_data as *mut Guarded<AbortFn>);
    g.call(1, |f| f() as c_int)
}

/// An inference context. `Send`, not `Sync` (one thread at a time):
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<loom::Context>();
/// ```
pub struct Context {
    ptr: NonNull<sys::loom_context>,
    n_batch: u32,
    // Field order: the context is freed (Drop) before the closure and the model.
    _abort: Option<Box<Guarded<AbortFn>>>,
    model: Model,
}

// SAFETY: a loom_context may be used from any thread, one at a time. It is
// not Sync: &Context methods (logits, sampling) must not run concurrently.
unsafe impl Send for Context {}

/// Which entries of `Context::decode_tokens` get logits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logits {
    Last,
    All,
}

impl Context {
    /// Options for a new context over `model` (which it keeps alive).
    pub fn builder(model: &Model) -> ContextBuilder {
        ContextBuilder {
            model: model.clone(),
            n_ctx: None,
            n_batch: None,
            n_seq_max: None,
            n_threads: None,
            kv_type: None,
            embeddings: false,
            precision: None,
            abort: None,
        }
    }

    /// A context with loom's default options.
    pub fn new(model: &Model) -> Result<Context> {
        Context::builder(model).build()
    }

    pub(crate) fn raw(&self) -> *mut sys::loom_context {
        self.ptr.as_ptr()
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// KV capacity in tokens.
    pub fn n_ctx(&self) -> u32 {
        unsafe { sys::loom_context_n_ctx(self.raw()) }
    }

    /// Most tokens per decode (as asked; loom caps it at n_ctx).
    pub fn n_batch(&self) -> u32 {
        self.n_batch.min(self.n_ctx()).max(1)
    }

    /// Runs the model over every entry of `batch` (see loom_decode).
    pub fn decode(&mut self, batch: &Batch) -> Result<()> {
        let result = check(unsafe { sys::loom_decode(self.raw(), batch.raw()) });
        if let Some(g) = self._abort.as_mut() {
            g.resume_panic();
        }
        result
    }

    /// Decodes `tokens` at positions start_pos.. of sequence `seq_id`, in
    /// chunks of n_batch, with logits for the last token or for all.
    pub fn decode_tokens(&mut self, tokens: &[i32], start_pos: i32, seq_id: i32, logits: Logits) -> Result<()> {
        let chunk = self.n_batch() as usize;
        let mut batch = Batch::new(chunk.min(tokens.len()).max(1) as i32)?;
        for (c, part) in tokens.chunks(chunk).enumerate() {
            batch.clear();
            for (j, &t) in part.iter().enumerate() {
                let i = c * chunk + j;
                let want = logits == Logits::All || i + 1 == tokens.len();
                batch.add(t, start_pos + i as i32, seq_id, want)?;
            }
            self.decode(&batch)?;
        }
        Ok(())
    }

    /// Logits (n_vocab floats) of batch entry `i` of the last decode (-1:
    /// the last entry that asked). Valid until the next decode.
    pub fn logits(&self, i: i32) -> Result<&[f32]> {
        let mut p = ptr::null();
        check(unsafe { sys::loom_get_logits(self.raw(), i, &mut p) })?;
        Ok(unsafe { std::slice::from_raw_parts(p, self.model.n_vocab() as usize) })
    }

    /// Last hidden state (n_embd floats) of entry `i`; needs `embeddings(true)`.
    pub fn embeddings(&self, i: i32) -> Result<&[f32]> {
        let mut p = ptr::null();
        check(unsafe { sys::loom_get_embeddings(self.raw(), i, &mut p) })?;
        Ok(unsafe { std::slice::from_raw_parts(p, self.model.n_embd() as usize) })
    }

    /// Drops every cached token of every sequence.
    pub fn kv_clear(&mut self) {
        unsafe { sys::loom_kv_clear(self.raw()) }
    }
    /// Drops positions [p0, p1) of `seq_id` (p1 < 0: to the end; seq_id < 0: all sequences).
    pub fn kv_seq_remove(&mut self, seq_id: i32, p0: i32, p1: i32) -> Result<()> {
        check(unsafe { sys::loom_kv_seq_remove(self.raw(), seq_id, p0, p1) })
    }
    /// Makes positions [p0, p1) of `src` also belong to `dst`.
    pub fn kv_seq_copy(&mut self, src: i32, dst: i32, p0: i32, p1: i32) -> Result<()> {
        check(unsafe { sys::loom_kv_seq_copy(self.raw(), src, dst, p0, p1) })
    }
    /// Highest cached position of `seq_id`, None if the sequence is empty.
    pub fn kv_seq_pos_max(&self, seq_id: i32) -> Result<Option<i32>> {
        let mut pos = -1;
        check(unsafe { sys::loom_kv_seq_pos_max(self.raw(), seq_id, &mut pos) })?;
        Ok(if pos < 0 { None } else { Some(pos) })
    }

    /// The KV cache and last logits, to resume later with `state_load`.
    pub fn state_save(&self) -> Result<Vec<u8>> {
        sized_call(0, |buf: *mut u8, cap, n| unsafe { sys::loom_state_save(self.raw(), buf.cast(), cap, n) })
    }
    pub fn state_load(&mut self, state: &[u8]) -> Result<()> {
        check(unsafe { sys::loom_state_load(self.raw(), state.as_ptr().cast(), state.len()) })
    }
    pub fn state_save_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let c = path_cstring(path.as_ref())?;
        check(unsafe { sys::loom_state_save_file(self.raw(), c.as_ptr()) })
    }
    pub fn state_load_file(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let c = path_cstring(path.as_ref())?;
        check(unsafe { sys::loom_state_load_file(self.raw(), c.as_ptr()) })
    }

    /// Decodes `prompt` from position 0 of sequence 0, replacing what the
    /// sequence held (the sampler accepts
    /// the prompt tokens first, for its penalty window), then returns the
    /// generation: an iterator over text pieces, sampling and decoding one
    /// token at a time until `options.max_tokens`, end-of-generation or a
    /// full cache. Errors of the prompt decode (e.g. `Cancelled` from the
    /// abort callback) are returned here.
    pub fn generate<'a>(
        &'a mut self,
        prompt: &[i32],
        sampler: &'a mut Sampler,
        options: GenerateOptions,
    ) -> Result<Generation<'a>> {
        if prompt.is_empty() {
            return Err(Error::new(Status::InvalidArgument, "the prompt has no tokens"));
        }
        self.kv_seq_remove(0, 0, -1)?;
        for &t in prompt {
            sampler.accept(t)?;
        }
        self.decode_tokens(prompt, 0, 0, Logits::Last)?;
        Generation::new(self, sampler, prompt.len() as i32, options)
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("ptr", &self.ptr)
            .field("n_ctx", &self.n_ctx())
            .field("model", &self.model)
            .finish()
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        unsafe { sys::loom_context_free(self.ptr.as_ptr()) }
    }
}
