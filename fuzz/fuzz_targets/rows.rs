#![no_main]
//! See `binvault_parser::fuzzing::rows` for the input format and the invariants checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    binvault_parser::fuzzing::rows(data);
});
