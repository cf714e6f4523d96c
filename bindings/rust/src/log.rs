//! Log callbacks as closures: a process-wide one (loom_set_log_callback) and
//! one per model (ModelBuilder::log). loom calls them from whichever thread
//! is inside a loom call; a panic inside is caught and dropped there (a log
//! line has no caller to resume it on).
use crate::sys;
use std::ffi::CStr;
use std::os::raw::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::{Arc, Mutex};

/// A log line's level (loom_log_level).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

pub(crate) type LogFn = dyn Fn(LogLevel, &str) + Send + Sync;

fn level(raw: sys::loom_log_level) -> LogLevel {
    match raw {
        sys::LOOM_LOG_DEBUG => LogLevel::Debug,
        sys::LOOM_LOG_INFO => LogLevel::Info,
        sys::LOOM_LOG_WARN => LogLevel::Warn,
        _ => LogLevel::Error,
    }
}

/// Calls `f` with the line, catching a panic.
unsafe fn deliver(f: &LogFn, raw_level: sys::loom_log_level, message: *const c_char) {
    let text = CStr::from_ptr(message).to_string_lossy();
    let _ = catch_unwind(AssertUnwindSafe(|| f(level(raw_level), &text)));
}

// The global closure lives here, not behind loom's user data, so that a call
// in flight while it is replaced reads the new one or the old one, never a freed one.
static GLOBAL: Mutex<Option<Arc<LogFn>>> = Mutex::new(None);

unsafe extern "C" fn global_trampoline(_: *mut c_void, raw_level: sys::loom_log_level, message: *const c_char) {
    let f = GLOBAL.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(f) = f {
        deliver(&*f, raw_level, message);
    }
}

/// Sends loom's process-wide log lines (those of models without their own
/// log closure) to `f`. By default loom logs nothing.
pub fn set_log_callback(f: impl Fn(LogLevel, &str) + Send + Sync + 'static) {
    *GLOBAL.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(f));
    unsafe { sys::loom_set_log_callback(Some(global_trampoline), ptr::null_mut()) }
}

/// Silences the process-wide log again.
pub fn clear_log_callback() {
    unsafe { sys::loom_set_log_callback(None, ptr::null_mut()) }
    *GLOBAL.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// The per-model trampoline: user_data is the model's `Box<Box<LogFn>>`.
pub(crate) unsafe extern "C" fn model_trampoline(
    user_data: *mut c_void,
    raw_level: sys::loom_log_level,
    message: *const c_char,
) {
    let f = &*(user_data as *const Box<LogFn>);
    deliver(&**f, raw_level, message);
}
