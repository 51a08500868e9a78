//! The one list of the engine's public methods (tests/bindings/methods.json) against the
//! source: every `pub fn` of an `impl Engine` block in core/src/engine.rs and
//! core/src/engine/*.rs is listed (or excluded with a reason), nothing listed is gone, and each
//! binding's source defines the listed method under its name (for Swift, also the generated
//! Swift API, which bindings-swift/run-tests checks against the Rust exports). The Python and
//! Node tests check the built modules against the same list.

use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// Names of the `pub fn`s of the `impl Engine` blocks of one source file: the methods at the
/// block's indentation, in a block opened by a line `impl Engine {` at column 0 and closed by
/// the next `}` at column 0.
fn engine_methods(text: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line == "impl Engine {" {
            inside = true;
            continue;
        }
        if inside && line.starts_with('}') {
            inside = false;
            continue;
        }
        if inside && let Some(rest) = line.strip_prefix("    pub fn ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

fn core_methods() -> BTreeSet<String> {
    let src = root().join("core/src");
    let mut files = vec![src.join("engine.rs")];
    let mut more: Vec<_> = std::fs::read_dir(src.join("engine"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    more.sort();
    files.extend(more);
    let mut all = BTreeSet::new();
    for f in files {
        for m in engine_methods(&std::fs::read_to_string(&f).unwrap()) {
            assert!(all.insert(m.clone()), "{m} defined twice ({})", f.display());
        }
    }
    all
}

fn list() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/bindings/methods.json")).unwrap(),
    )
    .unwrap()
}

fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in name.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_parser_sees_methods_only_in_impl_engine() {
    let text = "impl EngineBuilder {\n    pub fn path(self) {}\n}\n\nimpl Engine {\n    /// doc\n    pub fn one(&self) {\n        if x {\n        }\n    }\n\n    pub(crate) fn hidden(&self) {}\n    fn private(&self) {}\n    pub fn two_words(&self) {}\n}\nimpl Actor {\n    pub fn new() {}\n}\n";
    assert_eq!(engine_methods(text), ["one", "two_words"]);
    assert!(core_methods().contains("ingest"));
    assert!(core_methods().contains("metrics_text"));
    assert!(!core_methods().contains("path"), "a builder method");
}

#[test]
fn every_public_engine_method_is_listed_and_bound() {
    let doc = list();
    let core = core_methods();
    let mut listed = BTreeSet::new();
    let node_src = std::fs::read_to_string(root().join("bindings-node/src/engine.rs")).unwrap();
    let py_src = std::fs::read_to_string(root().join("bindings-python/src/engine.rs")).unwrap();
    let node_dts = std::fs::read_to_string(root().join("bindings-node/index.d.ts")).unwrap();
    let pyi =
        std::fs::read_to_string(root().join("bindings-python/python/signalcraft/_native.pyi"))
            .unwrap();
    let swift_src = std::fs::read_to_string(root().join("bindings-swift/src/engine.rs")).unwrap();
    let swift_api = std::fs::read_to_string(
        root().join("bindings-swift/Sources/SignalCraft/signalcraft.swift"),
    )
    .unwrap();
    for m in doc["methods"].as_array().unwrap() {
        let name = m["core"].as_str().unwrap();
        assert!(
            core.contains(name),
            "{name} is listed but is not a public Engine method"
        );
        assert!(listed.insert(name.to_string()), "{name} listed twice");
        assert_eq!(
            m["node"],
            camel(name).as_str(),
            "{name}: the Node name is camelCase"
        );
        assert_eq!(m["python"], name, "{name}: the Python name is the core's");
        assert!(
            node_src.contains(&format!("    pub fn {name}(")),
            "bindings-node/src/engine.rs has no method {name}"
        );
        assert!(
            node_dts.contains(&format!("  {}(", camel(name))),
            "bindings-node/index.d.ts does not declare {}",
            camel(name)
        );
        assert!(
            py_src.contains(&format!("    fn {name}("))
                || py_src.contains(&format!("    fn {name}<")),
            "bindings-python/src/engine.rs has no method {name}"
        );
        assert!(
            pyi.contains(&format!("    def {name}(")),
            "_native.pyi does not declare {name}"
        );
        assert_eq!(
            m["swift"],
            camel(name).as_str(),
            "{name}: the Swift name is lowerCamelCase"
        );
        assert!(
            swift_src.contains(&format!("    pub fn {name}("))
                || swift_src.contains(&format!("    pub async fn {name}(")),
            "bindings-swift/src/engine.rs has no method {name}"
        );
        assert!(
            swift_api.contains(&format!("open func {}(", camel(name))),
            "the generated Swift (bindings-swift/Sources/SignalCraft/signalcraft.swift) has no \
             method {} (run bindings-swift/generate)",
            camel(name)
        );
    }
    // the awaitable faces (`async`): Node's Promise method, Python's signalcraft.aio method
    let aio =
        std::fs::read_to_string(root().join("bindings-python/python/signalcraft/aio.py")).unwrap();
    for m in doc["methods"].as_array().unwrap() {
        let Some(a) = m.get("async") else { continue };
        let name = m["core"].as_str().unwrap();
        let node = a["node"].as_str().unwrap();
        assert_eq!(
            node,
            camel(&format!("{name}_async")),
            "{name}: the Node awaitable is {name}Async"
        );
        assert!(
            node_src.contains(&format!("    pub fn {name}_async(")),
            "bindings-node/src/engine.rs has no method {name}_async"
        );
        assert!(
            node_dts.contains(&format!("  {node}(")) && node_dts.contains("): Promise<"),
            "bindings-node/index.d.ts does not declare {node}"
        );
        if let Some(swift) = a.get("swift").and_then(|v| v.as_str()) {
            assert_eq!(
                swift, node,
                "{name}: the Swift awaitable is named as Node's"
            );
            assert!(
                swift_src.contains(&format!("    pub async fn {name}_async(")),
                "bindings-swift/src/engine.rs has no async method {name}_async"
            );
            assert!(
                swift_api.contains(&format!("open func {swift}(")),
                "the generated Swift has no method {swift} (run bindings-swift/generate)"
            );
        }
        let python = a["python"].as_str().unwrap();
        assert!(
            aio.contains(&format!("    {python} = _InThread(_native.Engine.{name})")),
            "signalcraft/aio.py does not run {name} in a worker thread as {python}"
        );
    }
    for e in doc["excluded"].as_array().unwrap() {
        let name = e["core"].as_str().unwrap();
        assert!(
            core.contains(name),
            "{name} is excluded but is not a public Engine method"
        );
        assert!(
            e["reason"].as_str().is_some_and(|r| r.len() > 10),
            "{name}: an exclusion needs a reason"
        );
        assert!(
            listed.insert(name.to_string()),
            "{name} both listed and excluded"
        );
    }
    let missing: Vec<&String> = core.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "public Engine methods missing from tests/bindings/methods.json: {missing:?}"
    );
}
