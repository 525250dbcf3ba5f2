import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OutpostCore
import Synchronization

/// Outermost middleware: counts and times every request, and turns any error into a JSON answer.
///
/// A ``HubError`` passes through as it is. Hummingbird's own errors (an unknown route) get the
/// same JSON shape. Anything else is the hub's fault or its database's, never the client's: it
/// is logged and answered with 503 when the database is unreachable, 500 otherwise, and the
/// message never carries the underlying error's text.
struct HubErrorMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let metrics: HubMetrics

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let route = Self.route(of: request)
        let started = ContinuousClock.now
        func record(_ status: Int) {
            metrics.recordRequest(route: route, status: status, duration: ContinuousClock.now - started)
        }
        do {
            let response = try await next(request, context)
            record(Int(response.status.code))
            return response
        } catch let error as HubError {
            record(Int(error.status.code))
            throw error
        } catch let error as HTTPError
            where error.status == .notFound
            && OpenAPIDocument.methods[request.uri.path].map({ !$0.contains(request.method.rawValue) }) == true
        {
            // A documented path asked with a method it does not have. (A documented method that
            // finds no route stays 404: `/metrics` moved to a listener of its own.)
            let allowed = OpenAPIDocument.methods[request.uri.path]!.joined(separator: ", ")
            record(405)
            throw HubError(
                .methodNotAllowed,
                code: "method_not_allowed",
                "\(request.method) is not allowed on \(request.uri.path); use \(allowed).",
                headers: [.allow: allowed]
            )
        } catch let error as HTTPError {
            record(Int(error.status.code))
            throw HubError(error.status, code: Self.code(for: error.status), error.body ?? error.status.reasonPhrase)
        } catch let error as OutpostError where error.code != .storage {
            record(400)
            throw HubError.invalid(error.code.name, error.message)
        } catch {
            let unavailable = Self.isConnectionFailure(error)
            let status: HTTPResponse.Status = unavailable ? .serviceUnavailable : .internalServerError
            record(Int(status.code))
            context.logger.error(
                "Request failed",
                metadata: ["hub.route": "\(route)", "hub.error": "\(String(reflecting: error))"]
            )
            throw HubError(
                status,
                code: unavailable ? "database_unavailable" : "internal",
                unavailable
                    ? "The hub cannot reach its database right now. Nothing was applied; retry later."
                    : "The hub failed while handling the request. Nothing was applied; retry later."
            )
        }
    }

    private static func route(of request: Request) -> String {
        switch request.uri.path {
        case "/v1/push", "/v1/pull", "/v1/tables", "/v1/digest", "/v1/chunks", "/v1/chunks/missing",
            "/v1/chunks/fetch", "/health", "/metrics", "/openapi.json":
            request.uri.path
        default: "other"
        }
    }

    private static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        default: "http_\(status.code)"
        }
    }

    private static func isConnectionFailure(_ error: any Error) -> Bool {
        let text = String(reflecting: error).lowercased()
        return text.contains("connection") || text.contains("unavailable") || text.contains("refused")
            || text.contains("timeout")
    }
}

/// `/v1` routes: a valid node token, then the node's rate limit.
///
/// Requests without a valid token are limited per client address (`failures`): once an address
/// has spent its allowance, its next such requests get 429 before any hashing or lookup, so
/// guessing tokens or flooding with bad ones costs the hub next to nothing.
struct NodeAuthMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let storage: any HubStorage
    let limiter: RateLimiter
    let failures: RateLimiter
    /// Hashes of tokens that authenticated lately: a node sharing an address (a NAT) with a
    /// client that sends bad tokens keeps working. Membership only skips the address limit;
    /// every request is still checked against the database, so a revocation acts at once.
    let recentTokens = RecentTokens()

    /// A bounded set of token hashes, shared by the middleware's copies.
    final class RecentTokens: Sendable {
        private let hashes = Mutex<Set<String>>([])

        func contains(_ hash: String) -> Bool { hashes.withLock { $0.contains(hash) } }

        func insert(_ hash: String) {
            hashes.withLock { hashes in
                if hashes.count >= 10_000 { hashes.removeAll() }
                hashes.insert(hash)
            }
        }
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let header = request.headers[.authorization]
        let tokenHash = header.flatMap { header in
            header.hasPrefix("Bearer ") && header.count > 7
                ? NodeToken.hash(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) : nil
        }
        if let wait = failures.waitTime(context.clientAddress),
            !(tokenHash.map(recentTokens.contains) ?? false)
        {
            throw HubError(
                .tooManyRequests,
                code: "rate_limited",
                "Too many requests without a valid token from this address; retry after \(wait) s.",
                headers: [.retryAfter: "\(wait)"]
            )
        }
        guard let tokenHash else {
            _ = failures.acquire(context.clientAddress)
            throw HubError(
                .unauthorized,
                code: "unauthenticated",
                "Send the node's token as 'Authorization: Bearer TOKEN': the token the hub gave when the node was registered.",
                headers: [.wwwAuthenticate: "Bearer"]
            )
        }
        guard let node = try await storage.authenticate(tokenHash: tokenHash) else {
            _ = failures.acquire(context.clientAddress)
            throw HubError.revoked()
        }
        let presented =
            node.clientCertificate != nil || node.tenantRequiresClientCertificate
            ? await context.clientCertificate() : nil
        if let bound = node.clientCertificate, presented != bound {
            throw HubError(
                .forbidden,
                code: "client_certificate_required",
                presented == nil
                    ? "This node's token is bound to a client certificate, and the connection presented none. "
                        + "Give the node its client certificate and key (the hub must serve TLS with a client authority)."
                    : "This node's token is bound to another client certificate than the one presented. Give the "
                        + "node the certificate it was registered with, or bind the token to this one."
            )
        }
        if node.tenantRequiresClientCertificate, presented == nil {
            throw HubError(
                .forbidden,
                code: "client_certificate_required",
                "This node's tenant requires a client certificate signed by the hub's client authority, and the "
                    + "connection presented none. Give the node its client certificate and key."
            )
        }
        recentTokens.insert(tokenHash)
        if let wait = limiter.acquire(node.id) {
            throw HubError(
                .tooManyRequests,
                code: "rate_limited",
                "Too many requests from this node; retry after \(wait) s.",
                headers: [.retryAfter: "\(wait)"]
            )
        }
        var context = context
        context.node = node
        context.logger[metadataKey: "hub.node"] = "\(node.id)"
        return try await next(request, context)
    }
}
