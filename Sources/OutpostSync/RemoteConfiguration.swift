import Foundation
import NIOSSL
public import OutpostCore

/// The hub a node syncs with: its address in `HOME/remote.json`, its bearer token in
/// `HOME/remote.token` (mode 0600, readable by the node's owner only).
public struct RemoteConfiguration: Sendable, Equatable {
    /// The hub's base URL, such as `http://127.0.0.1:8080`, without a trailing slash.
    public var url: String
    public var token: String
    /// A PEM file of certificate authorities to trust for the hub's TLS certificate, besides
    /// the system's (a private CA); `nil` trusts the system's alone.
    public var caFile: String?
    /// The node's client certificate and key (PEM), for a hub that requires mutual TLS.
    public var clientCertificateFile: String?
    public var clientKeyFile: String?

    /// Checks `url`, `token` and `caFile`, so a typo is reported when set, not at the first sync.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` for a URL that is not `http(s)://host[:port]`,
    ///   an empty token, or a CA file that holds no readable certificate.
    public init(
        url: String,
        token: String,
        caFile: String? = nil,
        clientCertificateFile: String? = nil,
        clientKeyFile: String? = nil
    ) throws(OutpostError) {
        var trimmed = url.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let parsed = URL(string: trimmed), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = parsed.host, !host.isEmpty
        else {
            throw OutpostError(
                .invalidInput,
                "'\(url)' is not a hub URL. Give http://HOST:PORT or https://HOST, e.g. http://127.0.0.1:8080."
            )
        }
        let cleanToken = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !cleanToken.isEmpty, !cleanToken.contains(where: \.isWhitespace) else {
            throw OutpostError(
                .invalidInput,
                "The token is empty or has spaces in it; a node's token is one word, as the hub gave it.",
                remedy: .registerNode
            )
        }
        self.url = trimmed
        self.token = cleanToken
        if let caFile {
            let absolute = URL(fileURLWithPath: caFile).standardizedFileURL.path
            guard (try? NIOSSLCertificate.fromPEMFile(absolute))?.isEmpty == false else {
                throw OutpostError(
                    .invalidInput,
                    "Cannot read a PEM certificate from the CA file \(absolute); give the certificate authority that "
                        + "signed the hub's certificate, in PEM."
                )
            }
            self.caFile = absolute
        }
        guard (clientCertificateFile == nil) == (clientKeyFile == nil) else {
            throw OutpostError(.invalidInput, "--client-cert and --client-key go together: give both, or neither.")
        }
        if let clientCertificateFile, let clientKeyFile {
            let certificate = URL(fileURLWithPath: clientCertificateFile).standardizedFileURL.path
            let key = URL(fileURLWithPath: clientKeyFile).standardizedFileURL.path
            guard (try? NIOSSLCertificate.fromPEMFile(certificate))?.isEmpty == false else {
                throw OutpostError(
                    .invalidInput,
                    "Cannot read a PEM certificate from the client certificate \(certificate)."
                )
            }
            guard (try? NIOSSLPrivateKey(file: key, format: .pem)) != nil else {
                throw OutpostError(.invalidInput, "Cannot read a PEM private key from \(key).")
            }
            self.clientCertificateFile = certificate
            self.clientKeyFile = key
        }
    }

    /// What the HTTP client needs to know about TLS beyond the system's defaults; `nil` when
    /// nothing is added.
    var tlsFiles: TLSFiles? {
        guard caFile != nil || clientCertificateFile != nil else { return nil }
        return TLSFiles(caFile: caFile, clientCertificateFile: clientCertificateFile, clientKeyFile: clientKeyFile)
    }

    /// The TLS files of a remote, which choose (and key) the HTTP client that uses them.
    struct TLSFiles: Hashable, Sendable {
        var caFile: String?
        var clientCertificateFile: String?
        var clientKeyFile: String?
    }

    /// What `remote.json` holds: the URL and the paths of any TLS files (never the token).
    private var remoteDocument: JSONValue {
        var members: [String: JSONValue] = ["url": .string(url)]
        if let caFile { members["ca_file"] = .string(caFile) }
        if let clientCertificateFile { members["client_cert"] = .string(clientCertificateFile) }
        if let clientKeyFile { members["client_key"] = .string(clientKeyFile) }
        return .object(members)
    }

    static func urlPath(home: String) -> String { home + "/remote.json" }
    static func tokenPath(home: String) -> String { home + "/remote.token" }

    /// The node's remote, or `nil` when none is set.
    ///
    /// - Throws: ``OutpostError`` `.failedPrecondition` when the files exist but cannot be read.
    public static func load(home: String) throws(OutpostError) -> RemoteConfiguration? {
        let urlFile = urlPath(home: home)
        guard FileManager.default.fileExists(atPath: urlFile) else { return nil }
        let url: String
        let token: String
        let caFile: String?
        let clientCertificate: String?
        let clientKey: String?
        do {
            let document = try JSONValue(parsing: String(contentsOfFile: urlFile, encoding: .utf8))
            url = document["url"]?.stringValue ?? ""
            caFile = document["ca_file"]?.stringValue
            clientCertificate = document["client_cert"]?.stringValue
            clientKey = document["client_key"]?.stringValue
            token = try String(contentsOfFile: tokenPath(home: home), encoding: .utf8)
        } catch {
            throw OutpostError(
                .failedPrecondition,
                "The node's remote (\(urlFile), remote.token) cannot be read: \(error).",
                remedy: .setRemote
            )
        }
        return try RemoteConfiguration(
            url: url,
            token: token,
            caFile: caFile,
            clientCertificateFile: clientCertificate,
            clientKeyFile: clientKey
        )
    }

    /// The node's remote; an error that says how to set one when there is none.
    public static func require(home: String) throws(OutpostError) -> RemoteConfiguration {
        guard let remote = try load(home: home) else {
            throw OutpostError(
                .failedPrecondition,
                "This node has no hub set.",
                remedy: .setRemote
            )
        }
        return remote
    }

    /// Writes both files atomically; the token file is created with mode 0600 before any byte of
    /// the token is written.
    public func save(home: String) throws(OutpostError) {
        do {
            try AtomicFile.write(
                Array((remoteDocument.encoded() + "\n").utf8),
                to: Self.urlPath(home: home),
                mode: 0o644
            )
            try AtomicFile.write(Array((token + "\n").utf8), to: Self.tokenPath(home: home), mode: 0o600)
        } catch {
            throw OutpostError(.storage, "The remote could not be saved in \(home): \(error.message)", cause: error)
        }
    }

}
