import Crypto
import Foundation
import OutpostCore

/// Who may see the dashboard: whoever knows the admin token. A browser signs in once with it
/// (a form), and then carries a cookie derived from it (an HMAC, so the cookie is not the token
/// and a new token ends every session); a script may send the token as a bearer token instead.
struct AdminSession: Sendable {
    static let cookieName = "outpost_admin"
    private let token: String

    init(token: String) { self.token = token }

    /// The cookie value a signed-in browser carries.
    var cookieValue: String {
        let key = SymmetricKey(data: Data(token.utf8))
        return Hex.encode(HMAC<SHA256>.authenticationCode(for: Data("outpost dashboard session".utf8), using: key))
    }

    /// Whether `candidate` is the admin token, compared in constant time.
    func isToken(_ candidate: String) -> Bool { Self.constantTimeEqual(Array(candidate.utf8), Array(token.utf8)) }

    /// Whether the request's `Cookie` header or `Authorization: Bearer` carries the session.
    func admits(cookieHeader: String?, authorization: String?) -> Bool {
        if let authorization, authorization.hasPrefix("Bearer "),
            isToken(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        {
            return true
        }
        guard let cookieHeader else { return false }
        let expected = Array(cookieValue.utf8)
        for pair in cookieHeader.split(separator: ";") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == Self.cookieName, Self.constantTimeEqual(Array(parts[1].utf8), expected) {
                return true
            }
        }
        return false
    }

    private static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
