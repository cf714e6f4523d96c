//! `loom::Error`: a loom status code and the message loom_last_error() gave
//! for it, read on the failing call's thread right after the call.
use crate::sys;
use std::ffi::CStr;
use std::fmt;

/// The LOOM_ERR_* codes of loom.h, plus the codes a newer library may add.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    InvalidArgument,
    OutOfMemory,
    Io,
    Format,
    Unsupported,
    NotFound,
    TypeMismatch,
    BufferTooSmall,
    Cancelled,
    ContextFull,
    Backend,
    Internal,
    /// A negative code this binding does not know (the ABI allows new ones).
    Unknown(i32),
}

impl Status {
    /// The status for a nonzero loom_status code.
    pub fn from_code(code: i32) -> Status {
        match code {
            sys::LOOM_ERR_INVALID_ARGUMENT => Status::InvalidArgument,
            sys::LOOM_ERR_OUT_OF_MEMORY => Status::OutOfMemory,
            sys::LOOM_ERR_IO => Status::Io,
            sys::LOOM_ERR_FORMAT => Status::Format,
            sys::LOOM_ERR_UNSUPPORTED => Status::Unsupported,
            sys::LOOM_ERR_NOT_FOUND => Status::NotFound,
            sys::LOOM_ERR_TYPE_MISMATCH => Status::TypeMismatch,
            sys::LOOM_ERR_BUFFER_TOO_SMALL => Status::BufferTooSmall,
            sys::LOOM_ERR_CANCELLED => Status::Cancelled,
            sys::LOOM_ERR_CONTEXT_FULL => Status::ContextFull,
            sys::LOOM_ERR_BACKEND => Status::Backend,
            sys::LOOM_ERR_INTERNAL => Status::Internal,
            other => Status::Unknown(other),
        }
    }

    /// The C code (LOOM_ERR_*).
    pub fn code(self) -> i32 {
        match self {
            Status::InvalidArgument => sys::LOOM_ERR_INVALID_ARGUMENT,
            Status::OutOfMemory => sys::LOOM_ERR_OUT_OF_MEMORY,
            Status::Io => sys::LOOM_ERR_IO,
            Status::Format => sys::LOOM_ERR_FORMAT,
            Status::Unsupported => sys::LOOM_ERR_UNSUPPORTED,
            Status::NotFound => sys::LOOM_ERR_NOT_FOUND,
            Status::TypeMismatch => sys::LOOM_ERR_TYPE_MISMATCH,
            Status::BufferTooSmall => sys::LOOM_ERR_BUFFER_TOO_SMALL,
            Status::Cancelled => sys::LOOM_ERR_CANCELLED,
            Status::ContextFull => sys::LOOM_ERR_CONTEXT_FULL,
            Status::Backend => sys::LOOM_ERR_BACKEND,
            Status::Internal => sys::LOOM_ERR_INTERNAL,
            Status::Unknown(code) => code,
        }
    }
}

impl fmt::Display for Status {
    /// loom_status_string's name, e.g. "invalid argument".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: loom_status_string returns static storage, never NULL.
        let s = unsafe { CStr::from_ptr(sys::loom_status_string(self.code())) };
        f.write_str(&s.to_string_lossy())
    }
}

/// A failed loom call: its status and loom's message naming what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// An error made by this binding itself (e.g. a NUL byte inside a string
    /// that must cross the C API), with loom's status vocabulary.
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    /// The error of the loom call that just returned `code` on this thread.
    pub(crate) fn last(code: i32) -> Error {
        // SAFETY: loom_last_error never returns NULL; the text is copied at once.
        let msg = unsafe { CStr::from_ptr(sys::loom_last_error()) };
        Error { status: Status::from_code(code), message: msg.to_string_lossy().into_owned() }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// loom_last_error()'s text (may be empty if loom gave none).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    /// `<status name>: <message>`, e.g. `i/o error: cannot open 'x.gguf': No such file or directory`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.status)
        } else {
            write!(f, "{}: {}", self.status, self.message)
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Ok for LOOM_OK, else the error with loom_last_error()'s message. Call it
/// directly on the status of the call it checks (same thread, nothing between).
pub(crate) fn check(code: i32) -> Result<()> {
    if code == sys::LOOM_OK {
        Ok(())
    } else {
        Err(Error::last(code))
    }
}
