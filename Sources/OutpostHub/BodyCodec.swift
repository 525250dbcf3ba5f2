import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Reads request bodies (size-limited, gzip or deflate) and writes JSON responses (gzip when
/// the client accepts it and it pays).
struct BodyCodec: Sendable {
    let maximumBytes: Int
    let metrics: HubMetrics

    /// Collects, decompresses and decodes the body as `T`.
    ///
    /// - Throws: ``HubError`` 413 past the limit (before or after decompression), 415 for an
    ///   unknown encoding, 400 for corrupt compression or JSON that does not match `T`.
    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        var body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBytes)
        } catch {
            throw tooLarge()
        }
        metrics.bytesIn.add(body.readableBytes, ordering: .relaxed)
        let encoding =
            request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces) ?? "identity"
        switch encoding {
        case "identity", "":
            break
        case "gzip", "deflate":
            do {
                body = try body.decompress(with: encoding == "gzip" ? .gzip() : .zlib(), maxSize: maximumBytes)
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
        do {
            return try HubJSON.decoder.decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw HubError.invalid("invalid_body", Self.describe(error))
        } catch {
            throw HubError.invalid("invalid_json", "The body is not valid JSON.")
        }
    }

    /// Encodes `value` as JSON, gzip-compressed when the request accepts gzip and the body is
    /// larger than 1 KiB.
    func response(_ value: some Encodable, for request: Request, status: HTTPResponse.Status = .ok) throws -> Response {
        var buffer = ByteBuffer(bytes: try HubJSON.encoder.encode(value))
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if buffer.readableBytes > 1024, request.headers[.acceptEncoding]?.lowercased().contains("gzip") == true {
            buffer = try buffer.compress(with: .gzip())
            headers[.contentEncoding] = "gzip"
        }
        metrics.bytesOut.add(buffer.readableBytes, ordering: .relaxed)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    private func tooLarge() -> HubError {
        HubError(
            .contentTooLarge,
            code: "body_too_large",
            "The request body is larger than \(maximumBytes) bytes (after decompression). Send smaller batches."
        )
    }

    /// A decoding error as "what, where": the path of the offending field and the problem.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let components = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            let joined = components.joined()
            return joined.isEmpty ? "the body" : String(joined.drop { $0 == "." })
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context)) has the wrong type; expected \(type)."
        case .valueNotFound(let type, let context):
            return "\(path(context)) is missing; expected \(type)."
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "\(parent == "the body" ? "The body" : parent) lacks the required field '\(key.stringValue)'."
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "The body is not valid JSON." : "\(path(context)) is not valid."
        @unknown default:
            return "The body does not match the expected shape."
        }
    }
}
