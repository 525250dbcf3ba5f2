import Foundation
import OutpostTesting
import Testing

/// A psql session that locks rows (`SELECT … FOR UPDATE`) and keeps them until ``release()``,
/// however slow the machine: for tests of what the hub does when it waits for a lock that
/// another transaction holds. Its statements are cancelled to let go, so its transaction rolls
/// back and writes nothing.
struct PostgresRowHolder {
    let url: String
    /// Names the session in `pg_stat_activity`, unique per holder.
    let name = "outpost_holder_\(UInt32.random(in: 0...UInt32.max))"
    private let session: Task<CommandResult, any Error>

    /// Starts the session and returns once it holds the rows `lock` selects.
    init(url: String, locking lock: String) async throws {
        self.url = url
        let (url, name) = (url, name)
        session = Task {
            try await runProgram(
                "/usr/bin/psql",
                [
                    url + "?application_name=\(name)", "-v", "ON_ERROR_STOP=1", "-q", "-c",
                    "BEGIN; \(lock) FOR UPDATE; SELECT pg_sleep(120); COMMIT;",
                ]
            )
        }
        try await eventually("the rows are held", timeout: .seconds(60)) {
            try await count(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '\(name)' AND query LIKE '%pg_sleep%'"
            ) == 1
        }
    }

    /// Returns once `sessions` others wait behind the holder, directly or behind each other.
    func waitUntilBlocking(_ sessions: Int, _ what: String) async throws {
        let holder = "(SELECT pid FROM pg_stat_activity WHERE application_name = '\(name)')"
        let blocked = """
            WITH RECURSIVE behind(pid) AS (
                SELECT pid FROM pg_stat_activity WHERE \(holder) = ANY(pg_blocking_pids(pid))
                UNION SELECT a.pid FROM pg_stat_activity a, behind b WHERE b.pid = ANY(pg_blocking_pids(a.pid)))
            SELECT count(*) FROM behind
            """
        try await eventually(what, timeout: .seconds(60)) { try await count(blocked) >= sessions }
    }

    /// Lets the rows go and waits for the session to end.
    func release() async throws {
        _ = try await count(
            "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE application_name = '\(name)'"
        )
        _ = try await session.value
    }

    private func count(_ sql: String) async throws -> Int {
        let result = try await runProgram("/usr/bin/psql", [url, "-tAc", sql])
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }
}
