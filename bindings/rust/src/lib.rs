//! Safe Rust binding of loom (include/loom.h): load a GGUF model, tokenize,
//! decode, sample and stream text.
//!
//! ```no_run
//! use loom::{Context, GenerateOptions, Model, Sampler};
//! # fn main() -> loom::Result<()> {
//! let model = Model::load("model.gguf")?;
//! let mut ctx = Context::new(&model)?;
//! let mut sampler = Sampler::greedy()?;
//! let prompt = model.tokenize("The capital of France is")?;
//! for piece in ctx.generate(&prompt, &mut sampler, GenerateOptions::max_tokens(16))? {
//!     print!("{}", piece?);
//! }
//! # Ok(()) }
//! ```
//!
//! Threads: `Model` is `Send + Sync` (share it, clone it: clones are cheap);
//! `Context`, `Batch`, `Sampler` and `Detokenizer` are `Send`, used by one
//! thread at a time. Every fallible call returns `loom::Result`, whose
//! `Error` carries the `Status` and loom's message.

mod batch;
mod chat;
mod context;
mod detokenizer;
mod error;
mod generate;
mod log;
mod model;
mod sampler;
mod stop;
mod sys;
#[cfg(test)]
mod sys_layout_test;
mod util;
mod vulkan;

pub use batch::Batch;
pub use chat::{ChatMessage, ChatOptions, Role};
pub use context::{Context, ContextBuilder, KvType, Logits, Precision};
pub use detokenizer::Detokenizer;
pub use error::{Error, Result, Status};
pub use generate::{GenerateOptions, Generation, GenerationBytes};
pub use log::{clear_log_callback, set_log_callback, LogLevel};
pub use model::{Backend, ChatKind, Model, ModelBuilder, TokenType};
pub use sampler::{Sampler, SamplerBuilder};
pub use stop::StopMatcher;
pub use vulkan::{vulkan_devices, DeviceKind, VulkanDevice};

/// The linked library's version, major*10000 + minor*100 + patch.
pub fn version() -> u32 {
    unsafe { sys::loom_version() }
}

/// The linked library's version as "MAJOR.MINOR.PATCH".
pub fn version_string() -> String {
    unsafe { std::ffi::CStr::from_ptr(sys::loom_version_string()) }.to_string_lossy().into_owned()
}
