//! cargo-fuzz entry point; the body is [`uactor_fuzz::header`], which the
//! stable tests also run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uactor_fuzz::header(data));
