import Foundation
import OutpostCore
import OutpostRunner
import Testing

@Suite("Workflow definitions: read once, every error names its field")
struct WorkflowDefinitionTests {
    @Test("the issue's minimal definition reads as written")
    func minimal() throws {
        let definition = try WorkflowDefinition(
            parsing:
                #"{"steps": [{"id": "greet", "type": "command", "argv": ["/bin/echo", "hello"], "timeout": "10s"}]}"#
        )
        #expect(definition.steps.map(\.id) == ["greet"])
        #expect(definition.steps[0].timeout == .seconds(10))
        #expect(definition.steps[0].retry == .none)
        #expect(definition.steps[0].onFailure == .stop)
        #expect(!definition.steps[0].repeatable)
    }

    @Test("retries, backoff, failure policies and compensations are read")
    func policies() throws {
        let definition = try WorkflowDefinition(
            parsing: """
                {"steps": [
                  {"id": "a", "type": "command", "argv": ["/bin/true"], "retries": {"attempts": 3, "backoff": "2s", "max_backoff": "5s"}},
                  {"id": "b", "type": "command", "argv": ["/bin/true"], "on_failure": "continue", "retries": 1},
                  {"id": "c", "type": "command", "argv": ["/bin/true"], "on_failure": {"run": "undo"}, "repeatable": true}
                 ],
                 "compensations": [{"id": "undo", "type": "command", "argv": ["/bin/true"]}]}
                """
        )
        let retry = definition.steps[0].retry
        #expect(retry.retries == 3)
        #expect([2, 3, 4].map { retry.delay(beforeAttempt: $0) } == [.seconds(2), .seconds(4), .seconds(5)])
        #expect(definition.steps[1].onFailure == .continue)
        #expect(definition.steps[1].retry.retries == 1)
        #expect(definition.steps[2].onFailure == .compensate(stepID: "undo"))
        #expect(definition.steps[2].repeatable)
        #expect(definition.compensations.map(\.id) == ["undo"])
    }

    @Test(
        "a bad definition is refused with the field that is wrong",
        arguments: [
            (#"{"steps": []}"#, "steps"),
            (#"{"steps": [{"id": "a", "type": "teleport"}]}"#, "steps[0].type"),
            (#"{"steps": [{"type": "command", "argv": ["/bin/true"]}]}"#, "steps[0].id"),
            (
                #"{"steps": [{"id": "a", "type": "command", "argv": ["/bin/true"], "timeout": "10 parsecs"}]}"#,
                "steps[0].timeout"
            ),
            (#"{"steps": [{"id": "a", "type": "command", "argv": "echo hi"}]}"#, "steps[0].argv"),
            (#"{"steps": [{"id": "a", "type": "command", "argv": ["/bin/true"], "shell": true}]}"#, "steps[0].shell"),
            (
                #"{"steps": [{"id": "a", "type": "command", "argv": ["/bin/true"]}, {"id": "a", "type": "command", "argv": ["/bin/true"]}]}"#,
                "steps[1].id"
            ),
            (
                #"{"steps": [{"id": "a", "type": "command", "argv": ["${steps.b.output.stdout}"]}, {"id": "b", "type": "command", "argv": ["/bin/true"]}]}"#,
                "steps[0]"
            ),
            (
                #"{"steps": [{"id": "a", "type": "sql", "sql": "DELETE FROM t WHERE id = '${input.id}'"}]}"#,
                "steps[0].sql"
            ),
            (#"{"steps": [{"id": "a", "type": "http", "url": "ftp://example"}]}"#, "steps[0].url"),
            (
                #"{"steps": [{"id": "a", "type": "command", "argv": ["/bin/true"], "on_failure": {"run": "nothing"}}]}"#,
                "steps[0].on_failure"
            ),
            (#"{"steps": [{"id": "a", "type": "command", "argv": ["/bin/true"], "retries": -1}]}"#, "steps[0].retries"),
            (#"{"steps": [{"id": "a", "type": "model"}]}"#, "steps[0]"),
            (#"{"steps": [{"id": "a", "type": "file", "action": "move", "name": "x"}]}"#, "steps[0].action"),
            (#"{"stepz": []}"#, "stepz"),
        ] as [(String, String)]
    )
    func refused(text: String, field: String) {
        #expect {
            try WorkflowDefinition(parsing: text)
        } throws: { error in
            let error = error as! OutpostError
            return error.code == .invalidInput && error.details["field"] == field
                && error.message.contains("\(field):")
        }
    }

    @Test("a JSON syntax error gives its line and column")
    func syntax() {
        #expect {
            try WorkflowDefinition(parsing: "{\n  \"steps\": [,]\n}")
        } throws: { error in
            let error = error as! OutpostError
            return error.code == .invalidJSON && error.details["line"] == "2"
        }
    }
}

extension WorkflowDefinitionTests {
    @Test("docs/workflow-definition.schema.json describes the step types the runner knows")
    func schemaMatchesTheRunner() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/workflow-definition.schema.json").path
        let schema = try JSONValue(parsing: try String(contentsOfFile: path, encoding: .utf8))
        guard case .object(let definitions)? = schema["$defs"] else {
            Issue.record("the schema has no $defs")
            return
        }
        let documented = Set(definitions.keys.filter { $0.hasSuffix("Step") }.map { String($0.dropLast(4)) })
        let builtIn: Set = ["command", "http", "sql", "file", "model", "workflow"]
        #expect(documented == builtIn)
        for type in builtIn {
            let executor = try #require(StepExecutors.builtIn[type])
            guard case .object(let properties)? = definitions[type + "Step"]?["properties"] else {
                Issue.record("no properties for \(type)")
                continue
            }
            let fields = Set(properties.keys).subtracting([
                "id", "type", "timeout", "retries", "on_failure", "repeatable", "description",
            ])
            #expect(fields == executor.fields, "\(type): the schema and the executor list the same fields")
        }
    }
}
