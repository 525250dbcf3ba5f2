import Foundation
import OutpostCore
import OutpostSystem
import Testing

@Suite("System: child processes")
struct ChildProcessTests {
    @Test("a child that writes 2 MB to stderr before its stdout finishes instead of blocking on a full pipe")
    func drainsBothPipes() throws {
        let output = try ChildProcess("/bin/sh", ["-c", "head -c 2000000 /dev/zero >&2; echo done"])
            .run(timeout: .seconds(60))
        #expect(!output.timedOut)
        #expect(output.termination == .exited(0))
        #expect(output.stderr.count == 2_000_000)
        #expect(String(decoding: output.stdout, as: UTF8.self) == "done\n")
    }

    @Test("input is fed while the output is read, so a child echoing a large input cannot block")
    func feedsInput() throws {
        let input = Data((0..<1_500_000).map { UInt8(truncatingIfNeeded: $0) })
        let output = try ChildProcess("/bin/cat", input: input).run(timeout: .seconds(60))
        #expect(output.status == 0 && output.stdout == input)
    }

    @Test("arguments, environment and working directory reach the child as given, with no shell between")
    func passesSettings() throws {
        let output = try ChildProcess(
            "/bin/sh",
            ["-c", #"printf '%s|%s|%s' "$1" "$GREETING" "$(pwd)""#, "sh", "two words; $HOME"],
            environment: ["GREETING": "hello"],
            workingDirectory: "/tmp"
        ).run()
        #expect(String(decoding: output.stdout, as: UTF8.self) == "two words; $HOME|hello|/tmp")
    }

    @Test("the timeout kills a child that runs too long")
    func timeoutKills() throws {
        let started = ContinuousClock.now
        let output = try ChildProcess("/bin/sleep", ["30"]).run(timeout: .milliseconds(200))
        #expect(output.timedOut)
        #expect(output.termination == .signalled(SIGKILL))
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("a missing program is a clear not-found error naming it")
    func missingProgram() {
        let error = #expect(throws: OutpostError.self) {
            try ChildProcess("/nonexistent/outpost-program", ["--version"]).run()
        }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("/nonexistent/outpost-program") == true)
    }

    @Test("a started child is watched through its output, then stopped")
    func startedChild() throws {
        let child = try ChildProcess("/bin/sh", ["-c", "echo ready; exec sleep 30"]).start(capturing: .standardOutput)
        #expect(child.waitForOutput(timeout: .seconds(30)) { $0.contains("ready\n") ? true : nil } == true)
        #expect(child.isRunning)
        child.kill()
        #expect(child.wait() == .signalled(SIGKILL))
    }

    @Test("waiting for output ends when the child ends without printing it")
    func outputEnds() throws {
        let child = try ChildProcess("/bin/sh", ["-c", "echo one; echo two >&2"]).start(capturing: .everything)
        let started = ContinuousClock.now
        #expect(child.waitForOutput(timeout: .seconds(30)) { $0.contains("three") ? true : nil } == nil)
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(child.output == "one\ntwo\n")
        #expect(child.wait() == .exited(0))
    }

    @Test("a started child gets default signal handling even when this process ignores SIGTERM, so it can be stopped")
    func defaultSignals() throws {
        // What a process that ran a ServiceGroup does; a child used to inherit it and outlive `stop()`'s SIGTERM.
        signal(SIGTERM, SIG_IGN)
        let child = try ChildProcess("/bin/sleep", ["30"]).start()
        #expect(child.stop(grace: .seconds(10)) == .signalled(SIGTERM))
    }

    @Test("children started at once from many threads, with many descriptors open here, get only their own three")
    func manyChildrenManyDescriptors() async throws {
        let held = (0..<1_500).map { _ in open("/dev/null", O_RDONLY) }
        defer { held.forEach { close($0) } }
        #expect(held.allSatisfy { $0 >= 0 })
        let listings = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await DedicatedThread.run {
                        try (0..<25).map { _ in
                            let output = try ChildProcess("/bin/sh", ["-c", "ls /proc/$$/fd"]).run(
                                timeout: .seconds(60)
                            )
                            return String(decoding: output.stdout, as: UTF8.self)
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(listings.count == 200)
        #expect(Set(listings) == ["0\n1\n2\n"], "a child saw descriptors it was not given: \(Set(listings))")
    }
}
