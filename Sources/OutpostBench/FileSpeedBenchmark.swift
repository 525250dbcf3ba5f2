import Foundation
import OutpostBlobs
import OutpostCore
import OutpostSync
import OutpostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// How fast a node stores and reads back a large file on its own disk, for `outpost bench
/// files`: a put of a 256 MiB file of random bytes into a fresh node against `rsync` of it to a
/// local folder, and its get (written to a file and flushed, as `files get` does) against `cp`,
/// alone and followed by an `fsync` of the copy. Five rounds, alternating; medians. Every step
/// starts with nothing left to write and its input in the page cache.
struct FileSpeedBenchmark {
    struct Result: Encodable {
        var bytes: Int
        var putSeconds: Double
        var rsyncSeconds: Double
        var getSeconds: Double
        var copySeconds: Double
        var copyAndFlushSeconds: Double

        var putRatio: Double { putSeconds / max(rsyncSeconds, 1e-9) }
        var getRatio: Double { getSeconds / max(copySeconds, 1e-9) }
        var getRatioFlushed: Double { getSeconds / max(copyAndFlushSeconds, 1e-9) }

        enum CodingKeys: String, CodingKey {
            case bytes
            case putSeconds = "put_seconds"
            case rsyncSeconds = "rsync_seconds"
            case getSeconds = "get_seconds"
            case copySeconds = "cp_seconds"
            case copyAndFlushSeconds = "cp_fsync_seconds"
            case putRatio = "put_ratio_to_rsync"
            case getRatio = "get_ratio_to_cp"
            case getRatioFlushed = "get_ratio_to_cp_fsync"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(putSeconds, forKey: .putSeconds)
            try container.encode(rsyncSeconds, forKey: .rsyncSeconds)
            try container.encode(getSeconds, forKey: .getSeconds)
            try container.encode(copySeconds, forKey: .copySeconds)
            try container.encode(copyAndFlushSeconds, forKey: .copyAndFlushSeconds)
            try container.encode(putRatio, forKey: .putRatio)
            try container.encode(getRatio, forKey: .getRatio)
            try container.encode(getRatioFlushed, forKey: .getRatioFlushed)
        }

        var report: String {
            func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
            return """
                put of a \(bytes >> 20) MiB random file: \(f(putSeconds)) s, rsync to a local folder \(f(rsyncSeconds)) s, ratio \(f(putRatio)) (target ≤ 1.5)
                get of it: \(f(getSeconds)) s, cp \(f(copySeconds)) s (ratio \(f(getRatio)); target ≤ 1.5), cp + fsync \(f(copyAndFlushSeconds)) s (ratio \(f(getRatioFlushed)))
                """
        }
    }

    static let bytes = 256 << 20
    static let rounds = 5

    let folder: String
    let averageChunkSize: Int

    func run() throws -> Result {
        guard let rsyncProgram = ["/usr/bin/rsync", "/bin/rsync"].first(where: FileManager.default.isExecutableFile)
        else {
            throw OutpostError(
                .failedPrecondition,
                "rsync is the baseline for the put's speed and is not installed: apt-get install rsync."
            )
        }
        let source = folder + "/speed-source.bin"
        try Self.writeRandomFile(source, bytes: Self.bytes)
        defer { unlink(source) }
        var put: [Double] = []
        var rsync: [Double] = []
        var get: [Double] = []
        var copy: [Double] = []
        var copyAndFlush: [Double] = []
        for round in 0..<Self.rounds {
            let target = folder + "/speed-rsync-\(round)"
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            Self.settle(reading: [source])
            rsync.append(try Self.seconds { _ = try ChildProcess(rsyncProgram, [source, target + "/"]).run() })
            try? FileManager.default.removeItem(atPath: target)

            let home = NodeHome(path: folder + "/speed-node-\(round)")
            let store = try home.openStore(createIfMissing: true)
            var configuration = FileStoreConfiguration()
            configuration.averageChunkSize = averageChunkSize
            configuration.maximumFileSize = Self.bytes
            let files = try home.files(store: store, configuration: configuration)
            Self.settle(reading: [source])
            put.append(try Self.seconds { try files.put(contentsOf: source, as: "large.bin") })
            let output = folder + "/speed-get.bin"
            let packs = home.path + "/files/packs"
            Self.settle(
                reading: ((try? FileManager.default.contentsOfDirectory(atPath: packs)) ?? []).map { packs + "/" + $0 }
            )
            get.append(try Self.seconds { try files.get("large.bin", to: output) })
            unlink(output)
            try? FileManager.default.removeItem(atPath: home.path)

            let copied = folder + "/speed-cp.bin"
            Self.settle(reading: [source])
            let copySeconds = try Self.seconds { _ = try ChildProcess("/bin/cp", [source, copied]).run() }
            unlink(copied)
            copy.append(copySeconds)
            Self.settle(reading: [source])
            copyAndFlush.append(
                try Self.seconds {
                    _ = try ChildProcess("/bin/cp", [source, copied]).run()
                    let descriptor = open(copied, O_RDONLY | O_CLOEXEC)
                    fsync(descriptor)
                    close(descriptor)
                }
            )
            unlink(copied)
        }
        return Result(
            bytes: Self.bytes,
            putSeconds: put.median,
            rsyncSeconds: rsync.median,
            getSeconds: get.median,
            copySeconds: copy.median,
            copyAndFlushSeconds: copyAndFlush.median
        )
    }

    private static func writeRandomFile(_ path: String, bytes: Int) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        // Seeded once from the system: a getrandom call per 8 bytes took most of the benchmark's
        // set-up time, and SplitMix64's output is as incompressible.
        var system = SystemRandomNumberGenerator()
        var generator = SplitMix64(seed: system.next())
        var block = [UInt64](repeating: 0, count: (1 << 20) / 8)
        for _ in 0..<(bytes >> 20) {
            for index in block.indices { block[index] = generator.next() }
            handle.write(block.withUnsafeBytes { Data($0) })
        }
    }

    /// Gets the machine ready for a timed step: nothing left to write from the step before (the
    /// last round deleted 256 MiB files, and this machine's root file system is mounted with
    /// `discard`), and `paths` read once, so every side of a comparison reads its input from the
    /// page cache (cp's source was always warm; a just-written pack need not be).
    private static func settle(reading paths: [String]) {
        sync()
        var block = [UInt8](repeating: 0, count: 1 << 20)
        for path in paths {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            while block.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        }
    }

    private static func seconds(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
