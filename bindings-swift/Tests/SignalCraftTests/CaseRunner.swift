// The shared case list (tests/bindings/cases.json, run by the Rust, Python and Node runners
// too) run through the Swift API: each step calls the Swift method of its name with its JSON
// arguments turned into the Swift types. Host-shaped JSON arguments (headers, group queries,
// commands, roles, group ids) are turned into Swift values by the binding's own parse functions, which
// are the core's host parsers the other bindings use, so a malformed one fails with the same
// kind and path.

import Foundation
import SignalCraft

/// The case list.
struct Suite: Decodable {
    let now: String
    let cases: [Case]
}

/// One case: steps on a fresh engine.
struct Case: Decodable, CustomStringConvertible, Sendable {
    let name: String
    let steps: [Step]
    var description: String { name }
}

/// One call and what it must answer.
struct Step: Decodable, @unchecked Sendable {
    let call: String
    let args: [JSON]
    let expect: [String: JSON]?
    let error: [String: JSON]?
    let save: [String: String]?
    /// `"async": true`: the method's awaitable face (Swift has `ingestAsync`; others plain).
    let isAsync: Bool?

    enum CodingKeys: String, CodingKey {
        case call, args, expect, error, save
        case isAsync = "async"
    }

    /// The name `call` dispatches on.
    var method: String { (isAsync ?? false) && call == "ingest" ? "ingest_async" : call }
}

/// Why a step failed.
struct CaseFailure: Error, CustomStringConvertible {
    let description: String
}

/// Reads the shared case list.
func loadSuite() throws -> Suite {
    let url = repoDir.appendingPathComponent("tests/bindings/cases.json")
    return try JSONDecoder().decode(Suite.self, from: Data(contentsOf: url))
}

/// Runs one case in `dir`; throws a `CaseFailure` naming the step that failed.
func runCase(_ c: Case, now: String, in dir: URL) async throws {
    let engine = try Engine(path: dir.appendingPathComponent("cases.db").path,
                            options: EngineOptions(now: now))
    defer { engine.close() }
    var saved: [String: JSON] = [:]
    for (i, step) in c.steps.enumerated() {
        let where_ = "\(c.name): step \(i) (\(step.call))"
        let args = step.args.map { resolveVars($0, saved) }
        if let want = step.error {
            do {
                let got = try await call(engine, step.method, args)
                throw CaseFailure(description: "\(where_): expected \(want), got \(got)")
            } catch let e as SignalCraftError {
                if want["kind"]?.string != e.kind {
                    throw CaseFailure(description: "\(where_): expected \(want), got \(e.kind): \(e.message)")
                }
                if let path = want["path"], path != (e.path.map(JSON.string) ?? .null) {
                    throw CaseFailure(description: "\(where_): expected path \(path), got \(String(describing: e.path)) (\(e.message))")
                }
                if let secs = want["retry_after_secs"], secs != (e.retryAfterSecs.map { JSON.int(Int64($0)) } ?? .null) {
                    throw CaseFailure(description: "\(where_): expected retry_after_secs \(secs), got \(String(describing: e.retryAfterSecs))")
                }
            }
            continue
        }
        let answer: JSON
        do {
            answer = try await call(engine, step.method, args)
        } catch let e as SignalCraftError {
            throw CaseFailure(description: "\(where_): \(e.kind) at \(e.path ?? "-"): \(e.message)")
        }
        for (path, want) in step.expect ?? [:] {
            let got = try at(answer, path, where_)
            if got != resolveVars(want, saved) {
                throw CaseFailure(description: "\(where_): \(path) is \(got), expected \(want), in \(answer)")
            }
        }
        for (name, path) in step.save ?? [:] {
            saved[name] = try at(answer, path, where_)
        }
    }
}

/// Replaces {"$var": N} by the saved value (a {"$file": P} stays for `body` to read).
func resolveVars(_ v: JSON, _ saved: [String: JSON]) -> JSON {
    switch v {
    case let .object(o):
        if o.count == 1, let name = o["$var"]?.string { return saved[name] ?? .null }
        return .object(o.mapValues { resolveVars($0, saved) })
    case let .array(a):
        return .array(a.map { resolveVars($0, saved) })
    default:
        return v
    }
}

/// The value at a dotted path; `length` is an array's length.
func at(_ answer: JSON, _ path: String, _ where_: String) throws -> JSON {
    var v = answer
    for part in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
        switch v {
        case let .array(a) where part == "length":
            v = .int(Int64(a.count))
        case let .array(a):
            guard let i = Int(part), a.indices.contains(i) else {
                throw CaseFailure(description: "\(where_): no \(path) in \(answer)")
            }
            v = a[i]
        case let .object(o):
            guard let next = o[part] else {
                throw CaseFailure(description: "\(where_): no \(path) in \(answer)")
            }
            v = next
        default:
            throw CaseFailure(description: "\(where_): no \(path) in \(answer)")
        }
    }
    return v
}

/// A fixture of the core's (`{"$file": P}`) or a string, as body bytes.
func body(_ v: JSON) throws -> Data {
    if let p = v["$file"]?.string {
        return try Data(contentsOf: repoDir.appendingPathComponent("core/tests/fixtures/\(p)"))
    }
    if let s = v.string { return Data(s.utf8) }
    throw CaseFailure(description: "a body is a string or a {\"$file\": path}, not \(v)")
}

/// Argument `i` (null when absent).
private func arg(_ args: [JSON], _ i: Int) -> JSON { i < args.count ? args[i] : .null }

private func str(_ args: [JSON], _ i: Int) throws -> String {
    guard let s = arg(args, i).string else {
        throw CaseFailure(description: "argument \(i) must be a string, got \(arg(args, i))")
    }
    return s
}

private func optStr(_ args: [JSON], _ i: Int) throws -> String? {
    arg(args, i) == .null ? nil : try str(args, i)
}

private func optInt(_ args: [JSON], _ i: Int) throws -> Int64? {
    switch arg(args, i) {
    case .null: return nil
    case let .int(n): return n
    case let other: throw CaseFailure(description: "argument \(i) must be an integer, got \(other)")
    }
}

private func optBool(_ args: [JSON], _ i: Int) throws -> Bool {
    switch arg(args, i) {
    case .null: return false
    case let .bool(b): return b
    case let other: throw CaseFailure(description: "argument \(i) must be a boolean, got \(other)")
    }
}

/// Headers through the binding's own parser (null: none).
private func headers(_ v: JSON) throws -> [String: String]? {
    v == .null ? nil : try parseHeaders(json: v.text)
}

private func optRole(_ args: [JSON], _ i: Int) throws -> Role? {
    try optStr(args, i).map { try parseRole(name: $0) }
}

/// JSON text of argument `i` (for the methods that take JSON text).
private func text(_ args: [JSON], _ i: Int) -> String { arg(args, i).text }

private func optText(_ args: [JSON], _ i: Int) -> String? {
    arg(args, i) == .null ? nil : arg(args, i).text
}

/// An answer as JSON.
private func js(_ text: String) throws -> JSON { try JSON.parse(text) }
private func js(_ value: Any) -> JSON { reflectJSON(value) }

/// Calls the Swift method named `name` (the case list's snake_case name) with `args`.
func call(_ e: Engine, _ name: String, _ a: [JSON]) async throws -> JSON {
    switch name {
    case "close": e.close(); return .null
    case "now": return .string(try e.now())
    case "create_workspace": return js(try e.createWorkspace(name: try str(a, 0), ownerEmail: try optStr(a, 1)))
    case "workspaces": return js(try e.workspaces())
    case "settings": return try js(try e.settings(workspace: try str(a, 0)))
    case "set_settings": try e.setSettings(workspace: try str(a, 0), settings: text(a, 1)); return .null
    case "integration": return try js(try e.integration(workspace: try str(a, 0), source: try str(a, 1)))
    case "set_integration":
        return try js(try e.setIntegration(workspace: try str(a, 0), source: try str(a, 1), update: text(a, 2)))
    case "ingest":
        return js(try e.ingest(workspace: try str(a, 0), source: try str(a, 1), headers: try headers(arg(a, 2)), body: try body(arg(a, 3))))
    case "ingest_async":
        return js(try await e.ingestAsync(workspace: try str(a, 0), source: try str(a, 1), headers: try headers(arg(a, 2)), body: try body(arg(a, 3))))
    case "ingest_auto":
        return js(try e.ingestAuto(workspace: try str(a, 0), headers: try headers(arg(a, 1)), body: try body(arg(a, 2))))
    case "ingest_batch":
        guard case let .array(items) = arg(a, 1) else { throw CaseFailure(description: "deliveries must be a list") }
        let deliveries = try items.map { d in
            BatchDelivery(source: d["source"]?.string ?? "", headers: try headers(d["headers"] ?? .null), body: try body(d["body"] ?? .null))
        }
        return try js(try e.ingestBatch(workspace: try str(a, 0), deliveries: deliveries))
    case "dry_run":
        return js(try e.dryRun(workspace: try str(a, 0), source: try str(a, 1), headers: try headers(arg(a, 2)), body: try body(arg(a, 3)), rules: optText(a, 4)))
    case "put_rules": try e.putRules(workspace: try str(a, 0), rules: text(a, 1)); return .null
    case "rules": return try js(try e.rules(workspace: try str(a, 0)))
    case "replay":
        return try js(try e.replay(workspace: try str(a, 0), rules: text(a, 1), since: try optStr(a, 2), until: try optStr(a, 3)))
    case "add_silence": return try js(try e.addSilence(workspace: try str(a, 0), silence: text(a, 1), actor: try str(a, 2)))
    case "silences": return try js(try e.silences(workspace: try str(a, 0)))
    case "expire_silence": try e.expireSilence(workspace: try str(a, 0), id: try str(a, 1)); return .null
    case "groups":
        let query = try optText(a, 1).map { try parseGroupQuery(json: $0) }
        return js(try e.groups(workspace: try str(a, 0), query: query))
    case "group": return try js(try e.group(workspace: try str(a, 0), id: try str(a, 1)))
    case "group_events":
        return try js(try e.groupEvents(workspace: try str(a, 0), id: try str(a, 1), cursor: try optStr(a, 2), limit: try optInt(a, 3).map { UInt32($0) }))
    case "group_timeline":
        return try js(try e.groupTimeline(workspace: try str(a, 0), id: try str(a, 1), cursor: try optStr(a, 2), limit: try optInt(a, 3).map { UInt32($0) }))
    case "event": return try js(try e.event(workspace: try str(a, 0), id: try str(a, 1)))
    case "act":
        return js(try e.act(workspace: try str(a, 0), groupId: try str(a, 1), command: try parseCommand(json: text(a, 2)), actor: try str(a, 3), role: try optRole(a, 4)))
    case "put_escalation": try e.putEscalation(workspace: try str(a, 0), name: try str(a, 1), policy: text(a, 2)); return .null
    case "stats": return try js(try e.stats(workspace: try str(a, 0), window: try optStr(a, 1)))
    case "tick": return try js(try e.tick(workspace: try optStr(a, 0)))
    case "set_channel":
        return try js(try e.setChannel(workspace: try str(a, 0), name: try str(a, 1), kind: try str(a, 2), config: text(a, 3)))
    case "channels": return try js(try e.channels(workspace: try str(a, 0)))
    case "deliveries": return try js(try e.deliveries(workspace: try str(a, 0), group: try optStr(a, 1)))
    case "dispatch":
        return js(try await e.dispatch(workspace: try optStr(a, 0), waitMs: try optInt(a, 1).map { UInt32($0) }))
    case "add_user": return try js(try e.addUser(email: try str(a, 0), password: try str(a, 1), name: try optStr(a, 2)))
    case "users": return try js(try e.users())
    case "set_member":
        return try js(try e.setMember(workspace: try str(a, 0), email: try str(a, 1), role: try parseRole(name: try str(a, 2))))
    case "remove_member": try e.removeMember(workspace: try str(a, 0), email: try str(a, 1)); return .null
    case "members": return try js(try e.members(workspace: try str(a, 0)))
    case "login": return try js(try e.login(email: try str(a, 0), password: try str(a, 1), address: try optStr(a, 2)))
    case "logout": try e.logout(token: try str(a, 0)); return .null
    case "authenticate":
        return try js(try e.authenticate(credential: try str(a, 0), isUnsafe: try optBool(a, 1), csrf: try optStr(a, 2)))
    case "authorize":
        return try js(try e.authorize(credential: try str(a, 0), workspace: try str(a, 1), permission: try str(a, 2), isUnsafe: try optBool(a, 3), csrf: try optStr(a, 4)))
    case "create_token":
        return try js(try e.createToken(workspace: try str(a, 0), role: try parseRole(name: try str(a, 1)), name: try optStr(a, 2)))
    case "tokens": return try js(try e.tokens(workspace: try str(a, 0)))
    case "revoke_token": try e.revokeToken(workspace: try str(a, 0), id: try str(a, 1)); return .null
    case "create_ingest_key": return try js(try e.createIngestKey(workspace: try str(a, 0), source: try str(a, 1)))
    case "revoke_ingest_key":
        try e.revokeIngestKey(workspace: try str(a, 0), source: try str(a, 1), id: try str(a, 2)); return .null
    case "ingest_keys": return try js(try e.ingestKeys(workspace: try str(a, 0), source: try str(a, 1)))
    case "webhook":
        return js(try e.webhook(workspace: try str(a, 0), source: try str(a, 1), headers: try headers(arg(a, 2)), body: try body(arg(a, 3)), key: try optStr(a, 4)))
    case "integrations": return try js(try e.integrations(workspace: try str(a, 0)))
    case "put_monitors": return try js(try e.putMonitors(workspace: try str(a, 0), doc: text(a, 1)))
    case "monitors": return try js(try e.monitors(workspace: try str(a, 0)))
    case "monitor_status": return try js(try e.monitorStatus(workspace: try str(a, 0)))
    case "apps": return try js(try e.apps(workspace: try str(a, 0)))
    case "run_monitor": return try js(try await e.runMonitor(workspace: try str(a, 0), id: try str(a, 1)))
    case "run_monitors": return try js(try await e.runMonitors(workspace: try str(a, 0), once: try optBool(a, 1)))
    case "changes":
        return try js(try e.changes(workspace: try str(a, 0), since: try optInt(a, 1), limit: try optInt(a, 2).map { UInt32($0) }))
    case "workspace": return js(try e.workspace(reference: try str(a, 0)))
    case "ready": return js(try e.ready())
    case "metrics_text": return .string(try e.metricsText())
    case "check_rules": return try js(try e.checkRules(workspace: try str(a, 0), rules: text(a, 1)))
    case "act_many":
        let ids = try parseIds(json: text(a, 1))
        return try js(try e.actMany(workspace: try str(a, 0), ids: ids, command: try parseCommand(json: text(a, 2)), actor: try str(a, 3), role: try optRole(a, 4)))
    case "escalations": return try js(try e.escalations(workspace: try str(a, 0)))
    case "delete_escalation": try e.deleteEscalation(workspace: try str(a, 0), name: try str(a, 1)); return .null
    case "delete_channel": try e.deleteChannel(workspace: try str(a, 0), name: try str(a, 1)); return .null
    case "add_maintenance": return try js(try e.addMaintenance(workspace: try str(a, 0), window: text(a, 1)))
    case "maintenance_windows": return try js(try e.maintenanceWindows(workspace: try str(a, 0)))
    case "delete_maintenance": try e.deleteMaintenance(workspace: try str(a, 0), id: try str(a, 1)); return .null
    case "set_slack_signing_secret":
        try e.setSlackSigningSecret(workspace: try str(a, 0), secret: try str(a, 1)); return .null
    case "handle_slack_action":
        return try js(try e.handleSlackAction(workspace: try str(a, 0), headers: try headers(arg(a, 1)), body: try body(arg(a, 2))))
    case "handle_slack_team_action":
        return try js(try e.handleSlackTeamAction(headers: try headers(arg(a, 0)), body: try body(arg(a, 1))))
    case "test_channel": return try js(try e.testChannel(workspace: try str(a, 0), name: try str(a, 1)))
    case "sample_payload": return try js(try e.samplePayload(source: try str(a, 0)))
    case "test_integration": return js(try e.testIntegration(workspace: try str(a, 0), source: try str(a, 1)))
    case "slack_connect":
        return try js(try e.slackConnect(workspace: try str(a, 0), app: text(a, 1), options: optText(a, 2)))
    case "slack_oauth_callback":
        return js(try await e.slackOauthCallback(app: text(a, 0), code: try str(a, 1), state: try str(a, 2)))
    case "set_slack_integration": return try js(try e.setSlackIntegration(workspace: try str(a, 0), update: text(a, 1)))
    case "start_background": try e.startBackground(); return .null
    case "stop": try e.stop(); return .null
    default:
        throw CaseFailure(description: "no Swift method for \(name)")
    }
}
