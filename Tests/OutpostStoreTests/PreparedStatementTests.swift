import Foundation
import GRDB
import OutpostStore
import Testing

@Suite("Prepared statements")
struct PreparedStatementTests {
    @Test("every storage class binds as GRDB binds it: empty text and empty BLOB stay empty, not NULL")
    func bindsLikeGRDB() throws {
        let db = try DatabaseQueue()
        let values: [DatabaseValue] = [
            .null, Int64.max.databaseValue, Int64.min.databaseValue, 0.1.databaseValue, (-1e300).databaseValue,
            "".databaseValue, "zażółć 🧭".databaseValue, Data().databaseValue, Data([0, 1, 255]).databaseValue,
        ]
        let stored = try db.write { db -> [[String]] in
            try db.execute(sql: "CREATE TABLE direct (n INTEGER PRIMARY KEY, v)")
            try db.execute(sql: "CREATE TABLE viaGRDB (n INTEGER PRIMARY KEY, v)")
            let insert = try PreparedStatement("INSERT INTO direct (n, v) VALUES (?, ?)", in: db)
            for (index, value) in values.enumerated() {
                try insert.run([index.databaseValue, value])
                try db.execute(sql: "INSERT INTO viaGRDB (n, v) VALUES (?, ?)", arguments: [index, value])
            }
            return try ["direct", "viaGRDB"].map { table in
                try String.fetchAll(db, sql: "SELECT typeof(v) || ' ' || quote(v) FROM \(table) ORDER BY n")
            }
        }
        #expect(stored[0] == stored[1])
        #expect(stored[0][5] == "text ''" && stored[0][7] == "blob X''")
    }

    @Test("many texts and BLOBs bound in one statement each keep their own bytes, run after run")
    func bindsSideBySide() throws {
        let db = try DatabaseQueue()
        let long = String(repeating: "ünïcode ", count: 5_000)
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, v)")
            let insert = try PreparedStatement("INSERT INTO t (n, v) VALUES " + SQLList.rows(4, width: 2), in: db)
            for run in 0..<3 {
                let values: [DatabaseValue] = [
                    "".databaseValue, "short \(run)".databaseValue,
                    Data(repeating: UInt8(run), count: 70_000).databaseValue,
                    (long + "\(run)").databaseValue,
                ]
                try insert.run(values.enumerated().flatMap { [(run * 10 + $0.offset).databaseValue, $0.element] })
                let read = try Row.fetchAll(db, sql: "SELECT v FROM t WHERE n >= ? ORDER BY n", arguments: [run * 10])
                #expect(read.map { $0[0] as DatabaseValue } == values)
            }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM t") == 12)
        }
    }

    @Test("a refused row throws SQLite's constraint error, and the statement runs again afterwards")
    func constraintError() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT NOT NULL)")
            let insert = try PreparedStatement("INSERT INTO t (id, v) VALUES (?, ?)", in: db)
            try insert.run(["a".databaseValue, "x".databaseValue])
            #expect {
                try insert.run(["a".databaseValue, "y".databaseValue])
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT
            }
            #expect(throws: DatabaseError.self) { try insert.run(["b".databaseValue, .null]) }
            try insert.run(["c".databaseValue, "z".databaseValue])
            #expect(try String.fetchAll(db, sql: "SELECT id || v FROM t ORDER BY id") == ["ax", "cz"])
        }
    }

    @Test("a prepared read gives each storage class back as GRDB reads it, and nil for no row")
    func readsLikeGRDB() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, v)")
            let values: [DatabaseValue] = [
                .null, Int64.min.databaseValue, 2.5.databaseValue, "".databaseValue, "zażółć 🧭".databaseValue,
                Data().databaseValue, Data([0, 1, 255]).databaseValue,
            ]
            for (index, value) in values.enumerated() {
                try db.execute(sql: "INSERT INTO t (n, v) VALUES (?, ?)", arguments: [index, value])
            }
            let read = try PreparedStatement("SELECT v, typeof(v) FROM t WHERE n = ?", in: db)
            for (index, value) in values.enumerated() {
                let direct = try #require(try read.row([index.databaseValue]))
                let viaGRDB = try #require(
                    try Row.fetchOne(db, sql: "SELECT v, typeof(v) FROM t WHERE n = ?", arguments: [index])
                )
                #expect(direct == [viaGRDB[0] as DatabaseValue, viaGRDB[1] as DatabaseValue])
                #expect(direct[0] == value)
            }
            #expect(try read.row([99.databaseValue]) == nil)
        }
    }
}
