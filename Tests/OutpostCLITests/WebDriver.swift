import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// A headless Chromium driven through `chromedriver` (the W3C WebDriver protocol, spoken with
/// `curl`), for tests of the hub's pages in a real browser.
final class WebDriver: @unchecked Sendable {
    private let driver: HubProcess
    private let base: String
    private let session: String
    private let profile: TemporaryDirectory

    private init(driver: HubProcess, session: String, profile: TemporaryDirectory) {
        self.driver = driver
        base = "http://127.0.0.1:\(driver.port)"
        self.session = session
        self.profile = profile
    }

    /// Starts `chromedriver` on a free port and a headless Chromium session.
    static func start() async throws -> WebDriver {
        let driver = try await HubProcess.launch(
            ["--port=0"],
            program: "/usr/bin/chromedriver",
            readyMarker: "was started successfully on port "
        )
        let profile = try TemporaryDirectory(prefix: "outpost-chromium")
        let capabilities: JSONValue = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": "/usr/bin/chromium",
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                            .string("--user-data-dir=\(profile.path)"),
                        ],
                    ],
                    "goog:loggingPrefs": ["browser": "ALL"],
                ]
            ]
        ]
        let answer = try await call("http://127.0.0.1:\(driver.port)/session", method: "POST", body: capabilities)
        guard let session = answer["value"]?["sessionId"]?.stringValue else {
            _ = await driver.stop()
            throw OutpostError(.failedPrecondition, "chromedriver started no session: \(answer.encoded())")
        }
        return WebDriver(driver: driver, session: session, profile: profile)
    }

    func open(_ url: String) async throws { _ = try await command("url", body: ["url": .string(url)]) }

    var title: String { get async throws { try await command("title", method: "GET")["value"]?.stringValue ?? "" } }

    /// The visible text of the first element `selector` (CSS) finds.
    func text(_ selector: String) async throws -> String {
        try await command("element/\(try await element(selector))/text", method: "GET")["value"]?.stringValue ?? ""
    }

    func type(_ text: String, into selector: String) async throws {
        _ = try await command("element/\(try await element(selector))/value", body: ["text": .string(text)])
    }

    func click(_ selector: String) async throws {
        _ = try await command("element/\(try await element(selector))/click", body: [:])
    }

    /// The browser console's entries at level SEVERE (script errors, failed loads, blocked content).
    func severeConsoleEntries() async throws -> [String] {
        guard case .array(let entries)? = try await command("se/log", body: ["type": "browser"])["value"] else {
            return []
        }
        return entries.filter { $0["level"]?.stringValue == "SEVERE" }.map { $0["message"]?.stringValue ?? "" }
    }

    func quit() async {
        _ = try? await Self.call("\(base)/session/\(session)", method: "DELETE", body: nil)
        _ = await driver.stop()
        profile.remove()
    }

    private func element(_ selector: String) async throws -> String {
        let found = try await command("element", body: ["using": "css selector", "value": .string(selector)])
        guard case .object(let reference)? = found["value"], let id = reference.values.first?.stringValue else {
            throw OutpostError(.notFound, "No element matches \(selector): \(found.encoded())")
        }
        return id
    }

    private func command(_ path: String, method: String = "POST", body: JSONValue? = nil) async throws -> JSONValue {
        let answer = try await Self.call("\(base)/session/\(session)/\(path)", method: method, body: body)
        if let error = answer["value"]?["error"]?.stringValue {
            throw OutpostError(
                .failedPrecondition,
                "WebDriver \(path): \(error): \(answer["value"]?["message"]?.stringValue ?? "")"
            )
        }
        return answer
    }

    private static func call(_ url: String, method: String, body: JSONValue?) async throws -> JSONValue {
        var arguments = ["-sS", "--max-time", "60", "-X", method, url]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body.encoded()] }
        let result = try await runProgram("/usr/bin/curl", arguments)
        guard result.status == 0 else { throw OutpostError(.failedPrecondition, "curl \(url): \(result)") }
        return try JSONValue(parsing: result.stdout)
    }
}
