// signalcraft-groups: ingests one webhook delivery from a file, then lists the workspace's
// groups, newest activity first — the Swift twin of `signalcraft ingest` + `signalcraft groups`.
//
//   swift run signalcraft-groups [--db PATH] [--workspace NAME] [--source SOURCE|auto]
//                                [--header 'Name: value']... [--status STATUS] FILE
//
// The workspace is created when it does not exist. Errors print `error: KIND at PATH: message`
// and exit 2, like the CLI.

import Foundation
import SignalCraft

struct Usage: Error, CustomStringConvertible {
    let description: String
}

func parseArguments(_ args: [String]) throws -> (db: String, workspace: String, source: String,
                                                  headers: [String: String], status: String?, file: String) {
    var db = "signalcraft.db", workspace = "default", source = "auto", status: String?
    var headers: [String: String] = [:]
    var file: String?
    var i = 0
    func value() throws -> String {
        i += 1
        guard i < args.count else { throw Usage(description: "\(args[i - 1]) needs a value") }
        return args[i]
    }
    while i < args.count {
        switch args[i] {
        case "--db": db = try value()
        case "--workspace": workspace = try value()
        case "--source": source = try value()
        case "--status": status = try value()
        case "--header":
            let line = try value()
            guard let colon = line.firstIndex(of: ":") else {
                throw Usage(description: "--header takes \"Name: value\", got \(line)")
            }
            headers[String(line[..<colon]).trimmingCharacters(in: .whitespaces)] =
                String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        case "-h", "--help":
            throw Usage(description: "")
        case let a where a.hasPrefix("--"):
            throw Usage(description: "unknown option \(a)")
        case let a:
            guard file == nil else { throw Usage(description: "one FILE only") }
            file = a
        }
        i += 1
    }
    guard let file else { throw Usage(description: "FILE is missing") }
    return (db, workspace, source, headers, status, file)
}

func run() throws {
    let o = try parseArguments(Array(CommandLine.arguments.dropFirst()))
    let body = try Data(contentsOf: URL(fileURLWithPath: o.file))
    let engine = try Engine(path: o.db)
    defer { engine.close() }
    if try !engine.workspaces().contains(where: { $0.name == o.workspace }) {
        _ = try engine.createWorkspace(name: o.workspace)
    }
    let outcome = o.source == "auto"
        ? try engine.ingestAuto(workspace: o.workspace, headers: o.headers, body: body)
        : try engine.ingest(workspace: o.workspace, source: o.source, headers: o.headers, body: body)
    print("ingested from \(outcome.source): \(outcome.outcome), \(outcome.alerts.count) alert(s)")
    let query = try o.status.map { try parseGroupQuery(json: "{\"status\": \"\($0)\"}") }
    let page = try engine.groups(workspace: o.workspace, query: query)
    print("\(page.groups.count) group(s) in \(o.workspace):")
    for g in page.groups {
        let pad = { (s: String, n: Int) in s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0) }
        print("  \(pad(g.id, 28)) \(pad("\(g.status)", 12)) \(pad("\(g.severity)", 8)) x\(pad(String(g.count), 4)) \(g.title)")
    }
}

do {
    try run()
} catch let e as SignalCraftError {
    FileHandle.standardError.write(Data("error: \(e.kind)\(e.path.map { " at \($0)" } ?? ""): \(e.message)\n".utf8))
    exit(2)
} catch let e as Usage {
    let usage = "usage: signalcraft-groups [--db PATH] [--workspace NAME] [--source SOURCE|auto] [--header 'Name: value']... [--status STATUS] FILE"
    FileHandle.standardError.write(Data("\(e.description.isEmpty ? "" : "error: \(e.description)\n")\(usage)\n".utf8))
    exit(e.description.isEmpty ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
