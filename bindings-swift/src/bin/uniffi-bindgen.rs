//! uniffi's generator, built from this workspace so it always matches the binding's uniffi
//! version: `bindings-swift/generate` runs it (`generate --library … --language swift`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
