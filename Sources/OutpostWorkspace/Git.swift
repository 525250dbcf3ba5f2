public import Foundation
public import OutpostCore
import OutpostSystem

/// Runs the real `git` program in one repository, as SwiftPM does: an argument array handed to
/// ``ChildProcess`` (never a shell string), output captured, failures turned into ``OutpostError``s.
///
/// ```swift
/// let git = try Git(directory: "/var/lib/outpost/workspace")
/// let head = try git.run(["rev-parse", "HEAD"]).text
/// ```
///
/// Every run gets a fixed environment on top of the caller's: `LC_ALL=C` (output is parsed),
/// `GIT_TERMINAL_PROMPT=0` and a non-interactive ssh (a daemon must fail, not wait for a
/// password), and the author and committer from ``identity`` (so commits work on a machine
/// with no git configuration).
public struct Git: Sendable {
    /// The oldest git Outpost uses: every command and option it runs exists in 2.20 (2018).
    public static let minimumVersion = [2, 20]

    /// What a git run printed, and how it ended.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String

        /// Standard output as text, trailing newlines removed.
        public var text: String {
            var text = String(decoding: stdout, as: UTF8.self)
            while text.hasSuffix("\n") { text.removeLast() }
            return text
        }

        /// The first line of standard error, for messages.
        public var reason: String {
            let lines = stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            return lines.first { !$0.isEmpty && !$0.hasPrefix("hint:") } ?? "exit status \(status)"
        }
    }

    /// Who commits: name and email.
    public struct Identity: Sendable, Equatable {
        public var name: String
        public var email: String

        /// `Name <email>` as given, or a bare name with an email made from it.
        ///
        /// ```swift
        /// Git.Identity(parsing: "Ada <ada@example.org>")   // Ada, ada@example.org
        /// Git.Identity(parsing: "ada")                     // ada, ada@outpost.local
        /// ```
        public init(parsing text: String) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let open = trimmed.firstIndex(of: "<"), trimmed.hasSuffix(">") {
                name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
                email = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            } else {
                name = trimmed
                let local = trimmed.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
                email = String(local) + "@outpost.local"
            }
        }
    }

    /// The repository's working folder.
    public let directory: String
    /// The `git` program run.
    public let executable: String
    /// The author and committer of commits and merges.
    public var identity: Identity

    /// Finds `git` (`$OUTPOST_GIT`, else the first `git` on `$PATH`) and checks its version.
    ///
    /// - Parameter identity: defaults to `outpost <outpost@outpost.local>`.
    /// - Throws: ``OutpostError`` `.failedPrecondition` when there is no git or it is older than
    ///   ``minimumVersion``.
    public init(
        directory: String,
        identity: Identity = Identity(parsing: "outpost")
    ) throws(OutpostError) {
        self.directory = directory
        self.identity = identity
        executable = try Self.locate()
        let version = try run(["--version"], in: nil).text
        guard let numbers = Self.versionNumbers(version),
            numbers.lexicographicallyPrecedes(Self.minimumVersion) == false
        else {
            throw OutpostError(
                .failedPrecondition,
                "\(executable) reports '\(version)'; the workspace needs git \(Self.minimumVersion.map(String.init).joined(separator: ".")) "
                    + "or later. Install a newer git (apt-get install git) or point OUTPOST_GIT at one."
            )
        }
    }

    /// Runs `git ARGUMENTS` in the repository and returns its output when it succeeds.
    ///
    /// - Parameters:
    ///   - input: written to git's standard input (for `--stdin` commands).
    ///   - allowing: exit statuses besides 0 that are answers rather than failures
    ///     (`git diff --quiet` answers 1 for "differs").
    /// - Throws: ``OutpostError`` `.failedPrecondition` naming the command and git's reason.
    @discardableResult
    public func run(_ arguments: [String], input: Data? = nil, allowing: Set<Int32> = []) throws(OutpostError)
        -> Output
    {
        let output = try run(arguments, in: directory, input: input)
        guard output.status == 0 || allowing.contains(output.status) else {
            throw OutpostError(
                .failedPrecondition,
                "git \(arguments.prefix(2).joined(separator: " ")) failed in \(directory): \(output.reason)",
                details: ["git_status": "\(output.status)"]
            )
        }
        return output
    }

    /// Whether `remote` answers as a git repository (`git ls-remote`), run outside any
    /// repository: the check before a remote is adopted.
    public func remoteAnswers(_ remote: String) throws(OutpostError) -> Bool {
        try run(["ls-remote", "--heads", "--", remote], in: nil).status == 0
    }

    /// Makes a bare repository at `path` (a shared remote on this machine or a mounted disk).
    public func createBareRepository(at path: String) throws(OutpostError) {
        let output = try run(["init", "-q", "--bare", "--initial-branch=main", path], in: nil)
        guard output.status == 0 else {
            throw OutpostError(.storage, "Cannot make a bare git repository at \(path): \(output.reason)")
        }
    }

    /// Runs git and returns its output whatever its exit status.
    public func attempt(_ arguments: [String], input: Data? = nil) throws(OutpostError) -> Output {
        try run(arguments, in: directory, input: input)
    }

    private func run(_ arguments: [String], in folder: String?, input: Data? = nil) throws(OutpostError) -> Output {
        let child = ChildProcess(
            executable,
            arguments,
            environment: environment,
            workingDirectory: folder,
            input: input
        )
        let output: ChildProcess.Output
        do {
            output = try child.run()
        } catch {
            throw OutpostError(
                .failedPrecondition,
                error.message + " Install git 2.20 or later.",
                details: error.details
            )
        }
        return Output(
            status: output.status,
            stdout: output.stdout,
            stderr: String(decoding: output.stderr, as: UTF8.self)
        )
    }

    /// The environment of every git run: the caller's, made non-interactive, with the identity.
    private var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        if environment["GIT_SSH_COMMAND"] == nil {
            environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=15"
        }
        environment["GIT_AUTHOR_NAME"] = identity.name
        environment["GIT_AUTHOR_EMAIL"] = identity.email
        environment["GIT_COMMITTER_NAME"] = identity.name
        environment["GIT_COMMITTER_EMAIL"] = identity.email
        return environment
    }

    /// `$OUTPOST_GIT`, else the first executable `git` on `$PATH`.
    private static func locate() throws(OutpostError) -> String {
        let environment = ProcessInfo.processInfo.environment
        if let chosen = environment["OUTPOST_GIT"], !chosen.isEmpty { return chosen }
        let folders = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for folder in folders {
            let candidate = "\(folder)/git"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw OutpostError(
            .failedPrecondition,
            "No git program on PATH; the workspace runs git. Install git 2.20 or later (apt-get install git) "
                + "or set OUTPOST_GIT to its path."
        )
    }

    /// `[2, 39, 5]` from `git version 2.39.5` (vendor suffixes ignored), or `nil`.
    static func versionNumbers(_ text: String) -> [Int]? {
        guard let word = text.split(separator: " ").first(where: { $0.first?.isNumber == true }) else { return nil }
        let numbers = word.split(separator: ".").prefix(3).compactMap { Int($0.prefix { $0.isNumber }) }
        return numbers.count >= 2 ? numbers : nil
    }
}
