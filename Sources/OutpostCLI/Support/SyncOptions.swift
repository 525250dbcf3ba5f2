import ArgumentParser
import Foundation
import Logging
import OutpostBlobs
import OutpostCore
import OutpostMerge
import OutpostStore
import OutpostSync

/// Pacing flags shared by `outpost sync` and `outpost run`.
struct SyncOptions: ParsableArguments {
    @Option(
        name: .customLong("bandwidth"),
        help: ArgumentHelp(
            "Cap on the bytes per second sync may use (e.g. 64k, 2m).",
            discussion: "A fifth of it is kept for critical changes."
        )
    )
    var bandwidth: ByteCount?

    @Option(
        name: .customLong("daily-quota"),
        help:
            "Bytes per UTC day after which only critical changes are pushed: a number with k, m or g (KiB, MiB, GiB; kb, mb, gb too), e.g. 50m."
    )
    var dailyQuota: ByteCount?

    var configuration: SyncConfiguration {
        var configuration = SyncConfiguration()
        configuration.bandwidthBytesPerSecond = bandwidth.map { Double($0.bytes) }
        configuration.dailyQuotaBytes = dailyQuota.map(\.bytes)
        return configuration
    }

    /// The node's engine: its store, its remote, its rules.
    func engine(for node: NodeOptions, logger: Logger = .cli) throws(OutpostError) -> SyncEngine {
        try node.nodeHome.engine(configuration: configuration, logger: logger)
    }
}

/// A byte count with an optional k/m/g suffix (powers of 1024; `kb`, `kib` and the like mean
/// the same), from 1 byte to 1 PiB.
struct ByteCount: ExpressibleByArgument {
    var bytes: Int64

    /// The largest count accepted: beyond any disk or link, and far from `Int64`'s limit.
    static let maximum = Double(1 << 50)

    init?(argument: String) {
        let text = argument.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Int64)] = [
            ("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10), ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10),
            ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("b", 1),
        ]
        var number = text
        var multiplier: Int64 = 1
        for (suffix, value) in units where text.hasSuffix(suffix) {
            number = String(text.dropLast(suffix.count))
            multiplier = value
            break
        }
        guard let value = Double(number), value.isFinite, value > 0, value * Double(multiplier) <= Self.maximum
        else { return nil }
        bytes = max(1, Int64(value * Double(multiplier)))
    }
}
