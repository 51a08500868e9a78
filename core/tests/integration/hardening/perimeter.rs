//! SSRF guards, secrets hygiene and no panic across the FFI.
