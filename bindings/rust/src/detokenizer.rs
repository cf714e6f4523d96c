//! `Detokenizer`: token ids to text as they come, releasing only complete
//! UTF-8 characters (bytes that can never become UTF-8 pass at once).
use crate::error::{check, Error, Result, Status};
use crate::model::Model;
use crate::sys;
use crate::util::sized_call;
use std::ptr::{self, NonNull};

pub struct Detokenizer {
    ptr: NonNull<sys::loom_detokenizer>,
    _model: Model, // the vocabulary must outlive the detokenizer
}

// SAFETY: a loom_detokenizer may move between threads (used by one at a time).
unsafe impl Send for Detokenizer {}

impl Detokenizer {
    /// `render_special`: emit special tokens' text ("<|im_end|>"); else nothing for them.
    pub fn new(model: &Model, render_special: bool) -> Result<Detokenizer> {
        let flags = if render_special { sys::LOOM_DETOKENIZE_RENDER_SPECIAL } else { 0 };
        let mut out = ptr::null_mut();
        check(unsafe { sys::loom_detokenizer_new(model.raw(), flags, &mut out) })?;
        let ptr = NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "loom_detokenizer_new gave NULL"))?;
        Ok(Detokenizer { ptr, _model: model.clone() })
    }

    /// Adds `token`; returns the bytes now complete (possibly none).
    pub fn push(&mut self, token: i32) -> Result<Vec<u8>> {
        let d = self.ptr.as_ptr();
        sized_call(256, |buf: *mut u8, cap, n| unsafe { sys::loom_detokenizer_push(d, token, buf.cast(), cap, n) })
    }

    /// End of stream: the held-back bytes (0 to 3); resets for a new stream.
    pub fn flush(&mut self) -> Result<Vec<u8>> {
        let d = self.ptr.as_ptr();
        sized_call(8, |buf: *mut u8, cap, n| unsafe { sys::loom_detokenizer_flush(d, buf.cast(), cap, n) })
    }
}

impl std::fmt::Debug for Detokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detokenizer").field("ptr", &self.ptr).finish()
    }
}

impl Drop for Detokenizer {
    fn drop(&mut self) {
        unsafe { sys::loom_detokenizer_free(self.ptr.as_ptr()) }
    }
}
