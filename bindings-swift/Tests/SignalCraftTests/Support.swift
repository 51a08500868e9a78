// Shared by the tests: temp dirs, fixtures, a JSON value, and answers as JSON.

import Foundation
import SignalCraft

/// This test directory.
let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
/// The repository (the shared case list and the core's fixtures live there).
let repoDir = testsDir.deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The package's copy of a real Sentry issue alert (see Fixtures/SOURCE.md).
func sentryIssueAlert() throws -> Data {
    try Data(contentsOf: testsDir.appendingPathComponent("Fixtures/issue_alert_triggered.docs.json"))
}

/// A new empty directory, removed by the caller.
func makeTempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("signalcraft-swift-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A JSON value: what the case list is written in, and what answers are compared as.
enum JSON: Equatable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSON].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .int(i): try c.encode(i)
        case let .double(d): try c.encode(d)
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }

    static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x == y
        default: return false
        }
    }

    /// Compact JSON text.
    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "null"
    }

    var description: String { text }

    /// Parses JSON text.
    static func parse(_ text: String) throws -> JSON {
        try JSONDecoder().decode(JSON.self, from: Data(text.utf8))
    }

    var string: String? { if case let .string(s) = self { return s } else { return nil } }

    subscript(key: String) -> JSON? {
        if case let .object(o) = self { return o[key] } else { return nil }
    }
}

/// `groupId` -> `group_id`: a Swift field name as the engine's JSON names it.
func snakeCase(_ name: String) -> String {
    var out = ""
    for ch in name {
        if ch.isUppercase {
            out += "_" + ch.lowercased()
        } else {
            out.append(ch)
        }
    }
    return out
}

/// A binding answer as JSON: records become objects with the engine's field names, enums
/// their snake_case names, JSON text is parsed by the caller (see `answerJSON`).
func reflectJSON(_ value: Any) -> JSON {
    switch value {
    case let s as String: return .string(s)
    case let b as Bool: return .bool(b)
    case let n as Int: return .int(Int64(n))
    case let n as Int64: return .int(n)
    case let n as Int32: return .int(Int64(n))
    case let n as UInt32: return .int(Int64(n))
    case let n as UInt64: return .int(Int64(n))
    case let d as Double: return .double(d)
    case let m as [String: String]: return .object(m.mapValues { .string($0) })
    default: break
    }
    let mirror = Mirror(reflecting: value)
    switch mirror.displayStyle {
    case .optional:
        return mirror.children.first.map { reflectJSON($0.value) } ?? .null
    case .collection, .set:
        return .array(mirror.children.map { reflectJSON($0.value) })
    case .struct, .class:
        var o: [String: JSON] = [:]
        for child in mirror.children {
            if let label = child.label { o[snakeCase(label)] = reflectJSON(child.value) }
        }
        return .object(o)
    case .enum:
        return .string(snakeCase(String(describing: value)))
    default:
        return .string(String(describing: value))
    }
}
