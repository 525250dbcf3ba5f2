import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// A hub serving HTTPS with a certificate from a private authority made here with `openssl`,
/// and nodes that trust it through `remote set --ca-file`, as an operator sets them up.
@Suite("TLS between nodes and hub")
struct TLSTests {
    /// A certificate authority and a hub certificate for 127.0.0.1 it signed, in `folder`.
    private static func makeCertificates(in folder: TemporaryDirectory) async throws -> (
        ca: String, cert: String, key: String
    ) {
        let ca = folder.appending("ca.pem")
        let cert = folder.appending("hub.pem")
        let key = folder.appending("hub.key")
        let extensions = folder.appending("hub.ext")
        try "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for arguments in [
            ["req", "-x509"] + curve + [
                "-keyout", folder.appending("ca.key"), "-out", ca, "-days", "2", "-subj", "/CN=Outpost test CA",
            ],
            ["req"] + curve + ["-keyout", key, "-out", folder.appending("hub.csr"), "-subj", "/CN=127.0.0.1"],
            [
                "x509", "-req", "-in", folder.appending("hub.csr"), "-CA", ca, "-CAkey", folder.appending("ca.key"),
                "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", extensions,
            ],
        ] {
            let made = try await runProgram("/usr/bin/openssl", arguments)
            try #require(made.status == 0, "openssl \(arguments.joined(separator: " ")): \(made)")
        }
        return (ca, cert, key)
    }

    /// A client certificate for `name`, signed by the authority `ca` (with its key beside it).
    private static func makeClientCertificate(_ name: String, ca: String, in folder: TemporaryDirectory) async throws
        -> (cert: String, key: String)
    {
        let cert = folder.appending(name + ".pem")
        let key = folder.appending(name + ".key")
        let extensions = folder.appending(name + ".ext")
        try "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n".write(
            toFile: extensions,
            atomically: true,
            encoding: .utf8
        )
        let caKey = (ca as NSString).deletingPathExtension + ".key"
        for arguments in [
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
                folder.appending(name + ".csr"), "-subj", "/CN=\(name)",
            ],
            [
                "x509", "-req", "-in", folder.appending(name + ".csr"), "-CA", ca, "-CAkey", caKey, "-CAcreateserial",
                "-out", cert, "-days", "2", "-extfile", extensions,
            ],
        ] {
            let made = try await runProgram("/usr/bin/openssl", arguments)
            try #require(made.status == 0, "openssl \(arguments.joined(separator: " ")): \(made)")
        }
        return (cert, key)
    }

    private static func outpost(_ arguments: [String]) async throws -> CommandResult {
        try await OutpostExecutable.run(arguments)
    }

    /// A node home with a token file and one agent queued.
    private static func node(_ name: String, in folder: TemporaryDirectory, hubHome: String) async throws
        -> (home: String, token: String)
    {
        let home = folder.appending(name)
        #expect(try await outpost(["init", "--home", home]).status == 0)
        let added = try await outpost([
            "hub", "node", "add", "--tenant", "acme", "--name", name, "--json", "--home", hubHome,
        ])
        try #require(added.status == 0, "\(added)")
        let token = folder.appending(name + ".token")
        try #require(try JSONValue(parsing: added.stdout)["token"]?.stringValue).write(
            toFile: token,
            atomically: true,
            encoding: .utf8
        )
        chmod(token, 0o600)
        let agent = try await outpost(["agent", "add", "--id", name, "--name", name, "--type", "t", "--home", home])
        #expect(agent.status == 0)
        return (home, token)
    }

    @Test(
        "a node trusting the hub's authority syncs over HTTPS; one that does not is refused clearly and keeps its queue"
    )
    func httpsWithPrivateAuthority() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (ca, cert, key) = try await Self.makeCertificates(in: folder)
        let hubHome = folder.appending("hub")
        #expect(try await Self.outpost(["hub", "tenant", "add", "acme", "--home", hubHome]).status == 0)
        let a = try await Self.node("a", in: folder, hubHome: hubHome)
        let b = try await Self.node("b", in: folder, hubHome: hubHome)
        let hub = try await HubProcess.launch(
            ["hub", "serve", "--port", "0", "--home", hubHome, "--tls-cert", cert, "--tls-key", key],
            readyMarker: "listening on https://127.0.0.1:"
        )
        defer { hub.stop() }
        let url = "https://127.0.0.1:\(hub.port)"

        let trusted = try await Self.outpost(
            ["remote", "set", url, "--token-file", a.token, "--ca-file", ca, "--home", a.home]
        )
        try #require(trusted.status == 0, "\(trusted)")
        let synced = try await Self.outpost(["sync", "--home", a.home])
        #expect(synced.status == 0, "\(synced)")

        #expect(try await Self.outpost(["remote", "set", url, "--token-file", b.token, "--home", b.home]).status == 0)
        let refused = try await Self.outpost(["sync", "--home", b.home])
        // The progress line may come first; the error is one line of its own.
        let errors = refused.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(refused.status == 69, "\(refused)")
        #expect(errors.count == 1 && errors[0].contains("TLS certificate is not trusted"), "\(refused)")
        let queued = try await Self.outpost(["queue", "list", "--json", "--home", b.home])
        #expect(queued.stdout.contains("\"b\""), "B's change waits: \(queued)")

        #expect(
            try await Self.outpost(["remote", "set", url, "--token-file", b.token, "--ca-file", ca, "--home", b.home])
                .status == 0
        )
        #expect(try await Self.outpost(["sync", "--home", b.home]).status == 0)
        let agents = try await Self.outpost(["agent", "list", "--json", "--home", b.home])
        #expect(agents.stdout.contains("\"a\"") && agents.stdout.contains("\"b\""), "\(agents)")

        // Plain HTTP to the TLS port gets nothing.
        #expect(
            try await Self.outpost([
                "remote", "set", "http://127.0.0.1:\(hub.port)", "--token-file", b.token, "--home", b.home,
            ])
            .status == 0
        )
        #expect(try await Self.outpost(["sync", "--home", b.home]).status != 0)
    }

    @Test("mutual TLS: a node with a client certificate the hub's client CA signed syncs; others are refused clearly")
    func mutualTLS() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (ca, cert, key) = try await Self.makeCertificates(in: folder)
        let client = try await Self.makeClientCertificate("line-1", ca: ca, in: folder)
        // An authority the hub does not know, and a certificate it signed.
        let strangers = try TemporaryDirectory()
        defer { strangers.remove() }
        let (strangeCA, _, _) = try await Self.makeCertificates(in: strangers)
        let stranger = try await Self.makeClientCertificate("stranger", ca: strangeCA, in: strangers)

        let hubHome = folder.appending("hub")
        #expect(try await Self.outpost(["hub", "tenant", "add", "acme", "--home", hubHome]).status == 0)
        let a = try await Self.node("a", in: folder, hubHome: hubHome)
        let b = try await Self.node("b", in: folder, hubHome: hubHome)
        let hub = try await HubProcess.launch(
            [
                "hub", "serve", "--port", "0", "--home", hubHome, "--tls-cert", cert, "--tls-key", key,
                "--tls-client-ca", ca,
            ],
            readyMarker: "listening on https://127.0.0.1:"
        )
        defer { hub.stop() }
        let url = "https://127.0.0.1:\(hub.port)"

        let set = try await Self.outpost(
            [
                "remote", "set", url, "--token-file", a.token, "--ca-file", ca, "--client-cert", client.cert,
                "--client-key", client.key, "--home", a.home,
            ]
        )
        try #require(set.status == 0, "\(set)")
        #expect(try await Self.outpost(["sync", "--home", a.home]).status == 0)

        for certificate in [nil, stranger] {
            var arguments = ["remote", "set", url, "--token-file", b.token, "--ca-file", ca, "--home", b.home]
            if let certificate { arguments += ["--client-cert", certificate.cert, "--client-key", certificate.key] }
            #expect(try await Self.outpost(arguments).status == 0)
            let refused = try await Self.outpost(["sync", "--home", b.home])
            let errors = refused.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(refused.status == 69, "\(refused)")
            #expect(errors.count == 1 && errors[0].contains("TLS client certificate"), "\(refused)")
        }
        expectOneLineFailure(
            try await Self.outpost(["hub", "serve", "--port", "0", "--home", hubHome, "--tls-client-ca", ca]),
            mentioning: "mutual TLS is TLS first"
        )
    }

    @Test("the node's /metrics listener serves HTTPS with --metrics-tls-cert")
    func metricsOverTLS() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (ca, cert, key) = try await Self.makeCertificates(in: folder)
        let hubHome = folder.appending("hub")
        #expect(try await Self.outpost(["hub", "tenant", "add", "acme", "--home", hubHome]).status == 0)
        let node = try await Self.node("a", in: folder, hubHome: hubHome)
        let hub = try await HubProcess.start(arguments: ["--home", hubHome])
        defer { hub.stop() }
        #expect(
            try await Self.outpost(["remote", "set", hub.url, "--token-file", node.token, "--home", node.home]).status
                == 0
        )
        let daemon = try await HubProcess.launch(
            [
                "run", "--home", node.home, "--metrics", "127.0.0.1:0", "--metrics-tls-cert", cert, "--metrics-tls-key",
                key,
            ],
            readyMarker: "metrics on https://127.0.0.1:"
        )
        defer { daemon.kill() }
        let secure = try await runProgram(
            "/usr/bin/curl",
            ["-sS", "--cacert", ca, "https://127.0.0.1:\(daemon.port)/live"]
        )
        #expect(secure.status == 0 && secure.stdout == "ok\n", "\(secure)")
        let plain = try await runProgram("/usr/bin/curl", ["-sS", "http://127.0.0.1:\(daemon.port)/live"])
        #expect(plain.status != 0 || plain.stdout != "ok\n", "plain HTTP gets no answer: \(plain)")
    }

    @Test("bad certificate, key or CA files are one clear line, before anything listens")
    func badFiles() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (ca, cert, key) = try await Self.makeCertificates(in: folder)
        let hubHome = folder.appending("hub")
        #expect(try await Self.outpost(["hub", "tenant", "add", "acme", "--home", hubHome]).status == 0)
        let serve = ["hub", "serve", "--port", "0", "--home", hubHome]
        expectOneLineFailure(
            try await Self.outpost(serve + ["--tls-cert", folder.appending("none.pem"), "--tls-key", key]),
            mentioning: "Cannot read the TLS certificate"
        )
        expectOneLineFailure(
            try await Self.outpost(serve + ["--tls-cert", cert, "--tls-key", folder.appending("ca.key")]),
            mentioning: "does not go with the certificate"
        )
        expectOneLineFailure(try await Self.outpost(serve + ["--tls-cert", cert]), mentioning: "go together")
        let home = folder.appending("node")
        #expect(try await Self.outpost(["init", "--home", home]).status == 0)
        let token = folder.appending("t")
        try "opn_token".write(toFile: token, atomically: true, encoding: .utf8)
        chmod(token, 0o600)
        expectOneLineFailure(
            try await Self.outpost(
                ["remote", "set", "https://127.0.0.1:1", "--token-file", token, "--ca-file", token, "--home", home]
            ),
            mentioning: "Cannot read a PEM certificate from the CA file"
        )
        #expect(!FileManager.default.fileExists(atPath: home + "/remote.json"), "nothing saved")
        #expect(FileManager.default.fileExists(atPath: ca))
    }
}

extension TLSTests {
    @Test(
        "client certificates per node and per tenant: a bound token needs its certificate; a tenant can require one",
        arguments: SyncBackend.allCases
    )
    func clientCertificatesPerNodeAndTenant(backend: SyncBackend) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (ca, cert, key) = try await Self.makeCertificates(in: folder)
        let first = try await Self.makeClientCertificate("line-1", ca: ca, in: folder)
        let second = try await Self.makeClientCertificate("line-2", ca: ca, in: folder)
        let hubArguments: [String]
        switch backend {
        case .sqlite: hubArguments = ["--home", folder.appending("hub")]
        case .postgres:
            hubArguments = [
                "--database", try #require(ProcessInfo.processInfo.environment["OUTPOST_TEST_POSTGRES_URL"]),
            ]
        }
        let tenant = "mtls-\(UUID().uuidString.prefix(8).lowercased())"
        #expect(try await Self.outpost(["hub", "tenant", "add", tenant] + hubArguments).status == 0)

        /// A node home with its token in a file; `certificate` binds the token to it.
        func node(_ name: String, boundTo certificate: String? = nil) async throws -> (
            home: String, token: String, id: String
        ) {
            let home = folder.appending(name)
            #expect(try await Self.outpost(["init", "--home", home]).status == 0)
            let added = try await Self.outpost(
                ["hub", "node", "add", "--tenant", tenant, "--name", name, "--json"] + hubArguments
                    + (certificate.map { ["--client-cert", $0] } ?? [])
            )
            try #require(added.status == 0, "\(added)")
            let answer = try JSONValue(parsing: added.stdout)
            let token = folder.appending(name + ".token")
            try #require(answer["token"]?.stringValue).write(toFile: token, atomically: true, encoding: .utf8)
            chmod(token, 0o600)
            return (home, token, try #require(answer["id"]?.stringValue))
        }
        let a = try await node("a", boundTo: first.cert)
        let b = try await node("b")

        let hub = try await HubProcess.launch(
            [
                "hub", "serve", "--port", "0", "--tls-cert", cert, "--tls-key", key, "--tls-client-ca", ca,
                "--tls-client-certs", "optional",
            ] + hubArguments,
            readyMarker: "listening on https://127.0.0.1:"
        )
        defer { hub.stop() }
        let url = "https://127.0.0.1:\(hub.port)"

        /// Points the node at the hub with `certificate` (or none) and syncs.
        func sync(_ node: (home: String, token: String, id: String), with certificate: (cert: String, key: String)?)
            async throws -> CommandResult
        {
            var arguments = ["remote", "set", url, "--token-file", node.token, "--ca-file", ca, "--home", node.home]
            if let certificate { arguments += ["--client-cert", certificate.cert, "--client-key", certificate.key] }
            let set = try await Self.outpost(arguments)
            try #require(set.status == 0, "\(set)")
            return try await Self.outpost(["sync", "--home", node.home])
        }
        func expectRefused(
            _ result: CommandResult,
            mentioning text: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(result.status == 77, "\(result)", sourceLocation: sourceLocation)
            #expect(errors.count == 1 && errors[0].contains(text), "\(result)", sourceLocation: sourceLocation)
        }

        // A's token is bound to line-1: only that certificate opens it.
        let opened = try await sync(a, with: first)
        #expect(opened.status == 0, "\(opened)")
        expectRefused(try await sync(a, with: second), mentioning: "bound to another client certificate")
        expectRefused(try await sync(a, with: nil), mentioning: "presented none")
        // B is bound to nothing, and its tenant requires nothing yet: no certificate needed.
        #expect(try await sync(b, with: nil).status == 0)

        let listed = try JSONValue(
            parsing: try await Self.outpost(["hub", "node", "list", "--tenant", tenant, "--json"] + hubArguments).stdout
        )
        guard case .array(let nodes) = listed else { throw OutpostError(.invalidInput, "not a list: \(listed)") }
        let bound = nodes.first { $0["id"]?.stringValue == a.id }?["client_certificate"]?.stringValue
        #expect(bound?.count == 64, "A's binding is listed: \(listed)")

        // The tenant now requires a certificate of every node, at once on the running hub.
        #expect(
            try await Self.outpost(["hub", "tenant", "set", tenant, "--require-client-cert", "true"] + hubArguments)
                .status == 0
        )
        expectRefused(try await sync(b, with: nil), mentioning: "tenant requires a client certificate")
        #expect(try await sync(b, with: second).status == 0)

        // Unbound, A may use any certificate the authority signed.
        #expect(try await Self.outpost(["hub", "node", "set-cert", a.id, "--clear"] + hubArguments).status == 0)
        #expect(try await sync(a, with: second).status == 0)
        expectOneLineFailure(
            try await Self.outpost(["hub", "node", "set-cert", a.id] + hubArguments),
            mentioning: "Give --client-cert FILE"
        )
        expectOneLineFailure(
            try await Self.outpost(["hub", "node", "set-cert", a.id, "--client-cert", a.token] + hubArguments),
            mentioning: "Cannot read a PEM certificate"
        )
        #expect(try await Self.outpost(["hub", "tenant", "rm", tenant, "--yes"] + hubArguments).status == 0)
    }
}
