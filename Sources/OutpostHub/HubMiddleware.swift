import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OutpostCore

/// Outermost middleware: counts every request, and turns any error into a JSON answer.
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
        do {
            let response = try await next(request, context)
            metrics.recordRequest(route: route, status: Int(response.status.code))
            return response
        } catch let error as HubError {
            metrics.recordRequest(route: route, status: Int(error.status.code))
            throw error
        } catch let error as HTTPError {
            metrics.recordRequest(route: route, status: Int(error.status.code))
            throw HubError(error.status, code: Self.code(for: error.status), error.body ?? error.status.reasonPhrase)
        } catch let error as OutpostError where error.code != .storage {
            metrics.recordRequest(route: route, status: 400)
            throw HubError.invalid(error.code.name, error.message)
        } catch {
            let unavailable = Self.isConnectionFailure(error)
            let status: HTTPResponse.Status = unavailable ? .serviceUnavailable : .internalServerError
            metrics.recordRequest(route: route, status: Int(status.code))
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
        case "/v1/push", "/v1/pull", "/health", "/metrics", "/openapi.json": request.uri.path
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
struct NodeAuthMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let storage: any HubStorage
    let limiter: RateLimiter

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            throw HubError(
                .unauthorized,
                code: "unauthenticated",
                "Send the node's token as 'Authorization: Bearer TOKEN' (from `outpost hub node add`).",
                headers: [.wwwAuthenticate: "Bearer"]
            )
        }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let node = try await storage.authenticate(tokenHash: NodeToken.hash(token)) else {
            throw HubError.revoked()
        }
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
