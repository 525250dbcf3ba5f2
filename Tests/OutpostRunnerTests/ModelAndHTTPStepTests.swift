import Foundation
import OutpostCore
import OutpostRunner
import OutpostStore
import OutpostTesting
import Testing

@Suite("http and model steps against a real local server")
struct ModelAndHTTPStepTests {
    @Test("an http step sends JSON and reads the JSON answer; an unexpected status fails it")
    func http() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(
            """
            {"steps": [
              {"id": "post", "type": "http", "method": "POST", "url": "\(server.url)/echo", "body": {"site": "${input.site}"}},
              {"id": "teapot", "type": "http", "url": "\(server.url)/status/418", "expect_status": 418, "on_failure": "continue"},
              {"id": "missing", "type": "http", "url": "\(server.url)/status/404"}
             ]}
            """
        )
        let execution = try await fixture.runner.run(workflowID: "wf", input: ["site": "berlin"])
        let steps = RunnerFixture.steps(execution)
        #expect(steps["post"]?["output"]?["body"]?["you_sent"] == ["site": "berlin"])
        #expect(steps["post"]?["output"]?["status"] == 200)
        #expect(steps["teapot"]?["status"] == "completed")
        #expect(steps["missing"]?["status"] == "failed")
        #expect(execution.status == "failed")
        #expect(execution.errorMessage?.contains("answered 404") == true, "\(execution)")
    }

    @Test("an http step that outlives its timeout fails")
    func httpTimeout() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(
            #"{"steps": [{"id": "slow", "type": "http", "url": "\#(server.url)/slow", "timeout": "500ms"}]}"#
        )
        let execution = try await fixture.runner.run(workflowID: "wf")
        #expect(execution.status == "failed", "\(execution)")
    }

    @Test("a model step asks the server the agent's config names, over the chat-completions API")
    func model() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        let agent = try fixture.store.addAgent(
            name: "assistant",
            type: "llm",
            config: ["model": ["url": .string(server.url + "/v1"), "name": "tiny-local"]]
        )
        try fixture.workflow(
            #"{"steps": [{"id": "ask", "type": "model", "system": "Be brief.", "prompt": "Is line ${input.line} running?", "max_tokens": 50}], "output": "${steps.ask.output.text}"}"#,
            agentID: agent.id
        )
        let execution = try await fixture.runner.run(workflowID: "wf", input: ["line": 3])
        #expect(execution.status == "completed", "\(execution)")
        #expect(execution.outputData == "You said: Is line 3 running?")
        let ask = try #require(RunnerFixture.steps(execution)["ask"]?["output"])
        #expect(ask["model"] == "tiny-local")
        #expect(ask["usage"]?["total_tokens"] != nil)
        let sent = try JSONValue(parsing: try #require(server.received.last { $0.0 == "/v1/chat/completions" }).1)
        #expect(sent["max_tokens"] == 50)
        #expect(
            sent["messages"] == [
                ["role": "system", "content": "Be brief."], ["role": "user", "content": "Is line 3 running?"],
            ]
        )
    }

    @Test("a model step whose agent names no server fails with what to configure")
    func modelWithoutServer() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(#"{"steps": [{"id": "ask", "type": "model", "prompt": "hi"}]}"#)
        let execution = try await fixture.runner.run(workflowID: "wf")
        #expect(execution.status == "failed")
        #expect(execution.errorMessage?.contains("names no model server") == true)
    }
}
