import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// The README's hub and remote examples between two machines: the node runs in a network
/// namespace of its own, joined to the hub's by a virtual Ethernet pair, so it reaches the hub
/// only over that link's address, as a second machine would (never over loopback).
@Suite("Two machines: the README's hub and remote set-up")
struct TwoMachineTests {
    /// A network namespace with one link to this one: the hub's side has `hubAddress`, the
    /// namespace's side `nodeAddress`.
    private final class OtherMachine: @unchecked Sendable {
        let namespace: String
        let hubAddress: String
        let nodeAddress: String

        init() async throws {
            let tag = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(6)).lowercased()
            namespace = "outpost-\(tag)"
            let subnet = Int.random(in: 0...255)
            hubAddress = "10.231.\(subnet).1"
            nodeAddress = "10.231.\(subnet).2"
            let (hubSide, nodeSide) = ("oph\(tag)", "opn\(tag)")
            for command in [
                ["netns", "add", namespace],
                ["link", "add", hubSide, "type", "veth", "peer", "name", nodeSide],
                ["link", "set", nodeSide, "netns", namespace],
                ["addr", "add", "\(hubAddress)/30", "dev", hubSide],
                ["link", "set", hubSide, "up"],
                ["netns", "exec", namespace, "ip", "addr", "add", "\(nodeAddress)/30", "dev", nodeSide],
                ["netns", "exec", namespace, "ip", "link", "set", nodeSide, "up"],
                ["netns", "exec", namespace, "ip", "link", "set", "lo", "up"],
            ] {
                let result = try await runProgram("/usr/sbin/ip", command)
                try #require(result.status == 0, "ip \(command.joined(separator: " ")): \(result)")
            }
        }

        /// `outpost ARGUMENTS` run on the other machine.
        func outpost(_ arguments: [String]) async throws -> CommandResult {
            try await runProgram("/usr/sbin/ip", ["netns", "exec", namespace, OutpostExecutable.path] + arguments)
        }

        /// Removes the namespace (and with it both ends of the link).
        func remove() async {
            _ = try? await runProgram("/usr/sbin/ip", ["netns", "del", namespace])
        }
    }

    @Test("a node on another machine syncs with a hub served with --host 0.0.0.0 and TLS, as the README shows")
    func readmeAcrossMachines() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-two-machines")
        defer { folder.remove() }
        let machine = try await OtherMachine()
        do {
            try await run(machine, in: folder)
        } catch {
            await machine.remove()
            throw error
        }
        await machine.remove()
    }

    private func run(_ machine: OtherMachine, in folder: TemporaryDirectory) async throws {
        // A private authority and a hub certificate naming the address nodes use.
        let (ca, cert, key) = (folder.appending("ca.pem"), folder.appending("hub.pem"), folder.appending("hub.key"))
        try "subjectAltName=IP:\(machine.hubAddress)\nextendedKeyUsage=serverAuth\n".write(
            toFile: folder.appending("hub.ext"),
            atomically: true,
            encoding: .utf8
        )
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for arguments in [
            ["req", "-x509"] + curve + [
                "-keyout", folder.appending("ca.key"), "-out", ca, "-days", "2", "-subj", "/CN=CA",
            ],
            ["req"] + curve + ["-keyout", key, "-out", folder.appending("hub.csr"), "-subj", "/CN=hub"],
            [
                "x509", "-req", "-in", folder.appending("hub.csr"), "-CA", ca, "-CAkey", folder.appending("ca.key"),
                "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", folder.appending("hub.ext"),
            ],
        ] {
            let made = try await runProgram("/usr/bin/openssl", arguments)
            try #require(made.status == 0, "openssl: \(made)")
        }

        // The README's "Running a hub", in the hub's folder (its default home, ./.outpost-hub).
        let hubFolder = folder.appending("hub-machine")
        try FileManager.default.createDirectory(atPath: hubFolder, withIntermediateDirectories: true)
        let onHub = { (arguments: [String]) async throws -> CommandResult in
            try await runProgram(OutpostExecutable.path, arguments, workingDirectory: hubFolder)
        }
        #expect(try await onHub(["hub", "tenant", "add", "acme"]).status == 0)
        let added = try await onHub(["hub", "node", "add", "--tenant", "acme", "--name", "line-1", "--json"])
        try #require(added.status == 0, "\(added)")
        let token = folder.appending("node.token")
        try #require(try JSONValue(parsing: added.stdout)["token"]?.stringValue).write(
            toFile: token,
            atomically: true,
            encoding: .utf8
        )
        chmod(token, 0o600)

        // A hub on its default address (loopback) is out of the other machine's reach.
        let local = try await HubProcess.launch(
            ["hub", "serve", "--port", "0", "--home", hubFolder + "/.outpost-hub"],
            readyMarker: "listening on http://127.0.0.1:"
        )
        let nodeHome = folder.appending("node-machine")
        #expect(try await machine.outpost(["init", "--home", nodeHome]).status == 0)
        #expect(
            try await machine.outpost(["agent", "add", "--name", "Line camera", "--type", "vision", "--home", nodeHome])
                .status == 0
        )
        let unreachable = "http://\(machine.hubAddress):\(local.port)"
        #expect(
            try await machine.outpost(["remote", "set", unreachable, "--token-file", token, "--home", nodeHome]).status
                == 0
        )
        let refused = try await machine.outpost(["sync", "--home", nodeHome])
        #expect(refused.status == 69, "a loopback hub is not reachable from another machine: \(refused)")
        _ = await local.stop()

        // `outpost hub serve --host 0.0.0.0 --tls-cert hub.pem --tls-key hub.key`, and on the node
        // `outpost remote set https://HUB:PORT --token-file node.token --ca-file ca.pem`.
        let hub = try await HubProcess.launch(
            [
                "hub", "serve", "--host", "0.0.0.0", "--port", "0", "--tls-cert", cert, "--tls-key", key, "--home",
                hubFolder + "/.outpost-hub",
            ],
            readyMarker: "listening on https://0.0.0.0:"
        )
        defer { hub.stop() }
        let url = "https://\(machine.hubAddress):\(hub.port)"
        let set = try await machine.outpost([
            "remote", "set", url, "--token-file", token, "--ca-file", ca, "--home", nodeHome,
        ])
        try #require(set.status == 0, "\(set)")
        let synced = try await machine.outpost(["sync", "--home", nodeHome])
        #expect(synced.status == 0, "\(synced)")

        // A second node on the hub's machine sees what the other machine pushed.
        let second = try await onHub(["hub", "node", "add", "--tenant", "acme", "--name", "line-2", "--json"])
        let secondToken = folder.appending("second.token")
        try #require(try JSONValue(parsing: second.stdout)["token"]?.stringValue).write(
            toFile: secondToken,
            atomically: true,
            encoding: .utf8
        )
        chmod(secondToken, 0o600)
        let secondHome = folder.appending("second")
        #expect(try await onHub(["init", "--home", secondHome]).status == 0)
        #expect(
            try await onHub(["remote", "set", url, "--token-file", secondToken, "--ca-file", ca, "--home", secondHome])
                .status == 0
        )
        #expect(try await onHub(["sync", "--home", secondHome]).status == 0)
        let agents = try await onHub(["agent", "list", "--json", "--home", secondHome])
        #expect(agents.stdout.contains("Line camera"), "\(agents)")
    }
}
