import Crypto
import Foundation
import OutpostCore

/// Node credentials: random bearer tokens, stored only as SHA-256 hashes.
public enum NodeToken {
    /// A new token: `opn_` and 43 characters of base64url (256 random bits).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "opn_" + encoded
    }

    /// The hex SHA-256 of a token: what the hub stores and looks up. Every request's token is
    /// hashed, so the digits are not formatted a byte at a time (that was 6 % of a hub's CPU
    /// answering pulls).
    public static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
    }
}
