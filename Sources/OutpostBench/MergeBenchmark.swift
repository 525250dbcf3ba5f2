import Foundation
package import OutpostCore
package import OutpostMerge

/// Measures how fast conflicts resolve, for `outpost bench merge`.
///
/// Builds realistic agent and workflow conflicts from a seed (nested config, step arrays,
/// multi-line prompts and notes; one to three fields changed per side, sometimes the same
/// one), then times resolving them all. Building is not timed. The inputs depend only on the
/// seed, so two runs on two machines resolve the same conflicts.
///
/// ```swift
/// let result = MergeBenchmark(conflicts: 50_000).run()
/// print(result.conflictsPerSecond)
/// ```
package struct MergeBenchmark: Sendable {
    /// What a run measured.
    package struct Result: Hashable, Sendable {
        /// How many conflicts were resolved.
        package var conflicts: Int
        /// Time spent resolving them (building the inputs excluded).
        package var elapsed: Duration
        /// How many resolutions need a person's approval.
        package var needingApproval: Int
        /// How many fields, over all conflicts, both sides changed.
        package var collisions: Int

        /// Time spent resolving, in seconds.
        package var seconds: Double {
            Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        }

        /// Resolutions per second.
        package var conflictsPerSecond: Double {
            seconds > 0 ? Double(conflicts) / seconds : 0
        }

        /// Whether the rate reaches `MergeBenchmark.target`.
        package var meetsTarget: Bool { conflictsPerSecond >= MergeBenchmark.target }

        /// The figures for a person, one per line.
        package var report: String {
            """
            \(conflicts) conflicts in \(String(format: "%.3f", seconds)) s, one thread
            \(String(format: "%.0f", conflictsPerSecond)) conflicts/s  (target ≥ \(String(format: "%.0f", MergeBenchmark.target))/s on one core: \(meetsTarget ? "met" : "NOT met"))
            needing approval: \(needingApproval); colliding fields: \(collisions)
            """
        }

        /// The figures for scripts, with the machine they were measured on.
        package func json(machine: String) -> JSONValue {
            [
                "machine": .string(machine), "conflicts": .integer(Int64(conflicts)), "seconds": .double(seconds),
                "conflicts_per_second": .double(conflictsPerSecond),
                "needing_approval": .integer(Int64(needingApproval)),
                "collisions": .integer(Int64(collisions)), "target_per_second": .double(MergeBenchmark.target),
                "meets_target": .bool(meetsTarget),
            ]
        }
    }

    /// The rate the issue asks for, on one core.
    package static let target = 20_000.0

    /// How many conflicts to build and resolve.
    package var conflicts: Int
    /// The seed of the input generator.
    package var seed: UInt64

    /// Creates a benchmark.
    ///
    /// - Parameters:
    ///   - conflicts: Defaults to 20,000.
    ///   - seed: Defaults to 1.
    package init(conflicts: Int = 20_000, seed: UInt64 = 1) {
        self.conflicts = conflicts
        self.seed = seed
    }

    /// Builds the conflicts (half agents, half workflows), the same ones for the same seed.
    package func makeConflicts() -> [Conflict] {
        var random = SplitMix64(seed: seed)
        return (0..<conflicts).map { number in
            number % 2 == 0 ? agentConflict(number, &random) : workflowConflict(number, &random)
        }
    }

    /// Builds the conflicts, then resolves them all with `resolver` and times that with `clock`.
    ///
    /// - Parameters:
    ///   - resolver: Defaults to a resolver with the shipped rules.
    ///   - clock: Defaults to `ContinuousClock`; the only clock the benchmark reads.
    package func run(
        resolver: ConflictResolver = ConflictResolver(),
        clock: some Clock<Duration> = ContinuousClock()
    ) -> Result {
        let inputs = makeConflicts()
        var needingApproval = 0
        var collisions = 0
        let elapsed = clock.measure {
            for conflict in inputs {
                let resolution = resolver.resolve(conflict)
                if resolution.needsApproval { needingApproval += 1 }
                collisions += resolution.fieldActions.count(where: \.isCollision)
            }
        }
        return Result(
            conflicts: inputs.count,
            elapsed: elapsed,
            needingApproval: needingApproval,
            collisions: collisions
        )
    }

    // MARK: Rows

    private static let tools: [JSONValue] = ["search", "fetch", "summarize", "translate", "classify", "extract"]
    private static let prompt = """
        You are a field agent.
        Collect readings from the site sensors.
        Report anomalies to the operator.
        Never discard a reading.
        """

    private func agentConflict(_ number: Int, _ random: inout SplitMix64) -> Conflict {
        let base: JSONValue = [
            "id": .string("agent-\(number)"), "name": .string("agent \(number)"),
            "type": .string(["llm", "rule", "scraper"][number % 3]), "status": "inactive", "version": 7,
            "config": [
                "model": .string("model-\(number % 5)"), "temperature": 0.7, "max_tokens": 1024,
                "tools": .array(Array(Self.tools.prefix(2 + number % 3))),
                "retry": ["count": 3, "backoff_ms": 500], "prompt": .string(Self.prompt),
            ],
        ]
        let edits: [(inout JSONValue, inout SplitMix64) -> Void] = [
            { row, random in row[path: ["name"]] = .string("agent \(random.next() % 1000)") },
            { row, _ in row[path: ["status"]] = "active" },
            { row, random in row[path: ["config", "temperature"]] = .double(Double(random.next() % 10) / 10) },
            { row, random in row[path: ["config", "max_tokens"]] = .integer(Int64(512 + random.next() % 4096)) },
            { row, random in row.append(Self.tools[Int(random.next() % 6)], at: ["config", "tools"]) },
            { row, _ in row.removeFirst(at: ["config", "tools"]) },
            { row, random in row[path: ["config", "retry", "count"]] = .integer(Int64(random.next() % 9)) },
            { row, random in row.replaceLine(Int(random.next() % 4), at: ["config", "prompt"], random: &random) },
        ]
        return conflict("agents", number, base: base, edits: edits, &random)
    }

    private func workflowConflict(_ number: Int, _ random: inout SplitMix64) -> Conflict {
        let steps: [JSONValue] = (0..<(4 + number % 3)).map { step in
            ["id": .string("s\(step)"), "action": .string(["fetch", "transform", "store"][step % 3]), "timeout": 30]
        }
        let base: JSONValue = [
            "id": .string("workflow-\(number)"), "name": .string("workflow \(number)"), "status": "active",
            "agent_id": .string("agent-\(number - 1)"), "execution_count": 12, "version": 3,
            "definition": [
                "steps": .array(steps), "trigger": ["type": "cron", "schedule": "0 * * * *"],
                "notes": "Runs hourly.\nStores to the local table.\nRetries on failure.",
            ],
        ]
        let edits: [(inout JSONValue, inout SplitMix64) -> Void] = [
            { row, random in row[path: ["name"]] = .string("workflow \(random.next() % 1000)") },
            { row, _ in row[path: ["status"]] = "running" },
            { row, random in row[path: ["execution_count"]] = .integer(Int64(12 + random.next() % 50)) },
            { row, random in
                row[path: ["definition", "steps"]] = row[path: ["definition", "steps"]].map { steps in
                    guard case .array(var elements) = steps else { return steps }
                    let index = Int(random.next() % UInt64(elements.count))
                    elements[index][path: ["timeout"]] = .integer(Int64(10 + random.next() % 120))
                    return .array(elements)
                }
            },
            { row, random in
                row.append(
                    ["id": .string("x\(random.next() % 100)"), "action": "notify"],
                    at: ["definition", "steps"]
                )
            },
            { row, _ in row.removeFirst(at: ["definition", "steps"]) },
            { row, _ in row[path: ["definition", "trigger", "schedule"]] = "*/5 * * * *" },
            { row, random in row.replaceLine(Int(random.next() % 3), at: ["definition", "notes"], random: &random) },
        ]
        return conflict("workflows", number, base: base, edits: edits, &random)
    }

    private func conflict(
        _ entityType: String,
        _ number: Int,
        base: JSONValue,
        edits: [(inout JSONValue, inout SplitMix64) -> Void],
        _ random: inout SplitMix64
    ) -> Conflict {
        var local = base
        var remote = base
        for _ in 0..<(1 + random.next() % 3) { edits[Int(random.next() % UInt64(edits.count))](&local, &random) }
        for _ in 0..<(1 + random.next() % 3) { edits[Int(random.next() % UInt64(edits.count))](&remote, &random) }
        let now: UInt64 = 1_790_000_000_000 + UInt64(number) * 1_000
        return Conflict(
            entityType: entityType,
            key: "\(entityType)-\(number)",
            local: local,
            remote: remote,
            base: base,
            localStamp: HybridTimestamp(milliseconds: now + random.next() % 500, counter: 0, node: "edge-1"),
            remoteStamp: HybridTimestamp(milliseconds: now + random.next() % 500, counter: 0, node: "hub"),
            localVersion: 7,
            remoteVersion: 8
        )
    }
}

extension JSONValue {
    /// The member at a path of names; setting `nil` removes it. Benchmark input building only.
    fileprivate subscript(path names: [String]) -> JSONValue? {
        get {
            names.reduce(Optional(self)) { value, name in value?[name] }
        }
        set {
            guard let name = names.first, case .object(var members) = self else { return }
            if names.count == 1 {
                members[name] = newValue
            } else {
                var child = members[name] ?? .object([:])
                child[path: Array(names.dropFirst())] = newValue
                members[name] = child
            }
            self = .object(members)
        }
    }

    fileprivate mutating func append(_ element: JSONValue, at names: [String]) {
        guard case .array(let elements)? = self[path: names] else { return }
        self[path: names] = .array(elements + [element])
    }

    fileprivate mutating func removeFirst(at names: [String]) {
        guard case .array(let elements)? = self[path: names], !elements.isEmpty else { return }
        self[path: names] = .array(Array(elements.dropFirst()))
    }

    fileprivate mutating func replaceLine(_ line: Int, at names: [String], random: inout SplitMix64) {
        guard case .string(let text)? = self[path: names] else { return }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[line % lines.count] = "Edited line \(random.next() % 1000)."
        self[path: names] = .string(lines.joined(separator: "\n"))
    }
}
