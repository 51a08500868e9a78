// XCTest: the Swift API on a real engine (SQLite on disk in a temp dir, a real Sentry delivery).

import Foundation
import SignalCraft
import XCTest

final class EngineTests: XCTestCase {
    private var dir: URL!
    private var engine: Engine!
    private let sentryHeaders = ["Sentry-Hook-Resource": "event_alert"]

    override func setUpWithError() throws {
        dir = try makeTempDir()
        engine = try Engine(path: dir.appendingPathComponent("engine.db").path)
    }

    override func tearDownWithError() throws {
        engine?.close()
        try FileManager.default.removeItem(at: dir)
    }

    func testAWorkspaceIsStoredOnDiskAndSurvivesReopening() throws {
        let ws = try engine.createWorkspace(name: "acme")
        XCTAssertEqual(ws.name, "acme")
        XCTAssertFalse(ws.id.isEmpty)
        engine.close()
        let again = try Engine(path: dir.appendingPathComponent("engine.db").path)
        defer { again.close() }
        XCTAssertEqual(try again.workspaces().map(\.name), ["acme"])
        XCTAssertEqual(try again.workspaces().first?.id, ws.id)
    }

    func testARealSentryIssueAlertOpensAGroupAndItsRedeliveryIsADuplicate() throws {
        _ = try engine.createWorkspace(name: "acme")
        let outcome = try engine.ingest(workspace: "acme", source: "sentry", headers: sentryHeaders,
                                        body: try sentryIssueAlert())
        XCTAssertEqual(outcome.outcome, .accepted)
        XCTAssertEqual(outcome.source, "sentry")
        XCTAssertEqual(outcome.alerts.count, 1)
        let alert = try XCTUnwrap(outcome.alerts.first)
        XCTAssertEqual(alert.decision, .newGroup)
        XCTAssertEqual(alert.status, .open)
        XCTAssertEqual(alert.count, 1)
        XCTAssertNotNil(alert.route)
        let page = try engine.groups(workspace: "acme")
        XCTAssertEqual(page.groups.map(\.id), [try XCTUnwrap(alert.groupId)])
        XCTAssertNil(page.nextCursor)
        let group = try XCTUnwrap(page.groups.first)
        XCTAssertEqual(group.source, "sentry")
        XCTAssertEqual(group.status, .open)
        XCTAssertEqual(group.title, alert.title)
        let again = try engine.ingest(workspace: "acme", source: "sentry", headers: sentryHeaders,
                                      body: try sentryIssueAlert())
        XCTAssertEqual(again.outcome, .duplicate)
        XCTAssertEqual(try engine.groups(workspace: "acme").groups.first?.count, 1)
    }

    func testActingOnAGroupChangesItsStatusAndRolesAreChecked() throws {
        _ = try engine.createWorkspace(name: "acme")
        let outcome = try engine.ingest(workspace: "acme", source: "sentry", headers: sentryHeaders,
                                        body: try sentryIssueAlert())
        let id = try XCTUnwrap(outcome.alerts.first?.groupId)
        let acked = try engine.act(workspace: "acme", groupId: id, command: .ack, actor: "alice")
        XCTAssertEqual(acked.status, .acknowledged)
        XCTAssertNotNil(acked.acknowledgedAt)
        XCTAssertThrowsError(try engine.act(workspace: "acme", groupId: id, command: .resolve,
                                            actor: "victor", role: .viewer)) { error in
            guard case SignalCraftError.Forbidden = error else {
                return XCTFail("expected Forbidden, got \(error)")
            }
        }
        let assigned = try engine.act(workspace: "acme", groupId: id, command: .assign(user: "alice"),
                                      actor: "alice", role: .member)
        XCTAssertEqual(assigned.assignee, "alice")
        let resolved = try engine.act(workspace: "acme", groupId: id, command: .resolve, actor: "alice")
        XCTAssertEqual(resolved.status, .resolved)
        XCTAssertEqual(try engine.groups(workspace: "acme", query: GroupQuery(status: [.resolved])).groups.count, 1)
        XCTAssertEqual(try engine.groups(workspace: "acme", query: GroupQuery(status: [.open])).groups.count, 0)
        let detail = try JSON.parse(try engine.group(workspace: "acme", id: id))
        guard case let .array(timeline)? = detail["timeline"] else { return XCTFail("no timeline in \(detail)") }
        // newest first
        XCTAssertEqual(timeline.compactMap { $0["command"]?.string }, ["resolve", "assign", "ack", "open"])
    }

    func testAMalformedBodyIsInvalidInputWithItsPathAndStoresNothing() throws {
        _ = try engine.createWorkspace(name: "acme")
        let truncated = Data("{\"action\": \"triggered\"".utf8)
        do {
            _ = try engine.ingest(workspace: "acme", source: "sentry", headers: sentryHeaders, body: truncated)
            XCTFail("a truncated body was accepted")
        } catch let SignalCraftError.InvalidInput(message, path) {
            XCTAssertEqual(path, "body")
            XCTAssertFalse(message.isEmpty)
        }
        do {
            _ = try engine.groups(workspace: "acme", query: GroupQuery(limit: 0))
            XCTFail("limit 0 was accepted")
        } catch let SignalCraftError.InvalidInput(_, path) {
            XCTAssertEqual(path, "limit")
        }
        XCTAssertThrowsError(try engine.ingest(workspace: "acme", source: "nagios", headers: nil, body: Data("{}".utf8))) {
            XCTAssertEqual(($0 as? SignalCraftError)?.path, "source")
            XCTAssertEqual(($0 as? SignalCraftError)?.kind, "invalid_input")
        }
        XCTAssertEqual(try engine.groups(workspace: "acme").groups.count, 0)
    }

    func testUnknownNamesAreNotFoundAndAClosedEngineSaysSo() throws {
        XCTAssertThrowsError(try engine.groups(workspace: "ghost")) { error in
            guard case SignalCraftError.NotFound = error else { return XCTFail("expected NotFound, got \(error)") }
        }
        engine.close()
        engine.close()
        XCTAssertThrowsError(try engine.workspaces()) { error in
            XCTAssertEqual((error as? SignalCraftError)?.kind, "invalid_input")
            XCTAssertEqual((error as? SignalCraftError)?.path, "engine")
        }
    }

    func testAPanicInsideACallIsTheTypedInternalErrorAndTheEngineSurvives() throws {
        XCTAssertThrowsError(try engine.panicForTests()) { error in
            guard case let SignalCraftError.Internal(message, _) = error else {
                return XCTFail("expected Internal, got \(error)")
            }
            XCTAssertTrue(message.contains("panicked: a panic provoked by a test"), message)
        }
        XCTAssertEqual(try engine.createWorkspace(name: "after").name, "after")
    }

    /// A webhook aimed at a closed loopback port: refused by the guard without the allowance
    /// (nothing is attempted), attempted (and the connection refused) with it.
    func testLoopbackTargetsNeedAllowPrivateTargets() async throws {
        let hook = #"{"url": "http://127.0.0.1:9/hook", "retry": {"max_attempts": 1}}"#
        func lastError(_ e: Engine) async throws -> String {
            _ = try e.createWorkspace(name: "acme")
            _ = try e.setChannel(workspace: "acme", name: "hook", kind: "webhook", config: hook)
            _ = try e.testChannel(workspace: "acme", name: "hook")
            let report = try await e.dispatch(workspace: "acme", waitMs: 5000)
            XCTAssertEqual(report.failed, 1)
            let log = try JSONSerialization.jsonObject(with: Data(try e.deliveries(workspace: "acme", group: nil).utf8))
            let rows = (log as? [[String: Any]]) ?? []
            return (rows.first?["last_error"] as? String) ?? ""
        }
        let refused = try await lastError(engine)
        XCTAssertTrue(refused.contains("refused: 127.0.0.1 is a loopback address"), refused)
        let allowedDir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: allowedDir) }
        let allowed = try Engine(path: allowedDir.appendingPathComponent("allowed.db").path,
                                 options: EngineOptions(allowPrivateTargets: .cidrs(cidrs: ["127.0.0.1/32"])))
        defer { allowed.close() }
        let attempted = try await lastError(allowed)
        XCTAssertFalse(attempted.contains("loopback"), attempted)
        XCTAssertThrowsError(try Engine(path: nil, options: EngineOptions(allowPrivateTargets: .cidrs(cidrs: ["10.0.0.0/8", "nope"])))) { error in
            XCTAssertEqual((error as? SignalCraftError)?.path, "allowPrivateTargets[1]")
        }
    }

    func testDispatchIsAsyncAndFailsLikeTheOtherMethods() async throws {
        _ = try engine.createWorkspace(name: "acme")
        let report = try await engine.dispatch(workspace: "acme")
        XCTAssertEqual(report, DispatchReport(sent: 0, failed: 0, pending: 0))
        do {
            _ = try await engine.dispatch(workspace: "ghost", waitMs: 10)
            XCTFail("dispatch to an unknown workspace succeeded")
        } catch SignalCraftError.NotFound {}
    }

    func testTheSharedCaseListPasses() async throws {
        let suite = try loadSuite()
        XCTAssertGreaterThanOrEqual(suite.cases.count, 10)
        for c in suite.cases {
            let caseDir = try makeTempDir()
            defer { try? FileManager.default.removeItem(at: caseDir) }
            try await runCase(c, now: suite.now, in: caseDir)
        }
    }
}
