import Foundation
import OutpostCore
import Testing

@Suite("AtomicFile")
struct AtomicFileTests {
    private func folder() throws -> String {
        let path = NSTemporaryDirectory() + "outpost-atomic-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("replaces the contents whole, with the mode asked for, and leaves no temporary file")
    func replaces() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/token"
        try AtomicFile.write(Array("first\n".utf8), to: path, mode: 0o600)
        try AtomicFile.write(Array("second\n".utf8), to: path, mode: 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["token"])
    }

    @Test("a folder that does not exist is a storage error naming the file; nothing is left behind")
    func missingFolder() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/missing/rules.json"
        let error = #expect(throws: OutpostError.self) { try AtomicFile.write(Array("{}".utf8), to: path) }
        #expect(error?.code == .storage)
        #expect(error?.message.contains(path) == true, "\(error?.message ?? "")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}
