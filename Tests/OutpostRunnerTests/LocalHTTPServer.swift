import Foundation
import Hummingbird
import Logging
import NIOCore
import OutpostCore
import Synchronization

/// A real HTTP server on 127.0.0.1 for the `http` and `model` steps: a JSON echo, a status
/// route, and a small OpenAI-compatible chat-completions endpoint (the project ships no model;
/// this one answers by rule and counts tokens as words).
struct LocalHTTPServer {
    let url: String
    private let task: Task<Void, any Error>
    private let requests: RequestLog

    /// The requests the server received, as (path, body).
    var received: [(String, String)] { requests.all }

    static func start() async throws -> LocalHTTPServer {
        let log = RequestLog()
        let router = Router()
        router.post("/echo") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            log.append(("/echo", body))
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"you_sent": \#(body), "method": "POST"}"#))
            )
        }
        router.get("/status/{code}") { _, context -> Response in
            let code = Int(context.parameters.get("code") ?? "") ?? 500
            return Response(status: .init(code: code), body: .init(byteBuffer: ByteBuffer(string: "status \(code)")))
        }
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(30))
            return "late"
        }
        router.post("/v1/chat/completions") { request, _ -> Response in
            let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
            log.append(("/v1/chat/completions", text))
            let question = try JSONValue(parsing: text)
            guard case .array(let messages)? = question["messages"], let last = messages.last?["content"]?.stringValue
            else { return Response(status: .badRequest) }
            let words = messages.compactMap { $0["content"]?.stringValue }.joined(separator: " ").split(separator: " ")
                .count
            let answer = "You said: \(last)"
            let body: JSONValue = [
                "id": "chatcmpl-1", "object": "chat.completion", "model": question["model"] ?? "local",
                "choices": [
                    [
                        "index": 0, "finish_reason": "stop",
                        "message": ["role": "assistant", "content": .string(answer)],
                    ]
                ],
                "usage": [
                    "prompt_tokens": .integer(Int64(words)),
                    "completion_tokens": .integer(Int64(answer.split(separator: " ").count)),
                    "total_tokens": .integer(Int64(words + answer.split(separator: " ").count)),
                ],
            ]
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body.encoded()))
            )
        }
        let port = PortBox()
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.set(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "test.http")
        )
        let task = Task { try await application.runService() }
        let bound = try await port.wait()
        return LocalHTTPServer(url: "http://127.0.0.1:\(bound)", task: task, requests: log)
    }

    func stop() { task.cancel() }
}

private final class RequestLog: Sendable {
    private let entries = Mutex<[(String, String)]>([])
    func append(_ entry: (String, String)) { entries.withLock { $0.append(entry) } }
    var all: [(String, String)] { entries.withLock { $0 } }
}

private final class PortBox: Sendable {
    private let port = Mutex<Int?>(nil)
    func set(_ value: Int) { port.withLock { $0 = value } }
    func wait() async throws -> Int {
        for _ in 0..<500 {
            if let value = port.withLock({ $0 }) { return value }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw OutpostError(.failedPrecondition, "The test HTTP server did not start.")
    }
}
