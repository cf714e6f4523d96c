//! `Batch`: the (token, position, sequence, want-logits) entries one
//! `Context::decode` runs.
use crate::error::{check, Error, Result, Status};
use crate::sys;
use std::ptr::{self, NonNull};

pub struct Batch {
    ptr: NonNull<sys::loom_batch>,
    capacity: i32,
}

// SAFETY: a loom_batch may move between threads (used by one at a time).
unsafe impl Send for Batch {}

impl Batch {
    /// An empty batch of at most `capacity` entries.
    pub fn new(capacity: i32) -> Result<Batch> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::loom_batch_new(capacity, &mut out) })?;
        let ptr = NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "loom_batch_new gave NULL"))?;
        Ok(Batch { ptr, capacity })
    }

    /// Appends one entry; `logits`: compute logits for it. BufferTooSmall when full.
    pub fn add(&mut self, token: i32, pos: i32, seq_id: i32, logits: bool) -> Result<()> {
        check(unsafe { sys::loom_batch_add(self.ptr.as_ptr(), token, pos, seq_id, logits as i32) })
    }

    /// Empties the batch (keeps its capacity).
    pub fn clear(&mut self) {
        unsafe { sys::loom_batch_clear(self.ptr.as_ptr()) }
    }

    pub fn len(&self) -> usize {
        unsafe { sys::loom_batch_size(self.ptr.as_ptr()) as usize }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity as usize
    }

    pub(crate) fn raw(&self) -> *const sys::loom_batch {
        self.ptr.as_ptr()
    }
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch").field("ptr", &self.ptr).finish()
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        unsafe { sys::loom_batch_free(self.ptr.as_ptr()) }
    }
}
