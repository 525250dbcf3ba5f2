import Foundation

/// This process's memory as the kernel counts it.
enum ProcessMemory {
    /// The peak resident set (`VmHWM` in /proc/self/status), in bytes; `nil` where /proc is
    /// missing. Unlike a parent's `getrusage(RUSAGE_CHILDREN)`, it does not count the parent's
    /// pages that a child spawned with vfork shares until it execs.
    static func peakResidentBytes() -> Int64? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.dropFirst("VmHWM:".count).split(whereSeparator: \.isWhitespace).first.flatMap {
                Int64($0)
            }
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }
}
