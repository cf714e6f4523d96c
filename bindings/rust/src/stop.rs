//! `StopMatcher`: stop strings over streamed text; releases only the bytes
//! that can no longer be part of a stop string.
use crate::error::{check, Error, Result, Status};
use crate::sys;
use crate::util::cstring;
use std::ffi::CString;
use std::os::raw::c_char;
use std::ptr::{self, NonNull};

pub struct StopMatcher {
    ptr: NonNull<sys::loom_stop_matcher>,
}

// SAFETY: a loom_stop_matcher may move between threads (used by one at a time).
unsafe impl Send for StopMatcher {}

/// Bytes a matcher released; valid until its next call.
unsafe fn released<'a>(p: *const c_char, len: usize) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(p.cast(), len)
    }
}

impl StopMatcher {
    /// A matcher for `stops` (each non-empty; none: everything is released at once).
    pub fn new(stops: &[&str]) -> Result<StopMatcher> {
        let owned: Vec<CString> = stops.iter().map(|s| cstring("a stop string", s)).collect::<Result<_>>()?;
        let ptrs: Vec<*const c_char> = owned.iter().map(|s| s.as_ptr()).collect();
        let mut out = ptr::null_mut();
        check(unsafe { sys::loom_stop_matcher_new(ptrs.as_ptr(), ptrs.len(), &mut out) })?;
        let ptr = NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "loom_stop_matcher_new gave NULL"))?;
        Ok(StopMatcher { ptr })
    }

    /// Appends `text`; returns the bytes now safe to show and whether a stop
    /// string has been seen (then nothing more is released).
    pub fn push(&mut self, text: &[u8]) -> Result<(&[u8], bool)> {
        let (mut p, mut len, mut stopped) = (ptr::null(), 0usize, 0i32);
        check(unsafe {
            sys::loom_stop_matcher_push(
                self.ptr.as_ptr(),
                text.as_ptr().cast(),
                text.len(),
                &mut p,
                &mut len,
                &mut stopped,
            )
        })?;
        Ok((unsafe { released(p, len) }, stopped != 0))
    }

    /// End of generation without a stop string: the held-back tail.
    pub fn flush(&mut self) -> Result<&[u8]> {
        let (mut p, mut len) = (ptr::null(), 0usize);
        check(unsafe { sys::loom_stop_matcher_flush(self.ptr.as_ptr(), &mut p, &mut len) })?;
        Ok(unsafe { released(p, len) })
    }

    /// Forgets held text and the stopped state, for the next reply.
    pub fn reset(&mut self) {
        unsafe { sys::loom_stop_matcher_reset(self.ptr.as_ptr()) }
    }
}

impl std::fmt::Debug for StopMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopMatcher").field("ptr", &self.ptr).finish()
    }
}

impl Drop for StopMatcher {
    fn drop(&mut self) {
        unsafe { sys::loom_stop_matcher_free(self.ptr.as_ptr()) }
    }
}
