//! The process-wide log closure (its own test binary: no other test loads
//! a model meanwhile).
mod common;

use loom::Model;
use std::sync::{Arc, Mutex};

#[test]
fn global_log_closure_can_be_set_and_cleared() {
    let count = Arc::new(Mutex::new(0usize));
    let sink = count.clone();
    loom::set_log_callback(move |_, text| {
        assert!(!text.is_empty());
        *sink.lock().unwrap() += 1;
    });
    drop(Model::load(common::model_path()).unwrap());
    loom::clear_log_callback();
    let seen = *count.lock().unwrap();
    assert!(seen > 0, "the global sink got the load's lines");
    drop(Model::load(common::model_path()).unwrap());
    assert_eq!(*count.lock().unwrap(), seen, "nothing after clear");
    // A model with its own sink does not reach the global one.
    common::quiet_expected_panics();
    loom::set_log_callback(|_, _| panic!("expected panic: a log closure's panic is caught in the trampoline"));
    let own = Arc::new(Mutex::new(0usize));
    let own_sink = own.clone();
    drop(Model::builder().log(move |_, _| *own_sink.lock().unwrap() += 1).load(common::model_path()).unwrap());
    assert_eq!(*own.lock().unwrap(), seen);
    // The global one panics on every line: caught, and the load goes on.
    drop(Model::load(common::model_path()).unwrap());
    loom::clear_log_callback();
}
