// swift-tools-version:5.9
// SignalCraft for Swift: the engine through uniffi. The native library
// (libsignalcraft_swift, built from bindings-swift/ by cargo) is linked through the C module's
// `link` line; tell the linker where it is, e.g.
//   swift test -Xlinker -L$PWD/lib -Xlinker -rpath -Xlinker $PWD/lib
// (bindings-swift/generate copies the built library into lib/). See README.md.
import PackageDescription

let package = Package(
    name: "SignalCraft",
    products: [
        .library(name: "SignalCraft", targets: ["SignalCraft"]),
    ],
    targets: [
        .systemLibrary(name: "signalcraftFFI", path: "Sources/signalcraftFFI"),
        .target(name: "SignalCraft", dependencies: ["signalcraftFFI"], path: "Sources/SignalCraft"),
        .testTarget(
            name: "SignalCraftTests",
            dependencies: ["SignalCraft"],
            path: "Tests/SignalCraftTests",
            exclude: ["Fixtures"]
        ),
    ]
)
