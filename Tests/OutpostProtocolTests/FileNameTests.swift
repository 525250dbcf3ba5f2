import OutpostCore
import OutpostProtocol
import Testing

@Suite("File names")
struct FileNameTests {
    @Test(
        "relative paths of plain segments are accepted",
        arguments: ["a.txt", "reports/2026/day-1.csv", "models/v1.2/vision.onnx", "é/ü.bin", ".hidden"]
    )
    func accepted(name: String) throws {
        #expect(try FileName.validate(name) == name)
    }

    @Test(
        "absolute paths, dot segments, empty segments, NUL, control characters and over-long names are refused",
        arguments: [
            ("", "empty"), ("/etc/passwd", "absolute"), ("../secret", "'..'"), ("a/../../b", "'..'"),
            ("./a", "'.'"), ("a//b", "empty segment"), ("a/", "empty segment"), ("a\u{0}b", "NUL"),
            ("a\nb", "control"), ("a\u{1B}[2Jb", "control"), ("a\u{9B}31mb", "control"),
            ("invoice\u{202E}fdp.exe", "bidirectional"), ("a\u{2066}b", "bidirectional"),
            (String(repeating: "x", count: 256), "segment is longer"),
            (String(repeating: "abc/", count: 300) + "x", "longer than 1024"),
        ]
    )
    func refused(name: String, reason: String) {
        #expect {
            try FileName.validate(name)
        } throws: { error in
            let error = error as! OutpostError
            return error.code == .invalidInput && error.message.contains(reason) && !error.message.contains("\u{0}")
        }
    }

    @Test("names are printed with control and bidirectional characters shown as '?'")
    func printable() {
        #expect(FileName.printable("a\u{1B}[2Jb\u{9B}c\u{202E}d") == "a?[2Jb?c?d")
        #expect(FileName.printable("reports/été.csv") == "reports/été.csv")
    }

    @Test("a conflict copy keeps the folder and extension and names the losing content")
    func conflictCopy() {
        let name = FileName.conflictCopy(of: "reports/day-1.csv", hash: "9f86d081884c7d65")
        #expect(name == "reports/day-1 (conflict 9f86d081).csv")
        #expect(FileName.conflictCopy(of: "README", hash: "abcdef0123") == "README (conflict abcdef01)")
        #expect(FileName.conflictCopy(of: ".env", hash: "abcdef0123") == ".env (conflict abcdef01)")
        #expect((try? FileName.validate(name)) != nil)
    }
}
