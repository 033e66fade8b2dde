//! Any bytes behind the spss signature: an error or results, never a panic.
#![no_main]

#[path = "signed.rs"]
mod signed;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| signed::analyse_signed(b"$FL2", bytes));
