//! cargo-fuzz entry point; the body is [`uactor_fuzz::codec`], which the
//! stable tests also run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uactor_fuzz::codec(data));
