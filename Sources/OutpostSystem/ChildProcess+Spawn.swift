package import Foundation
package import OutpostCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ChildProcess {
    /// Where one of a child's standard descriptors comes from or goes to.
    enum Stream {
        /// `/dev/null`.
        case null
        /// This descriptor of ours, duplicated into the child.
        case descriptor(Int32)
    }

    /// Starts `program` with `posix_spawn` and returns its process id.
    ///
    /// Foundation's `Process.run()` is not used anywhere: on Linux it lists `/proc/self/fd` to
    /// close descriptors and over-reads a directory entry's name (swift-corelibs-foundation
    /// #5472, not fixed in Swift 6.3.1), which crashed a test run with SIGSEGV in `memcpy`
    /// once enough processes were started at once.
    ///
    /// The child gets only its three standard descriptors (everything else this process has
    /// open is closed in it: the store's files, sockets, pipes a parent watches), default
    /// handling of every signal and an empty signal mask (a service that ignores SIGTERM for its
    /// own shutdown must not pass that on), and `workingDirectory` when given.
    ///
    /// - Parameter ownGroup: start it in a process group of its own, to end it with all it
    ///   starts (`killpg`).
    /// - Throws: ``OutpostError`` `.notFound` when the program cannot be started.
    static func spawn(
        _ program: String,
        _ arguments: [String],
        environment: [String: String],
        workingDirectory: String?,
        input: Stream,
        output: Stream,
        error: Stream,
        ownGroup: Bool = false
    ) throws(OutpostError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        for (stream, target) in [(input, Int32(0)), (output, 1), (error, 2)] {
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let descriptor):
                posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            }
        }
        if let addCloseFrom = Self.addCloseFrom {
            _ = addCloseFrom(&actions, 3)
        } else {
            for descriptor in Self.openDescriptors() where descriptor > 2 {
                posix_spawn_file_actions_addclose(&actions, descriptor)
            }
        }
        if let workingDirectory {
            guard let addChangeDirectory = Self.addChangeDirectory else {
                throw OutpostError(
                    .failedPrecondition,
                    "This C library cannot start a program in another folder (cwd)."
                )
            }
            _ = addChangeDirectory(&actions, workingDirectory)
        }
        var allSignals = sigset_t()
        var noSignals = sigset_t()
        sigfillset(&allSignals)
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if ownGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw OutpostError(
                .notFound,
                "Cannot run \(program): \(String(cString: strerror(spawned))).",
                details: ["program": program]
            )
        }
        return pid
    }

    /// A pipe whose ends close on exec (the child gets its own copies as 0, 1 and 2).
    static func makePipe() throws(OutpostError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw OutpostError(.storage, "Cannot make a pipe for a child process: \(String(cString: strerror(errno))).")
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    /// Writes `input` to `descriptor` from a thread of its own (the child may fill its output
    /// before it reads all its input), then closes it. A child that exits without reading
    /// ends the writing (`EPIPE`), not this process: SIGPIPE is blocked on that thread.
    static func feed(_ input: Data, to descriptor: Int32) {
        DedicatedThread.startOrCrash {
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            input.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { break }
                    offset += written
                }
            }
            close(descriptor)
        }
    }

    /// The wait status `waitpid` gives, as a ``Termination``.
    static func termination(fromWaitStatus status: Int32) -> Termination {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29 and later), looked up at run time:
    /// Swift's Glibc module does not declare the GNU extensions.
    private static let addChangeDirectory:
        (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
            else { return nil }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32)
                    .self
            )
        }()

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time.
    private static let addCloseFrom:
        (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
            else { return nil }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self
            )
        }()

    /// This process's open descriptors (from `/proc/self/fd`), where `closefrom` is missing.
    private static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }
}
