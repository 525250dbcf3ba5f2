import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OutpostCore
import OutpostProtocol
import Prometheus
import Synchronization

/// Reads request bodies (size-limited, gzip or deflate) and writes JSON responses (gzip when
/// the client accepts it and it pays).
struct BodyCodec: Sendable {
    let maximumBytes: Int
    /// How long the whole body may take to arrive (a client trickling bytes holds a task).
    var timeout: Duration = .seconds(60)
    let metrics: HubMetrics

    /// Collects, decompresses and parses the body, then converts it with `convert`.
    ///
    /// - Throws: ``HubError`` 413 past the limit (before or after decompression), 415 for an
    ///   unknown encoding, 400 for corrupt compression, invalid JSON, or JSON of the wrong shape
    ///   (the message names the member).
    func decode<T>(from request: Request, as convert: (JSONValue) throws(WireError) -> T) async throws -> T {
        let body = try await bytes(from: request)
        let json: JSONValue
        do {
            json = try JSONValue(parsing: Array(body.readableBytesView))
        } catch {
            throw HubError.invalid("invalid_json", "The body is not valid JSON: \(error.message)")
        }
        do {
            return try convert(json)
        } catch {
            throw HubError.invalid("invalid_body", error.description)
        }
    }

    /// The raw body, within ``maximumBytes`` and ``timeout``.
    ///
    /// - Throws: ``HubError`` 413 past the limit, 408 `body_timeout` past the timeout.
    private func collect(_ request: Request) async throws -> ByteBuffer {
        let (limit, timeout) = (maximumBytes, self.timeout)
        let collected = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                do {
                    return try await request.body.collect(upTo: limit)
                } catch is CancellationError {
                    return nil
                } catch {
                    throw tooLarge()
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let collected else {
            throw HubError(
                .requestTimeout,
                code: "body_timeout",
                "The request body did not arrive within \(timeout.components.seconds) s. Send it again."
            )
        }
        return collected
    }

    /// Collects and decompresses the body.
    ///
    /// - Throws: ``HubError`` 413 past the limit (before or after decompression), 408 when the
    ///   body takes longer than ``timeout``, 415 for an unknown encoding, 400 for corrupt
    ///   compression.
    func bytes(from request: Request) async throws -> ByteBuffer {
        var body = try await collect(request)
        metrics.bytesIn.increment(by: Int64(body.readableBytes))
        let encoding =
            request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces) ?? "identity"
        switch encoding {
        case "identity", "":
            return body
        case "gzip", "deflate":
            do {
                return try body.decompress(with: encoding == "gzip" ? .gzip() : .zlib(), maxSize: maximumBytes)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                throw tooLarge()
            } catch {
                throw HubError.invalid("invalid_encoding", "The body is not valid \(encoding) data.")
            }
        default:
            throw HubError(
                .unsupportedMediaType,
                code: "unsupported_encoding",
                "Content-Encoding '\(encoding)' is not supported; use gzip, deflate or none."
            )
        }
    }

    /// Binary bytes as the response body (already compressed where it pays).
    func response(bytes: [UInt8]) -> Response {
        metrics.bytesOut.increment(by: Int64(bytes.count))
        return Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    /// JSON text as the response body, gzip-compressed when the request accepts gzip and the
    /// body is larger than 1 KiB.
    func response(body: String, for request: Request) throws -> Response {
        var buffer = ByteBuffer(string: body)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if buffer.readableBytes > 1024, request.headers[.acceptEncoding]?.lowercased().contains("gzip") == true {
            buffer = try buffer.compress(with: .gzip())
            headers[.contentEncoding] = "gzip"
        }
        metrics.bytesOut.increment(by: Int64(buffer.readableBytes))
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }

    private func tooLarge() -> HubError {
        HubError(
            .contentTooLarge,
            code: "body_too_large",
            "The request body is larger than \(maximumBytes) bytes (after decompression). Send smaller batches."
        )
    }
}
