import OutpostProtocol

/// The pages of a pull asked for ahead of the writer: while the node writes one page, the next
/// ``depth`` are on their way, each asked for as soon as the one before it arrives.
///
/// With one page ahead, a page the hub or the parser was slow with left the writer waiting,
/// and the next request waited for the writer: on two cores shared with the hub, the writer sat
/// idle for two fifths of an initial pull.
///
/// Asking after a page's cursor tells the hub the node holds it a little before it does. A
/// node that dies first asks again from its own cursor; if the hub collected tombstones
/// meanwhile, it answers 410 and the node re-syncs.
struct PullAhead {
    /// Pages asked for ahead of the one being written.
    static let depth = 3

    /// What a request asked ahead brought, and the cursor it asked after.
    struct Asked: Sendable {
        var after: Int64
        var result: Result<PulledPage, SyncFailure>
    }

    private let fetch: @Sendable (Int64) async throws(SyncFailure) -> PulledPage
    /// Oldest first; `nil` from a request that was not made (the page before it was the last,
    /// or failed).
    private var asked: [Task<Asked?, Never>] = []

    /// - Parameter fetch: asks the hub for the page after a cursor, without waiting for changes.
    init(fetch: @escaping @Sendable (Int64) async throws(SyncFailure) -> PulledPage) {
        self.fetch = fetch
    }

    /// The page after `cursor` when it was asked for ahead; otherwise (nothing asked, or the node's
    /// cursor moved elsewhere: a re-sync, a hub that went back in time) `nil`, and what was asked
    /// is dropped.
    mutating func take(after cursor: Int64) async throws(SyncFailure) -> PulledPage? {
        guard let next = asked.first else { return nil }
        asked.removeFirst()
        guard let answer = await next.value, answer.after == cursor else {
            cancel()
            return nil
        }
        return try answer.result.get()
    }

    /// Asks for the pages after `page` (when it says there are more) up to ``depth`` ahead.
    mutating func askAfter(_ page: PullResponse) {
        guard page.more else { return }
        let fetch = fetch
        if asked.isEmpty {
            let cursor = page.cursor
            asked.append(
                Task {
                    Asked(
                        after: cursor,
                        result: await Self.result { () throws(SyncFailure) in try await fetch(cursor) }
                    )
                }
            )
        }
        while asked.count < Self.depth, let previous = asked.last {
            asked.append(
                Task {
                    guard case .success(let before)? = await previous.value?.result, before.exchange.value.more,
                        !Task.isCancelled
                    else { return nil }
                    let cursor = before.exchange.value.cursor
                    return Asked(
                        after: cursor,
                        result: await Self.result { () throws(SyncFailure) in try await fetch(cursor) }
                    )
                }
            )
        }
    }

    /// Drops every page asked for ahead.
    mutating func cancel() {
        for task in asked { task.cancel() }
        asked = []
    }

    private static func result(
        _ body: () async throws(SyncFailure) -> PulledPage
    ) async -> Result<PulledPage, SyncFailure> {
        do throws(SyncFailure) {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }
}
