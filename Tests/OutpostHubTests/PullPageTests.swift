import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostHub

@Suite("Pull pages written with the rows' text spliced in")
struct PullPageTests {
    @Test("the body decodes as the pull response it stands for, names escaped and tombstones null")
    func bodyDecodes() throws {
        let page = PullPage(
            rows: [
                StoredRow(
                    table: "agents",
                    key: "a \"quoted\" key\n\u{1}é",
                    version: 3,
                    data: #"{"name": "Cam", "config": {"zones": ["in", "out"]}, "fps": 2.5}"#,
                    deleted: false,
                    hlc: 117_676_184_251_465_729,
                    origin: "node\\1",
                    changeID: "c1",
                    sequence: 41
                ),
                StoredRow(
                    table: "agents",
                    key: "gone",
                    version: 4,
                    data: nil,
                    deleted: true,
                    hlc: 2,
                    origin: "n",
                    changeID: "c2",
                    sequence: 42
                ),
            ],
            cursor: 42,
            more: true,
            epoch: 9_000_000_000_000_000_001,
            head: 57
        )
        let decoded = try PullResponse(json: JSONValue(parsing: page.body()))
        #expect(
            decoded
                == PullResponse(
                    rows: [
                        HubRow(
                            table: "agents",
                            key: "a \"quoted\" key\n\u{1}é",
                            version: 3,
                            data: ["name": "Cam", "config": ["zones": ["in", "out"]], "fps": 2.5],
                            deleted: false,
                            hlc: 117_676_184_251_465_729,
                            origin: "node\\1",
                            sequence: 41
                        ),
                        HubRow(
                            table: "agents",
                            key: "gone",
                            version: 4,
                            data: nil,
                            deleted: true,
                            hlc: 2,
                            origin: "n",
                            sequence: 42
                        ),
                    ],
                    cursor: 42,
                    more: true,
                    epoch: 9_000_000_000_000_000_001,
                    head: 57
                )
        )
        let empty = PullPage(rows: [], cursor: 7, more: false, epoch: 1, head: 7)
        #expect(
            try PullResponse(json: JSONValue(parsing: empty.body()))
                == PullResponse(rows: [], cursor: 7, more: false, epoch: 1, head: 7)
        )
    }
}
