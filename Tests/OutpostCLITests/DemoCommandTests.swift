import OutpostTesting
import Testing

@Suite("outpost demo")
struct DemoCommandTests {
    @Test("the README's first command runs the whole story and ends converged")
    func demoConverges() async throws {
        let result = try await OutpostExecutable.run(["demo"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("merged 1 automatically, 1 wait for a person"), "\(result.stdout)")
        #expect(result.stdout.contains("manuals/line-camera.txt (13600 bytes"), "\(result.stdout)")
        #expect(result.stdout.contains("hold identical agents, workflows, executions, files and prices ✔"))
        #expect(result.stdout.contains("no unexplained difference on any node ✔"), "\(result.stdout)")
        for node in ["shop-floor", "warehouse", "observer"] {
            #expect(result.stdout.contains("\(node): 5 tables"), "\(result.stdout)")
        }
    }
}
