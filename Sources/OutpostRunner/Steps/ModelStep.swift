import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import OutpostCore

/// `model`: the Local AI Engine. Sends a prompt (or messages) to the inference server the
/// workflow's agent names in its config, over the OpenAI-compatible chat-completions API that
/// llama.cpp's server, Ollama and vLLM expose, and returns the answer.
///
/// The agent's config: `{"model": {"url": "http://127.0.0.1:8080/v1", "name": "llama3",
/// "api_key_env": "LLM_KEY"}}` (`api_key_env` names an environment variable holding a key, for
/// servers that want one). Step fields: `prompt` or `messages` (`[{"role": …, "content": …}]`),
/// `system`, `model` (overrides the agent's), `temperature`, `max_tokens`.
/// Output: `text`, `model`, `finish_reason`, `usage` (`prompt_tokens`, `completion_tokens`,
/// `total_tokens`).
public struct ModelStep: StepExecutor {
    public let type = "model"
    public let enforcesTimeout = true
    public let fields: Set<String> = ["prompt", "messages", "system", "model", "temperature", "max_tokens"]
    static let answerLimit = 8 << 20

    public init() {}

    public func validate(_ step: StepDefinition, field: String) throws(OutpostError) {
        switch (step["prompt"], step["messages"]) {
        case (.string?, nil): break
        case (nil, .array(let messages)?) where !messages.isEmpty:
            for (index, message) in messages.enumerated() {
                guard message["role"]?.stringValue != nil, message["content"] != nil else {
                    throw WorkflowDefinition.invalid(
                        "\(field).messages[\(index)]",
                        "each message needs a role and content"
                    )
                }
            }
        default:
            throw WorkflowDefinition.invalid(field, "a model step needs either prompt (text) or messages (an array)")
        }
        for name in ["system", "model"] where step[name] != nil && step[name]?.stringValue == nil {
            throw WorkflowDefinition.invalid("\(field).\(name)", "must be text")
        }
        if let temperature = step["temperature"] {
            switch temperature {
            case .integer(let value) where (0...2).contains(value): break
            case .double(let value) where (0...2).contains(value): break
            default: throw WorkflowDefinition.invalid("\(field).temperature", "must be a number from 0 to 2")
            }
        }
        if let tokens = step["max_tokens"] {
            guard case .integer(let count) = tokens, count > 0 else {
                throw WorkflowDefinition.invalid("\(field).max_tokens", "must be a positive whole number")
            }
        }
    }

    public func run(_ fields: [String: JSONValue], context: StepContext) async throws -> JSONValue {
        guard case .object(let server)? = context.agentConfig?["model"], let base = server["url"]?.stringValue else {
            throw StepFailure(
                "the workflow's agent names no model server; give the agent a config such as "
                    + "{\"model\": {\"url\": \"http://127.0.0.1:8080/v1\", \"name\": \"llama3\"}}"
            )
        }
        var messages: [JSONValue] = []
        if let system = fields["system"]?.stringValue {
            messages.append(["role": "system", "content": .string(system)])
        }
        if let prompt = fields["prompt"] {
            messages.append(["role": "user", "content": .string(prompt.stringValue ?? prompt.encoded())])
        } else if case .array(let given)? = fields["messages"] {
            messages += given
        }
        var body: [String: JSONValue] = ["messages": .array(messages), "stream": false]
        if let model = fields["model"] ?? server["name"] { body["model"] = model }
        if let temperature = fields["temperature"] { body["temperature"] = temperature }
        if let tokens = fields["max_tokens"] { body["max_tokens"] = tokens }

        let url = base.hasSuffix("/") ? base + "chat/completions" : base + "/chat/completions"
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if let variable = server["api_key_env"]?.stringValue, let key = ProcessInfo.processInfo.environment[variable] {
            request.headers.add(name: "authorization", value: "Bearer \(key)")
        }
        request.body = .bytes(ByteBuffer(string: JSONValue.object(body).encoded()))
        let response: HTTPClientResponse
        let text: String
        do {
            response = try await context.httpClient.execute(request, timeout: .init(context.timeout))
            text = String(buffer: try await response.body.collect(upTo: Self.answerLimit))
        } catch {
            throw StepFailure("the model server at \(base) could not be asked: \(error)")
        }
        guard response.status.code == 200 else {
            throw StepFailure("the model server at \(base) answered \(response.status.code): \(text.prefix(300))")
        }
        guard let answer = try? JSONValue(parsing: text), case .array(let choices)? = answer["choices"],
            let first = choices.first
        else {
            throw StepFailure("the model server at \(base) gave an answer without choices")
        }
        let content = first["message"]?["content"]
        return [
            "text": .string(content?.stringValue ?? content?.encoded() ?? ""),
            "model": answer["model"] ?? .null,
            "finish_reason": first["finish_reason"] ?? .null,
            "usage": answer["usage"] ?? .null,
        ]
    }
}
