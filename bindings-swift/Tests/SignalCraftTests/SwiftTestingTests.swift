// Swift Testing: the shared case list, one test argument per case, and the host parsers.

import Foundation
import SignalCraft
import Testing

/// The shared cases (loaded once; a missing or unreadable list fails the test below).
let sharedSuite: Suite? = try? loadSuite()

@Suite("shared cases")
struct SharedCases {
    @Test("the case list is there")
    func theListLoads() throws {
        let suite = try loadSuite()
        #expect(suite.cases.count >= 10)
    }

    @Test("case", arguments: sharedSuite?.cases ?? [])
    func sharedCase(_ c: Case) async throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await runCase(c, now: sharedSuite?.now ?? "", in: dir)
    }
}

@Suite("host parsers")
struct HostParsers {
    @Test func aGroupQueryFromJSONTextIsChecked() throws {
        let q = try parseGroupQuery(json: #"{"status": "open", "limit": 5}"#)
        #expect(q == GroupQuery(status: [.open], sort: .lastSeen, order: .desc, limit: 5))
        #expect(try parseGroupQuery(json: #"{"status": "open,resolved", "limit": "5", "sort": "count"}"#) == GroupQuery(status: [.open, .resolved], sort: .count, order: .desc, limit: 5))
        #expect(throws: SignalCraftError.self) { try parseGroupQuery(json: #"{"colour": "red"}"#) }
        do {
            _ = try parseGroupQuery(json: #"{"colour": "red"}"#)
        } catch let e as SignalCraftError {
            #expect(e.path == "query")
        }
    }

    @Test func commandsHeadersAndRoles() throws {
        #expect(try parseCommand(json: #"{"command": "assign", "user": "bob"}"#) == .assign(user: "bob"))
        #expect(try parseHeaders(json: #"[["X-A", "1"], ["X-A", "2"], ["X-B", "3"]]"#) == ["X-A": "1", "X-B": "3"])
        #expect(try parseRole(name: "viewer") == .viewer)
        do {
            _ = try parseRole(name: "god")
            Issue.record("an unknown role parsed")
        } catch let SignalCraftError.InvalidInput(_, path) {
            #expect(path == "role")
        }
    }
}

@Suite("the case runner")
struct RunnerChecks {
    /// The runner fails a step whose answer differs, and one that expects an error and gets
    /// an answer: the shared cases passing means something.
    @Test func aWrongAnswerOrAMissingErrorFailsTheCase() async throws {
        let wrong = try JSONDecoder().decode(Case.self, from: Data(#"""
            {"name": "wrong", "steps": [{"call": "create_workspace", "args": ["acme"], "expect": {"name": "globex"}}]}
            """#.utf8))
        let missing = try JSONDecoder().decode(Case.self, from: Data(#"""
            {"name": "missing", "steps": [{"call": "create_workspace", "args": ["acme"], "error": {"kind": "conflict"}}]}
            """#.utf8))
        for c in [wrong, missing] {
            let dir = try makeTempDir()
            defer { try? FileManager.default.removeItem(at: dir) }
            await #expect(throws: CaseFailure.self) {
                try await runCase(c, now: "2026-11-30T12:00:00Z", in: dir)
            }
        }
    }
}

@Suite("Slack install")
struct SlackInstallChecks {
    /// `slackOauthCallback` is async and fails with the engine's typed errors: the state is
    /// checked (and bad input refused) before Slack would be called.
    @Test func aForgedStateOrAMissingCodeIsInvalidInputAtItsPath() async throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let engine = try Engine(path: dir.appendingPathComponent("slack.db").path)
        defer { engine.close() }
        _ = try engine.createWorkspace(name: "acme")
        let app = #"{"client_id": "1", "client_secret": "s", "redirect_uri": "https://sc.example/cb"}"#
        let started = try JSON.parse(try engine.slackConnect(workspace: "acme", app: app))
        let state = try #require(started["state"]?.string)
        #expect(started["url"]?.string?.contains("client_id=1") == true)
        do {
            _ = try await engine.slackOauthCallback(app: app, code: "c0de", state: "forged")
            Issue.record("a forged state was accepted")
        } catch let SignalCraftError.InvalidInput(_, path) {
            #expect(path == "state")
        }
        do {
            _ = try await engine.slackOauthCallback(app: app, code: " ", state: state)
            Issue.record("an empty code was accepted")
        } catch let SignalCraftError.InvalidInput(_, path) {
            #expect(path == "code")
        }
    }
}
