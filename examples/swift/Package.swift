// swift-tools-version:5.9
// A command-line example of the SignalCraft Swift package: ingest a file, print the groups.
import PackageDescription

let package = Package(
    name: "signalcraft-groups",
    dependencies: [.package(path: "../../bindings-swift")],
    targets: [
        .executableTarget(
            name: "signalcraft-groups",
            dependencies: [.product(name: "SignalCraft", package: "bindings-swift")]
        ),
    ]
)
