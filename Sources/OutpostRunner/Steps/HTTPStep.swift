import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import OutpostCore

/// `http`: one HTTP request.
///
/// Fields: `url` (http or https), `method` (GET by default), `headers`, `body` (text as it is;
/// any other JSON is sent as JSON), `expect_status` (a status or an array; any 2xx by default),
/// `max_response` (bytes, 1 MiB by default). Output: `status`, `headers`, `body` (parsed when
/// the answer is JSON, else text).
public struct HTTPStep: StepExecutor {
    public let type = "http"
    public let enforcesTimeout = true
    public let fields: Set<String> = ["url", "method", "headers", "body", "expect_status", "max_response"]
    static let defaultResponseLimit = 1 << 20
    static let methods: Set = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    public init() {}

    public func validate(_ step: StepDefinition, field: String) throws(OutpostError) {
        let url = try requireString(step, "url", field: field)
        if !url.contains("${") {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                parsed.host != nil
            else {
                throw WorkflowDefinition.invalid("\(field).url", "'\(url)' is not an http:// or https:// URL")
            }
        }
        if let method = step["method"] {
            guard let name = method.stringValue, Self.methods.contains(name.uppercased()) else {
                throw WorkflowDefinition.invalid(
                    "\(field).method",
                    "must be one of \(Self.methods.sorted().joined(separator: ", "))"
                )
            }
        }
        if let headers = step["headers"] {
            guard case .object(let members) = headers, members.values.allSatisfy({ $0.stringValue != nil }) else {
                throw WorkflowDefinition.invalid("\(field).headers", "must be an object of text values")
            }
        }
        if let expected = step["expect_status"] {
            let statuses: [JSONValue] = if case .array(let values) = expected { values } else { [expected] }
            guard !statuses.isEmpty,
                statuses.allSatisfy({ if case .integer(let code) = $0 { (100...599).contains(code) } else { false } })
            else {
                throw WorkflowDefinition.invalid("\(field).expect_status", "must be an HTTP status or an array of them")
            }
        }
        if let limit = step["max_response"] {
            guard case .integer(let bytes) = limit, (1...(64 << 20)).contains(bytes) else {
                throw WorkflowDefinition.invalid("\(field).max_response", "must be a number of bytes up to 64 MiB")
            }
        }
    }

    public func run(_ fields: [String: JSONValue], context: StepContext) async throws -> JSONValue {
        guard let url = fields["url"]?.stringValue else { throw StepFailure("url is missing") }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? "") else {
            throw StepFailure("'\(url)' is not an http:// or https:// URL")
        }
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: (fields["method"]?.stringValue ?? "GET").uppercased())
        for (name, value) in fields["headers"]?.objectValue ?? [:] {
            request.headers.add(name: name, value: value.stringValue ?? value.encoded())
        }
        switch fields["body"] {
        case nil, .null?: break
        case .string(let text)?: request.body = .bytes(ByteBuffer(string: text))
        case let json?:
            if !request.headers.contains(name: "content-type") {
                request.headers.add(name: "content-type", value: "application/json")
            }
            request.body = .bytes(ByteBuffer(string: json.encoded()))
        }
        let limit =
            fields["max_response"].flatMap { if case .integer(let bytes) = $0 { Int(bytes) } else { nil } }
            ?? Self.defaultResponseLimit
        let response: HTTPClientResponse
        do {
            response = try await context.httpClient.execute(request, timeout: .init(context.timeout))
        } catch {
            throw StepFailure("\(request.method.rawValue) \(url) failed: \(error)")
        }
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: limit)
        } catch {
            throw StepFailure("the answer from \(url) is longer than max_response (\(limit) bytes)")
        }
        let text = String(buffer: bytes)
        let isJSON = response.headers.first(name: "content-type")?.lowercased().contains("json") ?? false
        let body: JSONValue = isJSON ? ((try? JSONValue(parsing: text)) ?? .string(text)) : .string(text)
        var headers: [String: JSONValue] = [:]
        for header in response.headers { headers[header.name.lowercased()] = .string(header.value) }
        let output: JSONValue = [
            "status": .integer(Int64(response.status.code)), "headers": .object(headers), "body": body,
        ]
        let expected: [Int64] =
            switch fields["expect_status"] {
            case .integer(let code)?: [code]
            case .array(let codes)?: codes.compactMap { if case .integer(let code) = $0 { code } else { nil } }
            default: []
            }
        let status = Int64(response.status.code)
        let accepted = expected.isEmpty ? (200...299).contains(status) : expected.contains(status)
        guard accepted else {
            throw StepFailure("\(request.method.rawValue) \(url) answered \(status)", output: output)
        }
        return output
    }
}
