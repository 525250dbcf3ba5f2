import Foundation
import Synchronization
import Testing

@testable import OutpostCLI

/// What ``SettingsResolver`` costs a command line that has no settings: building the command
/// catalog from ArgumentParser's description of the tool took most of a plain command's start-up.
@Suite("Settings resolver")
struct SettingsResolverTests {
    /// Counts the times the resolver asked for the catalog.
    private final class Descriptions: Sendable {
        let count = Mutex(0)
    }

    @Test("a command line with no settings file and no variable of its family never builds the command catalog")
    func plainCommandLineSkipsTheCatalog() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-settings-\(UUID())").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let descriptions = Descriptions()
        var resolver = SettingsResolver()
        resolver.describeCommands = {
            descriptions.count.withLock { $0 += 1 }
            return CommandCatalog.outpost
        }

        resolver.environment = [:]
        let plain = try resolver.apply(to: ["status", "--home", home])
        #expect(plain.arguments == ["status", "--home", home])
        #expect(descriptions.count.withLock { $0 } == 0)

        // A variable of the command's family is a setting: the catalog says which option it sets.
        resolver.environment = ["OUTPOST_STATUS_JSON": "true"]
        let set = try resolver.apply(to: ["status", "--home", home])
        #expect(set.arguments == ["status", "--json", "--home", home])
        #expect(descriptions.count.withLock { $0 } > 0)
    }
}
