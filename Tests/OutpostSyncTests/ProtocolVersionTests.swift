import Foundation
import OutpostCore
import OutpostProtocol
import OutpostTesting
import Testing

/// A fleet upgrades one box at a time: the hub serves nodes one protocol version either side of
/// its own, refuses others with a message that says which side to upgrade, and a node facing a
/// hub it cannot talk to says so and keeps its queue.
@Suite("Protocol versions")
struct ProtocolVersionTests {
    private static func curl(_ url: String, token: String, version: String?) async throws -> CommandResult {
        var arguments = ["-sS", "-i", "-H", "Authorization: Bearer \(token)", url]
        if let version { arguments += ["-H", "\(ProtocolVersion.header): \(version)"] }
        return try await runProgram("/usr/bin/curl", arguments)
    }

    @Test("the hub serves one version either side of its own and no header; it refuses others and says whom to upgrade")
    func hubServesNeighbours() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let hubHome = folder.appending("hub")
        #expect(try await OutpostExecutable.run(["hub", "tenant", "add", "acme", "--home", hubHome]).status == 0)
        let added = try await OutpostExecutable.run([
            "hub", "node", "add", "--tenant", "acme", "--json", "--home", hubHome,
        ])
        let token = try #require(try JSONValue(parsing: added.stdout)["token"]?.stringValue)
        let hub = try await HubProcess.start(arguments: ["--home", hubHome])
        defer { hub.stop() }
        let pull = hub.url + "/v1/pull?after=0"

        for version in [
            nil, "\(ProtocolVersion.current - 1)", "\(ProtocolVersion.current)", "\(ProtocolVersion.current + 1)",
        ] {
            let answer = try await Self.curl(pull, token: token, version: version)
            #expect(answer.stdout.hasPrefix("HTTP/1.1 200"), "version \(version ?? "none"): \(answer.stdout)")
            #expect(
                answer.stdout.lowercased().contains(
                    "\(ProtocolVersion.header.lowercased()): \(ProtocolVersion.current)"
                ),
                "every answer names the hub's version: \(answer.stdout)"
            )
        }
        let newer = try await Self.curl(pull, token: token, version: "\(ProtocolVersion.current + 2)")
        #expect(newer.stdout.hasPrefix("HTTP/1.1 400") && newer.stdout.contains("unsupported_protocol"), "\(newer)")
        #expect(newer.stdout.contains("upgrade the hub first"), "\(newer)")
        let older = try await Self.curl(pull, token: token, version: "\(ProtocolVersion.current - 2)")
        #expect(older.stdout.contains("upgrade the node"), "\(older)")
        let garbage = try await Self.curl(pull, token: token, version: "banana")
        #expect(garbage.stdout.hasPrefix("HTTP/1.1 400"), "\(garbage)")
    }

    @Test("a node facing a hub that speaks a version it does not serve says so, exits 76 and keeps its queue")
    func nodeRefusesNewerHub() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // A stand-in for a hub two versions ahead: it answers everything, marked with its version.
        let script = """
            import http.server, sys
            class Hub(http.server.BaseHTTPRequestHandler):
                def answer(self):
                    length = int(self.headers.get('Content-Length') or 0)
                    self.rfile.read(length)
                    body = b'{"rows": [], "cursor": 0, "more": false, "results": [], "sequence": 0}'
                    self.send_response(200)
                    self.send_header('Content-Type', 'application/json')
                    self.send_header('\(ProtocolVersion.header)', '\(ProtocolVersion.current + 2)')
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                do_GET = answer
                do_POST = answer
                def log_message(self, *arguments): pass
            server = http.server.HTTPServer(('127.0.0.1', 0), Hub)
            print('listening on http://127.0.0.1:%d' % server.server_port, flush=True)
            server.serve_forever()
            """
        let scriptPath = folder.appending("hub.py")
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let fake = try await HubProcess.launch(
            [scriptPath],
            program: "/usr/bin/python3",
            readyMarker: "listening on http://127.0.0.1:"
        )
        defer { fake.kill() }

        let home = folder.appending("node")
        #expect(try await OutpostExecutable.run(["init", "--home", home]).status == 0)
        let tokenFile = folder.appending("token")
        try "opn_x".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, 0o600)
        #expect(
            try await OutpostExecutable.run([
                "remote", "set", "http://127.0.0.1:\(fake.port)", "--token-file", tokenFile, "--home", home,
            ])
            .status == 0
        )
        #expect(
            try await OutpostExecutable.run([
                "agent", "add", "--id", "a1", "--name", "A", "--type", "t", "--home", home,
            ]).status == 0
        )
        let sync = try await OutpostExecutable.run(["sync", "--home", home])
        let errors = sync.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(sync.status == 76, "\(sync)")
        #expect(errors.count == 1 && errors[0].contains("upgrade the node"), "\(sync)")
        let queue = try await OutpostExecutable.run(["queue", "list", "--json", "--home", home])
        #expect(queue.stdout.contains("\"a1\"") && !queue.stdout.contains("failed"), "the change waits: \(queue)")
    }
}
