//! `Model`: a loaded GGUF model, immutable and shared by any number of
//! threads and contexts (a cheap `Clone`: the last clone frees it).
use crate::error::{check, Error, Result, Status};
use crate::log::{self, LogFn, LogLevel};
use crate::sys;
use crate::util::{cstring, path_cstring, setters, sized_call, Guarded};
use std::alloc::{alloc, dealloc, Layout};
use std::ffi::CStr;
use std::os::raw::{c_int, c_void};
use std::path::Path;
use std::ptr::{self, NonNull};
use std::sync::Arc;

/// Which compute backend runs the model (loom_backend_kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Vulkan if a usable GPU exists, else the CPU (the default).
    Auto,
    Cpu,
    Vulkan,
}

/// Options of a model load; `Model::builder()` starts with loom's defaults.
pub struct ModelBuilder<'a> {
    use_mmap: bool,
    backend: Backend,
    device_index: i32,
    vocab_only: bool,
    weights_in_place: bool,
    load_threads: i32,
    progress: Option<Box<dyn FnMut(f32) -> bool + 'a>>,
    log: Option<Box<Box<LogFn>>>,
}

impl<'a> ModelBuilder<'a> {
    setters! {
        /// Map the file (default) or read it into memory.
        use_mmap(on: bool) => on;
        /// The compute backend (default `Backend::Auto`).
        backend(b: Backend) => b;
        /// The backend's device number (see `loom devices`); default -1: the backend's choice.
        device_index(index: i32) => index;
        /// Load only the metadata and the tokenizer (no weights, no contexts).
        vocab_only(on: bool) => on;
        /// Read every CPU weight in place from the file mapping (llama.cpp's
        /// `--no-repack`): pages shared with other processes, slower decode.
        /// Default `false`: the CPU copies the weights into its own
        /// (huge-page) memory where they fit.
        weights_in_place(on: bool) => on;
        /// Threads that copy the CPU weights at load, the loading thread
        /// included (started and stopped within the load). Default 0: the
        /// cores, at most 8; 1: the loading thread alone.
        load_threads(n: i32) => n;
    }
    /// Called on the loading thread with the fraction done (0..=1); return
    /// `false` to cancel the load (it then fails with `Status::Cancelled`).
    /// A panic inside cancels the load and is resumed after it returns.
    pub fn progress(mut self, f: impl FnMut(f32) -> bool + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// This model's own log sink (else the process-wide one): called from
    /// any thread inside a loom call on the model, for the model's life.
    pub fn log(mut self, f: impl Fn(LogLevel, &str) + Send + Sync + 'static) -> Self {
        self.log = Some(Box::new(Box::new(f)));
        self
    }

    /// Loads the GGUF file at `path` (UTF-8).
    pub fn load(self, path: impl AsRef<Path>) -> Result<Model> {
        let c_path = path_cstring(path.as_ref())?;
        // SAFETY: the path and params are valid for the call.
        self.load_with(None, |params, out| unsafe { sys::loom_model_load(c_path.as_ptr(), params, out) })
    }

    /// Loads a GGUF image from memory (e.g. a packed game asset). The bytes
    /// are copied once into a 64-byte-aligned buffer the model owns (loom
    /// reads its tensors in place, aligned as in a file).
    pub fn load_from_bytes(self, bytes: &[u8]) -> Result<Model> {
        let image = AlignedBytes::copy_of(bytes)?;
        let (data, size) = (image.ptr.as_ptr() as *const c_void, bytes.len());
        // SAFETY: the image stays valid and unchanged until the model is freed (ModelHandle owns it).
        self.load_with(Some(image), |params, out| unsafe { sys::loom_model_load_from_memory(data, size, params, out) })
    }

    fn load_with(
        self,
        image: Option<AlignedBytes>,
        load: impl FnOnce(&sys::loom_model_params, *mut *mut sys::loom_model) -> i32,
    ) -> Result<Model> {
        let mut params = default_model_params()?;
        params.use_mmap = self.use_mmap as i32;
        params.backend = match self.backend {
            Backend::Auto => sys::LOOM_BACKEND_AUTO,
            Backend::Cpu => sys::LOOM_BACKEND_CPU,
            Backend::Vulkan => sys::LOOM_BACKEND_VULKAN,
        };
        params.device_index = self.device_index;
        params.vocab_only = self.vocab_only as i32;
        params.weights_in_place = self.weights_in_place as i32;
        params.n_threads = self.load_threads;
        let mut guard = self.progress.map(Guarded::new);
        if let Some(g) = guard.as_mut() {
            params.progress = Some(progress_trampoline);
            params.progress_user_data = g as *mut Guarded<dyn FnMut(f32) -> bool + 'a> as *mut c_void;
        }
        if let Some(log) = self.log.as_ref() {
            params.log = Some(log::model_trampoline);
            params.log_user_data = &**log as *const Box<LogFn> as *mut c_void;
        }
        let mut out = ptr::null_mut();
        let result = check(load(&params, &mut out)); // `guard` outlives the call
        if let Some(g) = guard.as_mut() {
            g.resume_panic();
        }
        result?;
        let ptr = NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "loading gave a NULL model"))?;
        Ok(Model { inner: Arc::new(ModelHandle { ptr, _log: self.log, _image: image }) })
    }
}

/// A heap copy of a GGUF image, aligned like a mapped file's start.
struct AlignedBytes {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl AlignedBytes {
    fn copy_of(bytes: &[u8]) -> Result<AlignedBytes> {
        let oom =
            || Error::new(Status::OutOfMemory, format!("cannot allocate {} bytes for the model image", bytes.len()));
        let layout = Layout::from_size_align(bytes.len().max(1), 64).map_err(|_| oom())?;
        // SAFETY: the layout has a non-zero size; the copy stays inside it.
        let ptr = NonNull::new(unsafe { alloc(layout) }).ok_or_else(oom)?;
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), bytes.len()) };
        Ok(AlignedBytes { ptr, layout })
    }
}

impl Drop for AlignedBytes {
    fn drop(&mut self) {
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

unsafe extern "C" fn progress_trampoline(user_data: *mut c_void, fraction: f32) -> c_int {
    // SAFETY: user_data is the Guarded set up in ModelBuilder::load, alive during the load.
    let g = &mut *(user_data as *mut Guarded<dyn FnMut(f32) -> bool>);
    g.call(1, |f| if f(fraction) { 0 } else { 1 })
}

fn default_model_params() -> Result<sys::loom_model_params> {
    // SAFETY: the struct is plain data; the library fills `size` bytes.
    unsafe {
        let mut p: sys::loom_model_params = std::mem::zeroed();
        check(sys::loom_model_default_params_sized(&mut p, std::mem::size_of::<sys::loom_model_params>()))?;
        Ok(p)
    }
}

pub(crate) struct ModelHandle {
    ptr: NonNull<sys::loom_model>,
    // Freed after the model (Drop runs before the fields drop).
    _log: Option<Box<Box<LogFn>>>,
    _image: Option<AlignedBytes>,
}

// SAFETY: a loom_model (and the image it reads) is immutable after loading and may be used by any
// number of threads at once (loom.h, "Thread safety").
unsafe impl Send for ModelHandle {}
unsafe impl Sync for ModelHandle {}

impl Drop for ModelHandle {
    fn drop(&mut self) {
        // SAFETY: the last owner; contexts and detokenizers hold a clone.
        unsafe { sys::loom_model_free(self.ptr.as_ptr()) }
    }
}

/// A loaded model. `Send + Sync`: share it (or clones of it) between threads;
/// each thread makes its own `Context`. Contexts and detokenizers keep the
/// model alive.
#[derive(Clone)]
pub struct Model {
    inner: Arc<ModelHandle>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("ptr", &self.raw())
            .field("backend", &self.backend_name())
            .field("n_vocab", &self.n_vocab())
            .field("n_layer", &self.n_layer())
            .finish()
    }
}

/// What kind of chat template the model carries (loom_chat_kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatKind {
    None,
    ChatMl,
    Other,
    Unknown(i32),
}

/// A token's kind in the vocabulary (loom_token_type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    Undefined,
    Normal,
    Unknown,
    Control,
    UserDefined,
    Unused,
    Byte,
    Other(i32),
}

fn opt_id(id: i32) -> Option<i32> {
    if id < 0 {
        None
    } else {
        Some(id)
    }
}

impl Model {
    /// A builder with loom's default load options.
    pub fn builder<'a>() -> ModelBuilder<'a> {
        ModelBuilder {
            use_mmap: true,
            backend: Backend::Auto,
            device_index: -1,
            vocab_only: false,
            weights_in_place: false,
            load_threads: 0,
            progress: None,
            log: None,
        }
    }

    /// Loads `path` with the default options.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        Model::builder().load(path)
    }

    pub(crate) fn raw(&self) -> *const sys::loom_model {
        self.inner.ptr.as_ptr()
    }

    pub fn n_vocab(&self) -> i32 {
        unsafe { sys::loom_model_n_vocab(self.raw()) }
    }
    pub fn n_embd(&self) -> i32 {
        unsafe { sys::loom_model_n_embd(self.raw()) }
    }
    pub fn n_layer(&self) -> i32 {
        unsafe { sys::loom_model_n_layer(self.raw()) }
    }
    pub fn n_ctx_train(&self) -> i32 {
        unsafe { sys::loom_model_n_ctx_train(self.raw()) }
    }
    /// "cpu", "vulkan", "vulkan+cpu" (a partial offload), or "none" for a vocab-only model.
    pub fn backend_name(&self) -> String {
        unsafe { CStr::from_ptr(sys::loom_model_backend_name(self.raw())) }.to_string_lossy().into_owned()
    }

    /// Tokens of `text`, special-token texts ("<|im_start|>") parsed, NFC-normalized.
    pub fn tokenize(&self, text: &str) -> Result<Vec<i32>> {
        self.tokenize_bytes(text.as_bytes(), true, true)
    }

    /// Tokens of any bytes: `parse_special` matches special-token texts
    /// (LOOM_TOKENIZE_PARSE_SPECIAL), `nfc` normalizes (off: LOOM_TOKENIZE_NO_NFC).
    pub fn tokenize_bytes(&self, text: &[u8], parse_special: bool, nfc: bool) -> Result<Vec<i32>> {
        let flags = if parse_special { sys::LOOM_TOKENIZE_PARSE_SPECIAL } else { 0 }
            | if nfc { 0 } else { sys::LOOM_TOKENIZE_NO_NFC };
        sized_call(text.len() / 2 + 16, |buf, cap, n| unsafe {
            sys::loom_tokenize(self.raw(), text.as_ptr().cast(), text.len(), flags, buf, cap, n)
        })
    }

    /// The bytes `token` stands for (may be part of a UTF-8 character; use a
    /// `Detokenizer` for streams). Special tokens give their text.
    pub fn token_to_piece(&self, token: i32) -> Result<Vec<u8>> {
        let piece: Vec<u8> = sized_call(64, |buf: *mut u8, cap, n| unsafe {
            sys::loom_token_to_piece(self.raw(), token, buf.cast(), cap, n)
        })?;
        Ok(piece)
    }

    /// The token whose text is exactly `text`, e.g. "<|im_start|>".
    pub fn token_find(&self, text: &str) -> Result<i32> {
        let c = cstring("the token text", text)?;
        let mut id = 0;
        check(unsafe { sys::loom_token_find(self.raw(), c.as_ptr(), &mut id) })?;
        Ok(id)
    }

    pub fn token_type(&self, token: i32) -> TokenType {
        match unsafe { sys::loom_token_type_of(self.raw(), token) } {
            sys::LOOM_TOKEN_TYPE_UNDEFINED => TokenType::Undefined,
            sys::LOOM_TOKEN_TYPE_NORMAL => TokenType::Normal,
            sys::LOOM_TOKEN_TYPE_UNKNOWN => TokenType::Unknown,
            sys::LOOM_TOKEN_TYPE_CONTROL => TokenType::Control,
            sys::LOOM_TOKEN_TYPE_USER_DEFINED => TokenType::UserDefined,
            sys::LOOM_TOKEN_TYPE_UNUSED => TokenType::Unused,
            sys::LOOM_TOKEN_TYPE_BYTE => TokenType::Byte,
            other => TokenType::Other(other),
        }
    }
    pub fn token_is_special(&self, token: i32) -> bool {
        unsafe { sys::loom_token_is_special(self.raw(), token) != 0 }
    }
    /// True if `token` ends a reply (eos, eot, <|im_end|>, <|endoftext|>, ...).
    pub fn token_is_eog(&self, token: i32) -> bool {
        unsafe { sys::loom_token_is_eog(self.raw(), token) != 0 }
    }
    pub fn token_bos(&self) -> Option<i32> {
        opt_id(unsafe { sys::loom_token_bos(self.raw()) })
    }
    pub fn token_eos(&self) -> Option<i32> {
        opt_id(unsafe { sys::loom_token_eos(self.raw()) })
    }
    pub fn token_pad(&self) -> Option<i32> {
        opt_id(unsafe { sys::loom_token_pad(self.raw()) })
    }
    /// The end-of-generation ids, ascending.
    pub fn eog_tokens(&self) -> Result<Vec<i32>> {
        sized_call(16, |buf, cap, n| unsafe { sys::loom_model_eog_tokens(self.raw(), buf, cap, n) })
    }

    pub fn chat_template_kind(&self) -> Result<ChatKind> {
        let mut kind = 0;
        check(unsafe { sys::loom_chat_template_kind(self.raw(), &mut kind) })?;
        Ok(match kind {
            sys::LOOM_CHAT_KIND_NONE => ChatKind::None,
            sys::LOOM_CHAT_KIND_CHATML => ChatKind::ChatMl,
            sys::LOOM_CHAT_KIND_OTHER => ChatKind::Other,
            other => ChatKind::Unknown(other),
        })
    }

    /// A string value of the GGUF metadata, e.g. "general.architecture".
    pub fn meta_string(&self, key: &str) -> Result<String> {
        let c = cstring("the key", key)?;
        let (mut s, mut len) = (ptr::null(), 0usize);
        // SAFETY: the gguf handle lives as long as the model; the bytes are copied at once.
        unsafe {
            check(sys::loom_gguf_get_string(sys::loom_model_gguf(self.raw()), c.as_ptr(), &mut s, &mut len))?;
            Ok(String::from_utf8_lossy(std::slice::from_raw_parts(s.cast::<u8>(), len)).into_owned())
        }
    }

    /// An integer value of the GGUF metadata (any integer type).
    pub fn meta_int(&self, key: &str) -> Result<i64> {
        let c = cstring("the key", key)?;
        let mut v = 0i64;
        check(unsafe { sys::loom_gguf_get_int(sys::loom_model_gguf(self.raw()), c.as_ptr(), &mut v) })?;
        Ok(v)
    }
}
