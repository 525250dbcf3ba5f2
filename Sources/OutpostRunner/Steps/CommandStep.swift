import Foundation
public import OutpostCore
import OutpostSystem

/// `command`: runs a program with an argument array (never a shell).
///
/// Fields: `argv` (the program, then its arguments), `env` (added to the node's environment),
/// `cwd`, `stdin` (text), `max_output` (bytes kept of each output, 64 KiB by default),
/// `success_codes` (exit statuses that count as success, `[0]` by default). The program runs in
/// a process group of its own; the step's timeout, or its end, ends the whole group.
/// Output: `exit_code`, `stdout`, `stderr`, `truncated`.
public struct CommandStep: StepExecutor {
    public let type = "command"
    public let enforcesTimeout = true
    public let fields: Set<String> = ["argv", "env", "cwd", "stdin", "max_output", "success_codes"]
    static let defaultOutputLimit = 64 << 10

    public init() {}

    public func validate(_ step: StepDefinition, field: String) throws(OutpostError) {
        guard case .array(let argv)? = step["argv"], !argv.isEmpty,
            argv.allSatisfy({ if case .string = $0 { true } else { false } })
        else {
            throw WorkflowDefinition.invalid(
                "\(field).argv",
                "a command step needs argv, an array of text: the program, then its arguments"
            )
        }
        if let env = step["env"] {
            guard case .object(let members) = env, members.values.allSatisfy({ $0.stringValue != nil }) else {
                throw WorkflowDefinition.invalid("\(field).env", "must be an object of text values")
            }
        }
        for name in ["cwd", "stdin"] where step[name] != nil && step[name]?.stringValue == nil {
            throw WorkflowDefinition.invalid("\(field).\(name)", "must be text")
        }
        if let limit = step["max_output"] {
            guard case .integer(let bytes) = limit, (0...(16 << 20)).contains(bytes) else {
                throw WorkflowDefinition.invalid("\(field).max_output", "must be a number of bytes up to 16 MiB")
            }
        }
        if let codes = step["success_codes"] {
            guard case .array(let values) = codes, !values.isEmpty,
                values.allSatisfy({ if case .integer(let code) = $0 { (0...255).contains(code) } else { false } })
            else {
                throw WorkflowDefinition.invalid("\(field).success_codes", "must be an array of exit statuses (0…255)")
            }
        }
    }

    public func run(_ fields: [String: JSONValue], context: StepContext) async throws -> JSONValue {
        guard case .array(let argvValues)? = fields["argv"] else { throw StepFailure("argv is missing") }
        let argv = argvValues.map { $0.stringValue ?? $0.encoded() }
        // Without `env` the program inherits this process's environment as it is, unread.
        var environment: [String: String]?
        if let variables = fields["env"]?.objectValue {
            var merged = ProcessInfo.processInfo.environment
            for (name, value) in variables { merged[name] = value.stringValue ?? value.encoded() }
            environment = merged
        }
        let limit =
            fields["max_output"].flatMap { if case .integer(let bytes) = $0 { Int(bytes) } else { nil } }
            ?? Self.defaultOutputLimit
        let successCodes: Set<Int32> =
            if case .array(let codes)? = fields["success_codes"] {
                Set(codes.compactMap { if case .integer(let code) = $0 { Int32(code) } else { nil } })
            } else { [0] }
        let child = ChildProcess(
            argv[0],
            Array(argv.dropFirst()),
            environment: environment,
            workingDirectory: fields["cwd"]?.stringValue,
            input: fields["stdin"]?.stringValue.map { Data($0.utf8) }
        )
        let timeout = context.timeout
        // On a run's own executor the wait may hold the thread; elsewhere it gets one of its own.
        let result =
            if RunExecutor.isCurrent {
                try child.runAsGroup(timeout: timeout, outputLimit: limit)
            } else {
                try await DedicatedThread.run { try child.runAsGroup(timeout: timeout, outputLimit: limit) }
            }
        let stdout = String(decoding: result.stdout, as: UTF8.self)
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        let output: JSONValue = [
            "exit_code": .integer(Int64(result.termination.status)),
            "stdout": .string(stdout),
            "stderr": .string(stderr),
            "truncated": .bool(result.truncated),
        ]
        if result.timedOut {
            throw StepFailure(
                "\(argv[0]) did not finish within \(timeout); its process group was killed",
                output: output
            )
        }
        switch result.termination {
        case .signalled(let signal):
            throw StepFailure("\(argv[0]) was ended by signal \(signal)", output: output)
        case .exited(let status) where !successCodes.contains(status):
            let tail = stderr.split(separator: "\n").last.map { ": \($0.prefix(300))" } ?? ""
            throw StepFailure("\(argv[0]) exited with status \(status)\(tail)", output: output)
        case .exited:
            return output
        }
    }
}
