import ArgumentParser
import Foundation
import OutpostCore
import OutpostSync

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Push queued changes to the hub, then pull until caught up.",
        discussion: """
            Changes go highest priority first, parents before the rows that reference them, in \
            batches sized to the link. Conflicts merge by the rules (HOME/rules.json) or wait \
            for a person (`outpost conflicts`). If the hub cannot be reached the command fails \
            and the queue stays as it was.

            Examples:
              outpost sync
              outpost sync --bandwidth 64k --daily-quota 50m
              outpost sync --json | jq .pushed
            """
    )
    @OptionGroup var node: NodeOptions
    @OptionGroup var sync: SyncOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Self.perform(node: node, sync: sync, output: output)
    }

    /// One sync with its report printed; `outpost resync` runs it too.
    static func perform(node: NodeOptions, sync: SyncOptions, output: OutputOptions) async throws {
        let lock = try node.nodeHome.lockForSync()
        let engine = try sync.engine(for: node)
        let bar = ProgressBar(enabled: !output.json)
        let report: SyncReport
        do {
            report = try await engine.sync { bar.show($0) }
        } catch {
            bar.finish()
            throw error
        }
        bar.finish()
        withExtendedLifetime(lock) {}
        let peakMemory = ProcessMemory.peakResidentBytes()
        if output.json {
            Output.json(SyncCommandSummary(report: report, peakMemoryBytes: peakMemory))
            return
        }
        var line = "synced: pushed \(report.pushed), pulled \(report.pulled), merged \(report.merged)"
        if report.parked > 0 { line += ", \(report.parked) waiting for a person (outpost conflicts)" }
        if report.failed > 0 { line += ", \(report.failed) refused by the hub (outpost queue list --status failed)" }
        print(line)
        print(
            "sent \(report.bytesSent) B, received \(report.bytesReceived) B in \(report.batches) batch(es)"
                + (report.pending > 0 ? "; \(report.pending) change(s) still queued" : "")
                + (report.quotaReached
                    ? " (today's --daily-quota is used up: only critical changes go until 00:00 UTC)" : "")
        )
        if report.chunksSent + report.chunksFetched > 0 {
            print(
                "files: \(report.chunksSent) chunk(s) sent, \(report.chunksFetched) fetched, "
                    + "\(report.filesFetched) file(s) now complete here"
            )
        }
        if !report.columnsAdded.isEmpty {
            print("added the hub's columns: \(report.columnsAdded.joined(separator: ", ")) (outpost schema diff)")
        }
        if report.resynced { print("the hub asked for a full re-sync; done") }
        if let peakMemory { print(String(format: "peak memory %.1f MB", Double(peakMemory) / 1_048_576)) }
    }
}

/// `outpost sync --json`: the report, and the process's peak memory.
struct SyncCommandSummary: Encodable {
    var report: SyncReport
    var peakMemoryBytes: Int64?

    enum Key: String, CodingKey {
        case peakMemoryBytes = "peak_memory_bytes"
    }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(peakMemoryBytes, forKey: .peakMemoryBytes)
    }
}

/// A one-line progress bar on a terminal; plain lines, at most one a second, otherwise.
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var lastPlain = Date.distantPast
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: SyncProgress) {
        guard enabled else { return }
        lock.withLock {
            let text: String
            if progress.total == 0 { return }
            if let total = progress.total {
                let fraction = min(1, Double(progress.done) / Double(total))
                let filled = Int(fraction * 30)
                text =
                    "\(progress.phase.rawValue) [\(String(repeating: "#", count: filled))"
                    + "\(String(repeating: ".", count: 30 - filled))] \(progress.done)/\(total)"
            } else {
                text = "\(progress.phase.rawValue) \(progress.done) \(progress.phase == .files ? "file(s)" : "row(s)")"
            }
            if terminal {
                FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
                drawn = true
            } else if Date().timeIntervalSince(lastPlain) >= 1 {
                FileHandle.standardError.write(Data("\(text)\n".utf8))
                lastPlain = Date()
            }
        }
    }

    func finish() {
        lock.withLock {
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            drawn = false
        }
    }
}
