// swift-tools-version:5.9
// The bindings-ratio ingest loop in Swift (see benches/src/bin/bindings-ratio.rs and ./run).
import PackageDescription

let package = Package(
    name: "swift-ratio",
    dependencies: [.package(path: "../../bindings-swift")],
    targets: [
        .executableTarget(
            name: "swift-ratio",
            dependencies: [.product(name: "SignalCraft", package: "bindings-swift")]
        ),
    ]
)
