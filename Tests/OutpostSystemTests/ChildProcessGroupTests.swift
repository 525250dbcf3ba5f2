import Foundation
import OutpostCore
import OutpostSystem
import Testing

/// The spawner workflow `command` steps use: its own process group, killed whole, and nothing of
/// this process's open files passed on.
@Suite("Child processes in a group of their own")
struct ChildProcessGroupTests {
    @Test("the program inherits only standard input, output and error, whatever this process has open")
    func noInheritedDescriptors() throws {
        // A descriptor open without close-on-exec, as a careless library would leave one.
        let leaked = open("/dev/null", O_RDONLY)
        defer { close(leaked) }
        #expect(leaked > 2)
        let result = try ChildProcess("/bin/sh", ["-c", "ls /proc/$$/fd"]).runAsGroup(
            timeout: .seconds(10),
            outputLimit: 4_096
        )
        let descriptors = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").compactMap { Int($0) }
        #expect(Set(descriptors).isSubset(of: [0, 1, 2]), "the shell saw \(descriptors)")
    }

    @Test("a timeout kills the whole group, and the outputs kept stop at the limit")
    func timeoutAndLimit() throws {
        let result = try ChildProcess("/bin/sh", ["-c", "yes | head -c 100000; sleep 30"]).runAsGroup(
            timeout: .milliseconds(500),
            outputLimit: 1_000
        )
        #expect(result.timedOut)
        #expect(result.stdout.count == 1_000 && result.truncated)
    }
}
