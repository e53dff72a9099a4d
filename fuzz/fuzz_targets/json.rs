#![no_main]
//! See `binvault_parser::fuzzing::json`: binary JSON through `write_json`; the text it prints
//! must also parse with serde_json.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(text) = binvault_parser::fuzzing::json(data) {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
            panic!("write_json printed text serde_json rejects ({e}): {text:?}");
        }
    }
});
