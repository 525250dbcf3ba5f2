/// A row that left a bucket: an edit moved it to another (its `site` changed). The nodes that
/// receive the old bucket but not the new one get it as a deletion at the edit's place in the
/// change log, so their copy goes (their own unsynced edits to it are then refused, visibly).
struct ScopeExit: Sendable, Equatable {
    /// The bucket the row left.
    var bucket: String
    /// The bucket it went to: nodes receiving both keep the row.
    var destination: String
    var table: String
    var key: String
    /// The row's version after the edit that moved it.
    var version: Int64
    var hlc: Int64
    var origin: String
    /// The sequence number of that edit.
    var sequence: Int64

    init(leaving bucket: String, row: StoredRow) {
        self.bucket = bucket
        destination = row.bucket
        table = row.table
        key = row.key
        version = row.version
        hlc = row.hlc
        origin = row.origin
        sequence = row.sequence
    }

    init(
        bucket: String,
        destination: String,
        table: String,
        key: String,
        version: Int64,
        hlc: Int64,
        origin: String,
        sequence: Int64
    ) {
        self.bucket = bucket
        self.destination = destination
        self.table = table
        self.key = key
        self.version = version
        self.hlc = hlc
        self.origin = origin
        self.sequence = sequence
    }

    /// The exit as a pulled row: a tombstone at the edit's version and place.
    var tombstone: StoredRow {
        StoredRow(
            table: table,
            key: key,
            version: version,
            data: nil,
            deleted: true,
            hlc: hlc,
            origin: origin,
            changeID: "",
            sequence: sequence,
            bucket: bucket
        )
    }
}
