import OutpostCore

/// The hub's API as an OpenAPI 3.0 document, served at `/openapi.json`.
///
/// The protocol tests decode real responses and check them against these schemas, so the
/// document cannot drift from what the hub sends.
enum OpenAPIDocument {
    /// The methods the document gives each path, upper-case: what a 405's `Allow` lists.
    static let methods: [String: [String]] = {
        guard let paths = (try? JSONValue(parsing: json))?["paths"]?.objectValue else { return [:] }
        return paths.mapValues { operations in
            (operations.objectValue ?? [:]).keys.map { $0.uppercased() }.sorted()
        }
    }()

    static let json = #"""
        {
          "openapi": "3.0.3",
          "info": {"title": "Outpost hub", "version": "0.1.0",
                   "description": "Sync API between Outpost edge nodes and their hub. See docs/sync-protocol.md. Every /v1 request may carry an Outpost-Protocol header with the node's protocol version (none means 1); the hub serves its own version and one either side, answers each with its own version in the same header, and refuses others with 400 unsupported_protocol."},
          "components": {
            "securitySchemes": {"nodeToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {
              "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "object", "required": ["code", "message"], "properties": {
                  "code": {"type": "string"}, "message": {"type": "string"}}}}},
              "Health": {"type": "object", "required": ["status", "database", "version"], "properties": {
                "status": {"type": "string"}, "database": {"type": "string"}, "version": {"type": "string"}}},
              "Change": {"type": "object", "required": ["id", "table", "key", "op", "base_version", "hlc"], "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 128, "description": "At most 128 UTF-8 bytes."},
                "table": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,62}$"},
                "key": {"type": "string", "minLength": 1, "maxLength": 512, "description": "At most 512 UTF-8 bytes by default (HubLimits.maximumKeyLength); in table files, a file name as files put --as accepts it."},
                "op": {"type": "string", "enum": ["upsert", "delete"]},
                "base_version": {"type": "integer"}, "data": {"type": "object", "nullable": true},
                "partial": {"type": "boolean"}, "hlc": {"type": "integer"},
                "origin": {"type": "string", "description": "The writing node; only from a credential marked as a relay."},
                "priority": {"type": "integer", "minimum": 1, "maximum": 10, "description": "Left out for the default, 5."}}},
              "PushRequest": {"type": "object", "required": ["batch_id", "changes"], "properties": {
                "batch_id": {"type": "string", "minLength": 1, "maxLength": 128, "description": "At most 128 UTF-8 bytes, without U+0000."},
                "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}},
                "schemas": {"type": "object", "nullable": true, "description": "Keyed by table name (an identifier).", "additionalProperties": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,62}$"}}},
                "declarations": {"type": "object", "nullable": true, "description": "Keyed by table name (an identifier); a column at most once, compared without case.", "additionalProperties": {"$ref": "#/components/schemas/TableDeclaration"}}}},
              "TableDeclaration": {"type": "object", "required": ["columns", "primary_key"], "properties": {
                "columns": {"type": "array", "minItems": 1, "maxItems": 2000, "items": {"type": "object", "required": ["name", "type"], "properties": {
                  "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,62}$"},
                  "type": {"type": "string", "nullable": true, "maxLength": 64,
                           "description": "The declared SQLite type; empty for none; null (in answers only) when no node has declared it."}}}},
                "primary_key": {"type": "array", "items": {"type": "string"}}}},
              "Nodes": {"type": "object", "required": ["nodes"], "properties": {
                "nodes": {"type": "array", "items": {"type": "object", "required": ["id", "name", "self"], "properties": {
                  "id": {"type": "string"}, "name": {"type": "string"}, "self": {"type": "boolean"}}}}}},
              "NodeReport": {"type": "object", "required": ["version", "pending", "failed", "parked"], "properties": {
                "version": {"type": "string", "minLength": 1, "maxLength": 64, "description": "The node's Outpost release."},
                "pending": {"type": "integer", "minimum": 0, "description": "Changes queued to push."},
                "failed": {"type": "integer", "minimum": 0, "description": "Changes the hub refused, waiting for a person."},
                "parked": {"type": "integer", "minimum": 0, "description": "Conflicts waiting for a person."}}},
              "Tables": {"type": "object", "required": ["tables"], "properties": {
                "tables": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/TableDeclaration"}}}},
              "HubRow": {"type": "object", "required": ["table", "key", "version", "deleted", "hlc", "origin", "sequence"],
                "properties": {
                  "table": {"type": "string"}, "key": {"type": "string"}, "version": {"type": "integer"},
                  "data": {"type": "object", "nullable": true}, "deleted": {"type": "boolean"},
                  "hlc": {"type": "integer"}, "origin": {"type": "string"}, "sequence": {"type": "integer"}}},
              "AppliedResult": {"type": "array", "minItems": 2, "maxItems": 2,
                "description": "[version, sequence]; sequence is null when nothing was written.",
                "items": {"type": "integer", "nullable": true}},
              "ConflictResult": {"type": "object", "required": ["status", "version", "current"], "properties": {
                "status": {"type": "string", "enum": ["conflict"]}, "version": {"type": "integer"},
                "current": {"$ref": "#/components/schemas/HubRow"}}},
              "RefusedResult": {"type": "object", "required": ["status", "code", "reason"],
                "description": "Protocol 2: a change the node's scope does not allow; nothing was written.",
                "properties": {
                "status": {"type": "string", "enum": ["refused"]}, "code": {"type": "string", "enum": ["out_of_scope"]},
                "reason": {"type": "string"}}},
              "PushResponse": {"type": "object", "required": ["results", "sequence"], "properties": {
                "results": {"type": "array", "description": "One result per change, in the order sent.",
                  "items": {"oneOf": [{"$ref": "#/components/schemas/AppliedResult"},
                                      {"$ref": "#/components/schemas/ConflictResult"},
                                      {"$ref": "#/components/schemas/RefusedResult"}]}},
                "sequence": {"type": "integer"}}},
              "PullResponse": {"type": "object", "required": ["rows", "cursor", "more"], "properties": {
                "rows": {"type": "array", "items": {"$ref": "#/components/schemas/HubRow"}},
                "cursor": {"type": "integer"}, "more": {"type": "boolean"},
                "epoch": {"type": "integer", "description": "The tenant's history; changes when the hub is restored from a backup."},
                "head": {"type": "integer", "description": "The tenant's newest sequence number."}}},
              "DigestRequest": {"type": "object", "required": ["table", "columns"], "properties": {
                "table": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,62}$"}, "columns": {"type": "array", "maxItems": 2000, "items": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,62}$"}},
                "from": {"type": "string", "nullable": true, "pattern": "^[0-9a-f]{16}$"},
                "to": {"type": "string", "nullable": true, "pattern": "^[0-9a-f]{16}$", "description": "Not below from."},
                "buckets": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 4096},
                "rows_up_to": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 1000}}},
              "DigestAnswer": {"type": "object", "required": ["sequence"], "properties": {
                "sequence": {"type": "integer"},
                "buckets": {"type": "array", "description": "Per bucket: [live rows, hex wrapping sum of their row hashes].",
                  "items": {"type": "array", "minItems": 2, "maxItems": 2}},
                "rows": {"type": "array", "description": "Per row: [key, hex row hash or null for a tombstone, version, sequence].",
                  "items": {"type": "array", "minItems": 4, "maxItems": 4}}}},
              "ChunkHashes": {"type": "object", "required": ["hashes"], "properties": {
                "hashes": {"type": "array", "maxItems": 10000, "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}}},
              "MissingChunks": {"type": "object", "required": ["missing"], "properties": {
                "missing": {"type": "array", "items": {"type": "string"}}}},
              "ChunkUpload": {"type": "object", "required": ["stored", "received"], "properties": {
                "stored": {"type": "integer"}, "received": {"type": "integer"}}},
              "ChunkFrames": {"type": "string", "format": "binary",
                "description": "Frames back to back: hash (32 bytes), flags (1; bit 0 = raw deflate), length (4, big-endian), payload."}
            }
          },
          "paths": {
            "/health": {"get": {"summary": "Liveness and database reachability.", "responses": {
              "200": {"description": "Up.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
              "503": {"description": "Database unreachable.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics.", "responses": {
              "200": {"description": "Prometheus text format.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/v1/push": {"post": {"summary": "Apply a batch of changes in one transaction.",
              "security": [{"nodeToken": []}],
              "description": "Bodies may be gzip or deflate (Content-Encoding). Invalid batches are refused whole; version mismatches are answered per change.",
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}}},
              "responses": {
                "200": {"description": "Per-change results.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushResponse"}}}},
                "400": {"description": "Malformed batch.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "Missing, unknown or revoked token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "409": {"description": "Base version newer than the hub's, or batch id taken.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "413": {"description": "Body or field too large.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "415": {"description": "Unsupported Content-Encoding.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "Unknown column, or an invalid declaration.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "429": {"description": "Rate limited; see Retry-After.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/pull": {"get": {"summary": "Rows changed after a cursor, oldest change first.",
              "security": [{"nodeToken": []}],
              "parameters": [
                {"name": "after", "in": "query", "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 9223372036854775807}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5000}},
                {"name": "wait_ms", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 30000}},
                {"name": "table", "in": "query", "description": "Only this table's rows; the node's cursor is not recorded.", "schema": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,62}$"}}],
              "responses": {
                "200": {"description": "A page of rows.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PullResponse"}}}},
                "400": {"description": "Bad parameter.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "Missing, unknown or revoked token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "410": {"description": "resync_required: history after the cursor was collected.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "429": {"description": "Rate limited; see Retry-After.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/digest": {"post": {"summary": "Digest of one table's rows in a key-hash range, for verify.",
              "security": [{"nodeToken": []}],
              "description": "Lists the range's rows when there are at most rows_up_to, else answers one count and hash sum per bucket. One scan of the table.",
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DigestRequest"}}}},
              "responses": {
                "200": {"description": "Buckets or rows.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DigestAnswer"}}}},
                "400": {"description": "Malformed request.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "Missing, unknown or revoked token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "429": {"description": "Rate limited; see Retry-After.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/tables": {"get": {"summary": "The tenant's table declarations: columns, declared types, primary keys.",
              "security": [{"nodeToken": []}],
              "responses": {
                "200": {"description": "Every table the tenant's nodes have pushed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tables"}}}},
                "401": {"description": "Missing, unknown or revoked token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "429": {"description": "Rate limited; see Retry-After.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/nodes": {"get": {"summary": "The tenant's nodes by id and name (the caller marked), to say who wrote a row.",
              "security": [{"nodeToken": []}],
              "responses": {
                "200": {"description": "Every node of the tenant, revoked ones too.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nodes"}}}},
                "401": {"description": "Missing, unknown or revoked token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "429": {"description": "Rate limited; see Retry-After.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/rules": {"get": {"summary": "The tenant's conflict rules (docs/conflict-resolution.md), or null when it has none.",
              "security": [{"nodeToken": []}],
              "responses": {
                "200": {"description": "The rules every node of the tenant merges by.", "content": {"application/json": {"schema": {"type": "object", "required": ["rules"], "properties": {"rules": {"type": "object", "nullable": true}}}}}},
                "401": {"description": "Missing, unknown or revoked token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "429": {"description": "Rate limited; see Retry-After.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/status": {"post": {"summary": "The node's release and queue (pending, failed, parked), for the operator's dashboard.",
              "security": [{"nodeToken": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NodeReport"}}}},
              "responses": {
                "204": {"description": "Kept as the node's last report."},
                "400": {"description": "Not a report.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "Missing, unknown or revoked token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "429": {"description": "Rate limited; see Retry-After.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/chunks/missing": {"post": {"summary": "Which of these file chunks the tenant lacks.",
              "security": [{"nodeToken": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChunkHashes"}}}},
              "responses": {
                "200": {"description": "The missing ones, in the order asked.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MissingChunks"}}}},
                "400": {"description": "Malformed hash list.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "Missing, unknown or revoked token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/chunks": {"post": {"summary": "Upload file chunks; each is checked against its hash, and one bad frame refuses all.",
              "security": [{"nodeToken": []}],
              "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"$ref": "#/components/schemas/ChunkFrames"}}}},
              "responses": {
                "200": {"description": "How many were new to the tenant.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChunkUpload"}}}},
                "400": {"description": "invalid_chunks (malformed frames, or none) or chunk_corrupt (a hash mismatch).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "Missing, unknown or revoked token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "413": {"description": "body_too_large; upload_too_large (the frames and their delta bases inflate past the upload budget, 64 MiB by default); too_many_delta_bases (deltas name more than 32 distinct base chunks by default).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "delta_base_missing: a delta names a base the tenant does not hold; send that chunk whole.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/v1/chunks/fetch": {"post": {"summary": "The tenant's chunks among these hashes (absent ones are left out).",
              "security": [{"nodeToken": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChunkHashes"}}}},
              "responses": {
                "200": {"description": "Chunk frames, within the body limit.", "content": {"application/octet-stream": {"schema": {"$ref": "#/components/schemas/ChunkFrames"}}}},
                "400": {"description": "Malformed hash list.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "Missing, unknown or revoked token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}}
          }
        }
        """#
}
