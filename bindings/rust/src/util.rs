//! Helpers shared by the wrappers: strings into C, the "call with a buffer,
//! retry with the size asked for" pattern, and closures behind C callbacks.
use crate::error::{check, Error, Result, Status};
use crate::sys;
use std::any::Any;
use std::ffi::CString;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::Path;

/// Builder setters: `name(v: T) => value;` makes `pub fn name(mut self, v: T)
/// -> Self` that stores `value` in the field of the same name.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($v:ident: $t:ty) => $val:expr;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $v: $t) -> Self {
                self.$name = $val;
                self
            }
        )*
    };
}
pub(crate) use setters;

/// `s` as a C string; a NUL byte inside is an INVALID_ARGUMENT error naming `what`.
pub(crate) fn cstring(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::new(Status::InvalidArgument, format!("{what} contains a NUL byte")))
}

/// A path as a C string (loom takes UTF-8 paths).
pub(crate) fn path_cstring(path: &Path) -> Result<CString> {
    let utf8 =
        path.to_str().ok_or_else(|| Error::new(Status::InvalidArgument, format!("path {path:?} is not UTF-8")))?;
    cstring("the path", utf8)
}

/// Runs `call(buf, capacity, &mut size)` with a buffer of `guess` elements
/// and, if loom answers BUFFER_TOO_SMALL, once more with the size it asked
/// for. Returns the `size` elements written.
pub(crate) fn sized_call<T: Copy + Default>(
    guess: usize,
    mut call: impl FnMut(*mut T, usize, *mut usize) -> i32,
) -> Result<Vec<T>> {
    let mut buf = vec![T::default(); guess];
    let mut size = 0usize;
    let mut st = call(buf.as_mut_ptr(), buf.len(), &mut size);
    if st == sys::LOOM_ERR_BUFFER_TOO_SMALL {
        buf.resize(size, T::default());
        st = call(buf.as_mut_ptr(), buf.len(), &mut size);
    }
    check(st)?;
    buf.truncate(size);
    Ok(buf)
}

/// A Rust closure behind a C callback. A panic inside it is caught in the
/// trampoline (it never unwinds into C): the callback then answers "stop",
/// and the panic is resumed on the caller's side once the C call returned.
pub(crate) struct Guarded<F: ?Sized> {
    panic: Option<Box<dyn Any + Send + 'static>>,
    pub(crate) f: Box<F>,
}

impl<F: ?Sized> Guarded<F> {
    pub(crate) fn new(f: Box<F>) -> Guarded<F> {
        Guarded { panic: None, f }
    }

    /// Calls `g` on the closure; `stop` if it panics (or panicked before).
    pub(crate) fn call<R>(&mut self, stop: R, g: impl FnOnce(&mut F) -> R) -> R {
        if self.panic.is_some() {
            return stop;
        }
        let f = &mut self.f;
        match catch_unwind(AssertUnwindSafe(|| g(f))) {
            Ok(r) => r,
            Err(payload) => {
                self.panic = Some(payload);
                stop
            }
        }
    }

    /// Re-raises a panic caught during the last C call, on this side of the FFI.
    pub(crate) fn resume_panic(&mut self) {
        if let Some(payload) = self.panic.take() {
            resume_unwind(payload);
        }
    }
}
