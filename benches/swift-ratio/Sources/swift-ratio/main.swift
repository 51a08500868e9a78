// The bindings-ratio ingest loop in Swift (see benches/src/bin/bindings-ratio.rs).
//   swift-ratio DIR per_alert|batch_100    # prints alerts_per_sec=X
// DIR holds bodies.jsonl (one compact Sentry event alert a line) and rules.json.

import Foundation
import SignalCraft

let args = CommandLine.arguments
guard args.count == 3, ["per_alert", "batch_100"].contains(args[2]) else {
    FileHandle.standardError.write(Data("usage: swift-ratio DIR per_alert|batch_100\n".utf8))
    exit(2)
}
let dir = URL(fileURLWithPath: args[1])
let mode = args[2]

// Data, like a host's HTTP server hands bodies over.
let raw = try Data(contentsOf: dir.appendingPathComponent("bodies.jsonl"))
let bodies: [Data] = raw.split(separator: UInt8(ascii: "\n")).map { Data($0) }
let rules = try String(contentsOf: dir.appendingPathComponent("rules.json"), encoding: .utf8)
let db = dir.appendingPathComponent("swift-\(mode).db").path
for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
let engine = try Engine(path: db)
_ = try engine.createWorkspace(name: "bench")
try engine.putRules(workspace: "bench", rules: rules)
let headers = ["Sentry-Hook-Resource": "event_alert"]

let start = DispatchTime.now().uptimeNanoseconds
if mode == "per_alert" {
    for body in bodies {
        _ = try engine.ingest(workspace: "bench", source: "sentry", headers: headers, body: body)
    }
} else {
    var i = 0
    while i < bodies.count {
        let batch = bodies[i..<min(i + 100, bodies.count)].map {
            BatchDelivery(source: "sentry", headers: headers, body: $0)
        }
        let slots = try JSONSerialization.jsonObject(
            with: Data(try engine.ingestBatch(workspace: "bench", deliveries: batch).utf8)) as? [[String: Any]] ?? []
        guard slots.count == batch.count, slots.allSatisfy({ $0["ok"] != nil }) else {
            FileHandle.standardError.write(Data("a batch slot failed: \(slots)\n".utf8))
            exit(1)
        }
        i += 100
    }
}
let took = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
engine.close()
print("alerts_per_sec=\(String(format: "%.1f", Double(bodies.count) / took))")
