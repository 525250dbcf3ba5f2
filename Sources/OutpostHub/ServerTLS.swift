import Crypto
import Foundation
public import HummingbirdCore
import HummingbirdTLS
public import NIOSSL
public import OutpostCore

/// A server's TLS (the hub's API, a node's `/metrics`): a certificate chain and its private key,
/// read from PEM files at start, so a wrong path or a key that does not match is one clear line
/// before anything listens.
public struct ServerTLS: Sendable {
    /// The server configuration the listener uses.
    public let configuration: TLSConfiguration

    /// Reads `certificatePath` (the server's certificate first, then any intermediates) and
    /// `keyPath`. With `clientAuthorityPath`, every connection must also present a client
    /// certificate that authority signed (mutual TLS), before any token is looked at; with
    /// `clientCertificatesOptional` too, a connection may present none (and one it presents is
    /// still checked), leaving it to each tenant or node to require one.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` naming the file and what is wrong with it.
    public init(
        certificatePath: String,
        keyPath: String,
        clientAuthorityPath: String? = nil,
        clientCertificatesOptional: Bool = false
    ) throws(OutpostError) {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw OutpostError(
                .invalidInput,
                "Cannot read the TLS certificate \(certificatePath): \(Self.reason(error)). Give a PEM file with "
                    + "the server's certificate first, then its intermediates."
            )
        }
        guard !chain.isEmpty else {
            throw OutpostError(.invalidInput, "\(certificatePath) holds no PEM certificate.")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw OutpostError(
                .invalidInput,
                "Cannot read the TLS private key \(keyPath): \(Self.reason(error)). Give the key as a PEM file "
                    + "(unencrypted, readable by the hub's user only)."
            )
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        if let clientAuthorityPath {
            guard (try? NIOSSLCertificate.fromPEMFile(clientAuthorityPath))?.isEmpty == false else {
                throw OutpostError(
                    .invalidInput,
                    "Cannot read a PEM certificate from the client CA file \(clientAuthorityPath); give the authority "
                        + "that signs the nodes' client certificates."
                )
            }
            configuration.certificateVerification =
                clientCertificatesOptional ? .optionalVerification : .noHostnameVerification
            configuration.trustRoots = .file(clientAuthorityPath)
        }
        // A key that is not the certificate's fails every handshake; say so now instead.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw OutpostError(
                .invalidInput,
                "The TLS key \(keyPath) does not go with the certificate \(certificatePath): \(Self.reason(error))."
            )
        }
        self.configuration = configuration
    }

    /// `http` in TLS when `tls` is given, else `http` itself. The configuration was checked
    /// when it was read, so wrapping cannot fail.
    public static func serving(_ http: HTTPServerBuilder, with tls: ServerTLS?) -> HTTPServerBuilder {
        guard let tls else { return http }
        do {
            return try .tls(http, tlsConfiguration: tls.configuration)
        } catch {
            preconditionFailure("a TLS configuration ServerTLS accepted was refused: \(error)")
        }
    }

    /// The SHA-256 of a certificate's DER encoding, as 64 hex digits: how the hub names the
    /// client certificate a node's token is bound to (`openssl x509 -fingerprint -sha256` prints
    /// the same digits).
    public static func fingerprint(of certificate: NIOSSLCertificate) -> String? {
        guard let der = try? certificate.toDERBytes() else { return nil }
        return Hex.encode(Array(SHA256.hash(data: der)))
    }

    /// The fingerprint of the first certificate in a PEM file.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` when the file holds no readable certificate.
    public static func fingerprint(ofFile path: String) throws(OutpostError) -> String {
        guard let certificate = (try? NIOSSLCertificate.fromPEMFile(path))?.first,
            let fingerprint = fingerprint(of: certificate)
        else {
            throw OutpostError(
                .invalidInput,
                "Cannot read a PEM certificate from \(path); give the node's client certificate (the file its "
                    + "remote's client certificate option names)."
            )
        }
        return fingerprint
    }

    private static func reason(_ error: any Error) -> String {
        if (error as NSError).domain == NSPOSIXErrorDomain { return (error as NSError).localizedDescription }
        let text = "\(error)"
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
