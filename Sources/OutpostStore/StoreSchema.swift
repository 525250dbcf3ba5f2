import GRDB
import OutpostCore

/// The store's schema, as GRDB migrations: a newer Outpost opens an older store and upgrades it.
///
/// The seed's tables, columns, indexes, triggers and views keep their names. Outpost adds:
/// - `sync_queue.hlc` (the hybrid-logical-clock stamp of the change) and `sync_queue.change_id`
///   (the idempotency key, given when the change is first sent);
/// - no AUTOINCREMENT on `sync_queue.id` (it costs a `sqlite_sequence` write per capture; the
///   idempotency key is `change_id`, so ids need not be unique forever);
/// - `conflict_resolution.created_at` (the seed's `conflict_summary` view reads it) and
///   `conflict_resolution.base_data`;
/// - `outpost_settings` (node id), `outpost_clock` (the clock's persisted reading),
///   `outpost_tracked_tables` (which tables sync, their key and default priority) and
///   `outpost_applying` (the capture guard; see ``CaptureTriggers``);
/// - from v2, what the manual conflict queue needs in `conflict_resolution` (see
///   ``conflictQueue``);
/// - from v4, the git workspace's index (see ``workspaceIndex``);
/// - from v6, capture triggers regenerated from the outbox's Swift rules.
enum StoreSchema {
    /// The tables Outpost itself syncs from the start.
    static let coreTables: [(name: String, priority: Int, localColumns: [String])] = [
        ("agents", 5, ["sync_status", "last_sync"]),
        ("workflows", 5, ["sync_status", "last_execution", "execution_count"]),
        ("executions", 5, ["sync_status"]),
    ]

    /// Every table Outpost tracks itself, with fixed settings: `outpost track` refuses them.
    static let builtInTables: Set<String> = Set(coreTables.map(\.name)).union([fileIndexTable])

    /// The file index (see ``fileIndex``), tracked from v5.
    static let fileIndexTable = "files"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: seed schema, outbox, capture") { db in
            try db.execute(sql: seedTables)
            try db.execute(sql: outpostTables)
            var ids = UUIDv7()
            try db.execute(
                sql: "INSERT INTO outpost_settings (key, value) VALUES ('node_id', ?), ('created_at', ?)",
                arguments: [ids.next(), "\(WallClock.milliseconds())"]
            )
            for table in coreTables {
                _ = try CaptureTriggers.track(
                    table: table.name,
                    priority: table.priority,
                    localColumns: table.localColumns,
                    in: db
                )
            }
            try db.execute(sql: timestampTriggers)
        }
        migrator.registerMigration("v2: manual conflict queue") { db in
            try db.execute(sql: conflictQueue)
        }
        migrator.registerMigration("v3: sync engine state") { db in
            try db.execute(sql: syncState)
        }
        migrator.registerMigration("v4: workspace index") { db in
            try db.execute(sql: workspaceIndex)
        }
        migrator.registerMigration("v5: file index and chunks") { db in
            try db.execute(sql: fileIndex)
            _ = try CaptureTriggers.track(
                table: fileIndexTable,
                priority: 5,
                localColumns: ["sync_status", "compressed", "encrypted", "content"],
                in: db
            )
        }
        migrator.registerMigration("v6: capture triggers generated from the outbox's rules; failed is local work") {
            db in
            try db.execute(sql: failedIsLocalWork)
            // Every tracked table's triggers are installed again, so stores made by earlier
            // versions run the SQL that ``Outbox``, ``CapturePriority`` and ``ClockFloor`` generate,
            // and its columns are recorded as the engine has seen them (these tables synced
            // before; only tables tracked from now on are filled from the hub). A tracked table
            // that was dropped keeps its record and gets its triggers when it is tracked again.
            for tracked in try Store.trackedTables(in: db) {
                guard let schema = try? TableSchema.require(tracked.name, in: db) else { continue }
                _ = try CaptureTriggers.track(
                    table: tracked.name,
                    priority: tracked.priority,
                    localColumns: tracked.localColumns,
                    in: db
                )
                let local = Set(tracked.localColumns)
                try Store.recordKnownColumns(schema.columns.filter { !local.contains($0) }, of: schema.name, in: db)
            }
        }
        migrator.registerMigration("v7: the processing layer: runs, agents, trigger cursors, the file cache") { db in
            try db.execute(sql: runnerExecutions)
            try db.execute(sql: runnerAgents)
            // These tables' capture lists their synced columns, so it is installed again to watch
            // the new ones (and to raise failed runs to critical priority); they held nothing
            // before, so they are known columns from the start.
            try db.execute(sql: fileCache)
            for name in ["agents", "executions", fileIndexTable] {
                let schema = try TableSchema.require(name, in: db)
                let tracked = try Store.trackedTables(in: db).first { $0.name == schema.name }
                var localColumns = tracked?.localColumns ?? coreTables.first { $0.name == name }?.localColumns ?? []
                if name == fileIndexTable { localColumns += ["last_used", "pinned"] }
                _ = try CaptureTriggers.track(
                    table: schema.name,
                    priority: tracked?.priority ?? 5,
                    localColumns: localColumns,
                    in: db
                )
                if try Store.knownColumns(of: schema.name, in: db) != nil {
                    let local = Set(localColumns)
                    try Store.recordKnownColumns(schema.columns.filter { !local.contains($0) }, of: schema.name, in: db)
                }
            }
        }
        migrator.registerMigration("v8: chunks in pack files") { db in
            try db.execute(sql: chunkPacks)
        }
        migrator.registerMigration("v9: capture without IN lists") { db in
            try db.execute(sql: heldRowIndex)
            // Triggers made before hold the priority rule's `IN (…)` list.
            try reinstallCapture(in: db)
        }
        migrator.registerMigration("v10: the capture log") { db in
            try db.execute(sql: Outbox.captureLogSQL)
            try db.execute(sql: pendingViews)
            // Triggers made before upsert into `sync_queue`; they append to the log now.
            try reinstallCapture(in: db)
        }
        migrator.registerMigration("v11: pending entries in push order") { db in
            try db.execute(sql: pendingOrderIndex)
        }
        migrator.registerMigration("v12: a batch in flight keeps its body") { db in
            try db.execute(sql: sentBatches)
        }
        return migrator
    }

    /// The schema changes a store has that this version does not register, sorted: a newer
    /// Outpost upgraded it (empty for a new or an older store).
    static func unknownMigrations(in db: Database) throws -> [String] {
        let known = Set(migrator.migrations)
        return try migrator.appliedIdentifiers(db).filter { !known.contains($0) }.sorted()
    }

    /// Installs capture again on every table capturing now, with the triggers this version
    /// generates. A table dropped and made again (its triggers gone with it) is left for its
    /// owner to track again, as tracking queues its existing rows.
    private static func reinstallCapture(in db: Database) throws {
        for tracked in try Store.trackedTables(in: db) where try CaptureTriggers.isCapturing(tracked.name, in: db) {
            guard (try? TableSchema.require(tracked.name, in: db)) != nil else { continue }
            _ = try CaptureTriggers.track(
                table: tracked.name,
                priority: tracked.priority,
                localColumns: tracked.localColumns,
                in: db
            )
        }
    }

    /// `outpost_pending`: the pending entries as folding the capture log would leave them
    /// (``Outbox/fold()``), for readers that cannot fold (a read snapshot, `sqlite3`): a row with
    /// changes in the log shows one entry, its operation coalesced by ``QueueOperation/then(_:)``
    /// over its pending entry and its logged changes in order, its highest priority, the
    /// creation time of its first change; `id` is `NULL` until the fold gives the entry one, and
    /// `hlc` is the newest stamp among them (the fold may raise it by a few counts). The seed's
    /// `pending_sync` reads it, so it shows changes still in the log.
    ///
    /// The operation follows from `then` without a loop: the last change a delete gives a
    /// delete; otherwise the row is new (`INSERT`) when an insert comes after the change that
    /// follows the last delete (or anywhere, with no delete), and updated otherwise.
    static let pendingViews = """
        DROP VIEW IF EXISTS pending_sync;
        CREATE VIEW outpost_pending AS
        WITH logged AS MATERIALIZED (SELECT DISTINCT table_name, record_id FROM outpost_capture),
        steps AS (
            SELECT q.table_name, q.record_id, 0 AS step, q.operation, q.priority, q.hlc, q.id AS entry, q.created_at
            FROM logged l
            JOIN sync_queue q ON q.table_name = l.table_name AND q.record_id = l.record_id AND q.status = 'pending'
            UNION ALL
            SELECT table_name, record_id, id, operation, priority, hlc, NULL, \(Outbox.capturedAtSQL)
            FROM outpost_capture
        ),
        numbered AS (
            SELECT *, row_number() OVER (PARTITION BY table_name, record_id ORDER BY step) AS n FROM steps
        ),
        marked AS (
            SELECT *, max(CASE WHEN operation = 'DELETE' THEN n END) OVER keyed AS last_delete,
                   max(n) OVER keyed AS last
            FROM numbered WINDOW keyed AS (PARTITION BY table_name, record_id)
        )
        SELECT q.id, q.table_name, q.record_id, q.operation, q.priority, q.hlc, q.created_at
        FROM sync_queue q LEFT JOIN logged l ON l.table_name = q.table_name AND l.record_id = q.record_id
        WHERE q.status = 'pending' AND l.table_name IS NULL
        UNION ALL
        SELECT max(entry), table_name, record_id,
               CASE WHEN max(n = last AND operation = 'DELETE') THEN 'DELETE'
                    WHEN max(operation = 'INSERT' AND (last_delete IS NULL OR n > last_delete + 1)) THEN 'INSERT'
                    ELSE 'UPDATE' END,
               max(priority), max(hlc), max(CASE WHEN n = 1 THEN created_at END)
        FROM marked GROUP BY table_name, record_id;
        CREATE VIEW pending_sync AS
        SELECT table_name, record_id, operation, priority, created_at
        FROM outpost_pending
        ORDER BY priority DESC, created_at ASC;
        """

    /// `idx_sync_queue_held_row` with its condition as ``Outbox/heldCondition`` writes it: the
    /// same entries as the `IN (…)` list before, which cost every captured write a temporary
    /// table (BENCHMARKS.md, capture).
    static let heldRowIndex = """
        DROP INDEX idx_sync_queue_held_row;
        CREATE INDEX idx_sync_queue_held_row ON sync_queue(table_name, record_id)
            WHERE \(Outbox.heldCondition);
        """

    /// Where each chunk's bytes are: `pack_offset` bytes into `HOME/files/packs/PACK.pack`
    /// (`stored_size` long), or, with `pack` NULL, a file of its own (chunks kept before packs).
    static let chunkPacks = """
        ALTER TABLE outpost_chunks ADD COLUMN pack TEXT;
        ALTER TABLE outpost_chunks ADD COLUMN pack_offset INTEGER;
        CREATE INDEX idx_outpost_chunks_pack ON outpost_chunks(pack) WHERE pack IS NOT NULL;
        """

    /// `executions.node_id`: the node that ran it; `executions.step_results`: each step's status,
    /// attempts, times, output and error (JSON), written as the run goes. Both sync.
    /// `workflows.execution_count` and `last_execution` stay local-only and count the
    /// executions that reached the node (its own and those pulled), by these triggers: a synced
    /// counter that every running node bumps would conflict on every run, and the executions
    /// already carry the truth. `outpost_pruned_rows`: rows removed here by retention that the
    /// hub keeps; a pruned execution still counts, and `outpost verify` explains its absence.
    static let runnerExecutions = """
        ALTER TABLE executions ADD COLUMN node_id TEXT;
        ALTER TABLE executions ADD COLUMN step_results TEXT;
        CREATE INDEX idx_executions_workflow ON executions(workflow_id, started_at);
        CREATE INDEX idx_executions_node_status ON executions(node_id, status);
        CREATE TABLE outpost_pruned_rows (
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            pruned_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
            PRIMARY KEY (table_name, record_id)
        );
        CREATE TRIGGER outpost_count_executions_insert AFTER INSERT ON executions
        BEGIN
            UPDATE workflows SET
                    execution_count = coalesce(execution_count, 0) + NOT EXISTS (
                        SELECT 1 FROM outpost_pruned_rows WHERE table_name = 'executions' AND record_id = NEW.id),
                    last_execution = \(latest("NEW"))
                WHERE id = NEW.workflow_id;
            DELETE FROM outpost_pruned_rows WHERE table_name = 'executions' AND record_id = NEW.id;
        END;
        CREATE TRIGGER outpost_count_executions_start AFTER UPDATE OF started_at ON executions
            WHEN NEW.workflow_id IS OLD.workflow_id AND NEW.started_at IS NOT OLD.started_at
        BEGIN
            UPDATE workflows SET last_execution = \(latest("NEW")) WHERE id = NEW.workflow_id;
        END;
        CREATE TRIGGER outpost_count_executions_move AFTER UPDATE OF workflow_id ON executions
            WHEN NEW.workflow_id IS NOT OLD.workflow_id
        BEGIN
            UPDATE workflows SET execution_count = max(0, coalesce(execution_count, 0) - 1) WHERE id = OLD.workflow_id;
            UPDATE workflows SET execution_count = coalesce(execution_count, 0) + 1, last_execution = \(latest("NEW"))
                WHERE id = NEW.workflow_id;
        END;
        CREATE TRIGGER outpost_count_executions_delete AFTER DELETE ON executions
            WHEN NOT EXISTS (SELECT 1 FROM outpost_pruned_rows WHERE table_name = 'executions' AND record_id = OLD.id)
        BEGIN
            UPDATE workflows SET execution_count = max(0, coalesce(execution_count, 0) - 1) WHERE id = OLD.workflow_id;
        END;
        UPDATE workflows SET
            execution_count = (SELECT count(*) FROM executions WHERE workflow_id = workflows.id),
            last_execution = (SELECT max(started_at) FROM executions WHERE workflow_id = workflows.id);
        """

    /// `files.last_used`: when the content was last read here (ms), for least-recently-used
    /// eviction; `files.pinned`: never evicted. Both stay on the node. A file's `content` may
    /// now also be `remote`: kept on the hub only (evicted, or not fetched by choice) and
    /// fetched when asked for.
    static let fileCache = """
        ALTER TABLE files ADD COLUMN last_used INTEGER;
        ALTER TABLE files ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
        """

    /// `agents.node_id`: the node that runs the agent's scheduled and triggered workflows
    /// (none: it runs nowhere); `status_reason`: why it is in its status (an `error` says which
    /// runs failed); `last_active`: when it last finished a run. All three sync.
    /// `outpost_runner_cursors`: per workflow with an insert trigger, the last rowid of its
    /// table it has looked at, so an insert made while `outpost run` was down still fires.
    static let runnerAgents = """
        ALTER TABLE agents ADD COLUMN node_id TEXT;
        ALTER TABLE agents ADD COLUMN status_reason TEXT;
        ALTER TABLE agents ADD COLUMN last_active DATETIME;
        DROP TRIGGER update_agents_timestamp;
        CREATE TRIGGER update_agents_timestamp
            AFTER UPDATE OF name, type, status, config, version, node_id, status_reason ON agents
            WHEN NEW.updated_at IS OLD.updated_at AND NOT EXISTS (SELECT 1 FROM outpost_applying)
        BEGIN
            UPDATE agents SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
        END;
        CREATE TABLE outpost_runner_cursors (
            workflow_id TEXT PRIMARY KEY,
            table_name TEXT NOT NULL,
            last_rowid INTEGER NOT NULL
        );
        """

    /// The later of a workflow's `last_execution` and `row`'s start, as SQL.
    private static func latest(_ row: String) -> String {
        "CASE WHEN \(row).started_at IS NOT NULL AND (last_execution IS NULL OR \(row).started_at > last_execution) "
            + "THEN \(row).started_at ELSE last_execution END"
    }

    /// A failed entry is local work a pull must not overwrite, so "is this row held?" (asked
    /// for every pulled row) finds failed entries through the same partial index.
    /// `outpost_tracked_tables.known_columns`: the table's synced columns when the engine last
    /// synced it (`NULL` until then), so a column added later is noticed and filled from the
    /// hub's values the node kept (see OutpostSync's `SchemaGrowth`).
    /// `outpost_tracked_tables.hub_fill_cursor`: while not `NULL`, the engine pulls the table's
    /// rows from the hub from the start (a table tracked late, or `outpost resync`), resumably.
    static let failedIsLocalWork = """
        ALTER TABLE outpost_tracked_tables ADD COLUMN known_columns TEXT;
        ALTER TABLE outpost_tracked_tables ADD COLUMN hub_fill_cursor INTEGER;
        DROP INDEX idx_sync_queue_held_row;
        CREATE INDEX idx_sync_queue_held_row ON sync_queue(table_name, record_id)
            WHERE status IN ('processing', 'conflict', 'failed');
        """

    /// The manual conflict queue's columns in `conflict_resolution` (the seed's columns keep their
    /// names and meaning):
    /// - `kind`: `sync` for a conflict the sync engine parked (`local_data`, `remote_data` and
    ///   `base_data` are whole rows), `version` for a failed `--expected-version` update
    ///   (`local_data` holds only the attempted changes). Every record older than v2 came from
    ///   such an update.
    /// - `local_hlc`, `remote_hlc`: each side's hybrid timestamp, as `1790000000000.3@edge-1`.
    /// - `fields`: a JSON array of the top-level fields whose local and remote values differ.
    /// - `suggestions`: a JSON array of the resolver's suggestions, with pros and cons.
    /// - `merged_data`: the rule-guided merge, what `--keep merged` writes.
    /// - `summary`: the resolver's one-sentence account.
    /// - `idx_conflict_pending_row`: the sync engine's "does this row wait for a person?" check.
    static let conflictQueue = """
        ALTER TABLE conflict_resolution ADD COLUMN kind TEXT NOT NULL DEFAULT 'sync';
        ALTER TABLE conflict_resolution ADD COLUMN local_hlc TEXT;
        ALTER TABLE conflict_resolution ADD COLUMN remote_hlc TEXT;
        ALTER TABLE conflict_resolution ADD COLUMN fields TEXT;
        ALTER TABLE conflict_resolution ADD COLUMN suggestions TEXT;
        ALTER TABLE conflict_resolution ADD COLUMN merged_data TEXT;
        ALTER TABLE conflict_resolution ADD COLUMN summary TEXT;
        UPDATE conflict_resolution SET kind = 'version';
        CREATE INDEX idx_conflict_pending_row ON conflict_resolution(table_name, record_id)
            WHERE status = 'pending';
        """

    /// `idx_sync_queue_pending_order`: the pending entries in the order a push sends them, so
    /// choosing a batch reads the batch's entries rather than reading and sorting the whole
    /// queue for every batch. Capture does not pay for it (triggers append to the capture log);
    /// the fold and a push's status changes do.
    static let pendingOrderIndex = """
        CREATE INDEX IF NOT EXISTS idx_sync_queue_pending_order ON sync_queue(priority DESC, hlc)
            WHERE status = 'pending';
        """

    /// `outpost_sent_batches`: the request body of each batch in flight, exactly as it went on
    /// the wire (gzip-compressed when over 1 KiB), so a batch whose answer was lost is sent
    /// again byte for byte. It replaces each entry's copy of its change in `sync_queue.data`:
    /// growing every entry by its change's text was the costliest part of marking a batch in
    /// flight, and the compressed body is far smaller than those texts (BENCHMARKS.md). Dropped
    /// once no entry of its batch is in flight. A batch sent by an earlier store still finds
    /// its changes in `sync_queue.data`.
    static let sentBatches = """
        CREATE TABLE outpost_sent_batches (
            batch_id TEXT PRIMARY KEY,
            body BLOB NOT NULL,
            encoding TEXT NOT NULL CHECK (encoding IN ('gzip', 'identity'))
        );
        """

    /// What the sync engine keeps (see docs/sync-protocol.md, "The node's engine"):
    /// - `sync_queue.batch_id`, `.batch_position`, `.base_version`: an entry being pushed
    ///   (`processing`) keeps its batch, its place in it and the hub version it was based on; the
    ///   change exactly as sent was kept in the seed's `data` column until migration v12 kept
    ///   the batch's body instead (``sentBatches``), so a batch whose answer was lost is sent
    ///   again unchanged (the hub answers a replay by position).
    /// - `idx_sync_queue_in_flight`: the batch in flight, found without scanning completed entries.
    /// - `idx_sync_queue_held_row`: "is this row being pushed or held?", asked for every pulled row.
    /// - `outpost_sync_rows`: the node's copy of the last hub state of every row it has synced:
    ///   version, columns (`NULL` for a tombstone), stamp and origin. It is the base of every
    ///   three-way merge and of "send only the changed fields". `seen_epoch` marks rows a full
    ///   re-sync saw.
    /// - `outpost_sync_state`: the pull cursor and the engine's counters.
    static let syncState = """
        ALTER TABLE sync_queue ADD COLUMN batch_id TEXT;
        ALTER TABLE sync_queue ADD COLUMN batch_position INTEGER;
        ALTER TABLE sync_queue ADD COLUMN base_version INTEGER;
        CREATE INDEX idx_sync_queue_held_row ON sync_queue(table_name, record_id)
            WHERE status IN ('processing', 'conflict');
        CREATE INDEX idx_sync_queue_in_flight ON sync_queue(batch_id, batch_position)
            WHERE status = 'processing';
        CREATE TABLE outpost_sync_rows (
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            data TEXT,
            hlc INTEGER NOT NULL DEFAULT 0,
            origin TEXT,
            seen_epoch INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (table_name, record_id)
        ) WITHOUT ROWID;
        CREATE TABLE outpost_sync_state (
            key TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        """

    /// The file store's index (docs/files.md): one row a file, synced like any row, so the
    /// seed's `get_pending_sync_files`, `mark_synced` and statistics are queries.
    /// - `name`: the file's relative path, its identity; `size`, `hash` (SHA-256 of the whole
    ///   content) and `modified` (ms since the epoch) as in the seed.
    /// - `chunks`: the file's chunk list, as a JSON array of the hashes of its *manifest* chunks,
    ///   which list its data chunks in order (a two-level list keeps an edit's row change small).
    /// - `priority`: 1…10, the priority its changes sync with; `trashed_at`: when `outpost files
    ///   rm` moved it to the trash (ms), else `NULL`.
    /// - Local to the node: `sync_status` (pending, synced), `compressed` and `encrypted` (how
    ///   its chunks are kept here) and `content` (`local`, or `missing` while chunks the hub has
    ///   are still to be fetched; a trigger marks rows the sync engine brings from the hub).
    /// - `outpost_chunks`: the chunks kept here: plain and stored sizes, flags, and whether the
    ///   hub is known to hold it (uploaded or downloaded), so pushes ask only about new ones.
    static let fileIndex = """
        CREATE TABLE files (
            name TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            hash TEXT NOT NULL,
            chunks TEXT NOT NULL DEFAULT '[]',
            modified INTEGER NOT NULL,
            priority INTEGER NOT NULL DEFAULT 5,
            trashed_at INTEGER,
            sync_status TEXT NOT NULL DEFAULT 'pending',
            compressed INTEGER NOT NULL DEFAULT 0,
            encrypted INTEGER NOT NULL DEFAULT 0,
            content TEXT NOT NULL DEFAULT 'local'
        );
        CREATE INDEX idx_files_missing ON files(priority) WHERE content = 'missing';
        CREATE TABLE outpost_chunks (
            hash TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            stored_size INTEGER NOT NULL,
            flags INTEGER NOT NULL,
            on_hub INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TRIGGER outpost_files_from_hub_insert AFTER INSERT ON files
            WHEN EXISTS (SELECT 1 FROM outpost_applying)
        BEGIN
            UPDATE files SET content = 'missing' WHERE name = NEW.name;
        END;
        CREATE TRIGGER outpost_files_from_hub_update AFTER UPDATE OF chunks ON files
            WHEN EXISTS (SELECT 1 FROM outpost_applying) AND OLD.chunks IS NOT NEW.chunks
        BEGIN
            UPDATE files SET content = 'missing' WHERE name = NEW.name;
        END;
        """

    /// The git workspace's index and log, after the seed's `WorkspaceManager` (see
    /// docs/workspace.md). Both are node-local: no capture triggers, never sent to the hub.
    /// - `workspace_items`: one row per definition file (`agents/ID.json`, `workflows/ID.json`,
    ///   `configs/NAME.json`); `id` is the path without `.json`. `content` is the file's text as
    ///   Outpost last wrote, read or committed it (`NULL` once the file is removed); `version`
    ///   counts its changes; `sync_status` is `pending` (changed since the last commit),
    ///   `committed` (not yet pushed) or `synced`; `conflict_id` names the pending
    ///   `conflict_resolution` record (kind `workspace`) while a merge leaves the file conflicted.
    /// - `workspace_sync_log`: every commit, fetch, merge and push, with its outcome.
    static let workspaceIndex = """
        CREATE TABLE workspace_items (
            id TEXT PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL CHECK (type IN ('agent', 'workflow', 'config')),
            content TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            modified_at DATETIME DEFAULT CURRENT_TIMESTAMP,
            modified_by TEXT,
            sync_status TEXT NOT NULL DEFAULT 'pending'
                CHECK (sync_status IN ('pending', 'committed', 'synced')),
            conflict_id INTEGER REFERENCES conflict_resolution(id)
        ) WITHOUT ROWID;
        CREATE INDEX idx_workspace_items_type ON workspace_items(type);
        CREATE INDEX idx_workspace_items_sync_status ON workspace_items(sync_status);
        CREATE TABLE workspace_sync_log (
            id INTEGER PRIMARY KEY,
            operation TEXT NOT NULL,
            item_id TEXT,
            commit_hash TEXT,
            status TEXT NOT NULL,
            error_message TEXT,
            created_at DATETIME DEFAULT CURRENT_TIMESTAMP
        );
        """

    private static let seedTables = """
        CREATE TABLE agents (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            status TEXT DEFAULT 'inactive',
            config TEXT,
            created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
            updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
            last_sync DATETIME,
            sync_status TEXT DEFAULT 'pending',
            version INTEGER DEFAULT 1
        );
        CREATE TABLE workflows (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            definition TEXT,
            status TEXT DEFAULT 'draft',
            agent_id TEXT,
            created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
            updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
            last_execution DATETIME,
            execution_count INTEGER DEFAULT 0,
            sync_status TEXT DEFAULT 'pending',
            version INTEGER DEFAULT 1,
            FOREIGN KEY (agent_id) REFERENCES agents(id)
        );
        CREATE TABLE executions (
            id TEXT PRIMARY KEY,
            workflow_id TEXT NOT NULL,
            status TEXT DEFAULT 'queued',
            input_data TEXT,
            output_data TEXT,
            error_message TEXT,
            started_at DATETIME,
            completed_at DATETIME,
            duration_ms INTEGER,
            resource_usage TEXT,
            sync_status TEXT DEFAULT 'pending',
            FOREIGN KEY (workflow_id) REFERENCES workflows(id)
        );
        CREATE TABLE sync_queue (
            id INTEGER PRIMARY KEY,
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            operation TEXT NOT NULL,
            data TEXT,
            priority INTEGER DEFAULT 5,
            attempts INTEGER DEFAULT 0,
            max_attempts INTEGER DEFAULT 5,
            created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
            last_attempt DATETIME,
            error_message TEXT,
            status TEXT DEFAULT 'pending',
            hlc INTEGER NOT NULL DEFAULT 0,
            change_id TEXT
        );
        CREATE TABLE conflict_resolution (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            local_version INTEGER,
            remote_version INTEGER,
            local_data TEXT,
            remote_data TEXT,
            resolution_strategy TEXT,
            resolved_data TEXT,
            resolved_at DATETIME,
            resolved_by TEXT,
            status TEXT DEFAULT 'pending',
            created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
            base_data TEXT
        );

        CREATE INDEX idx_agents_status ON agents(status);
        CREATE INDEX idx_agents_sync_status ON agents(sync_status);
        CREATE INDEX idx_workflows_agent_id ON workflows(agent_id);
        CREATE INDEX idx_executions_workflow_id ON executions(workflow_id);
        CREATE INDEX idx_executions_status ON executions(status);
        -- The seed also indexes sync_queue(status) and sync_queue(priority DESC). Outpost does not:
        -- each index is one more B-tree insert in every captured write (measured: +0.3x to +0.7x
        -- of a plain insert, see BENCHMARKS.md). The sync engine reads the pending entries
        -- through the coalescing index below and orders them itself.
        CREATE INDEX idx_conflict_status ON conflict_resolution(status);
        -- Coalescing: at most one pending entry per row; the capture trigger upserts into it.
        CREATE UNIQUE INDEX idx_sync_queue_pending_row ON sync_queue(table_name, record_id)
            WHERE status = 'pending';

        CREATE VIEW active_agents AS
        SELECT * FROM agents
        WHERE status IN ('active', 'running', 'processing')
        ORDER BY updated_at DESC;

        CREATE VIEW pending_sync AS
        SELECT table_name, record_id, operation, priority, created_at
        FROM sync_queue
        WHERE status = 'pending'
        ORDER BY priority DESC, created_at ASC;

        CREATE VIEW conflict_summary AS
        SELECT
            table_name,
            COUNT(*) AS conflict_count,
            MIN(created_at) AS oldest_conflict,
            MAX(created_at) AS newest_conflict
        FROM conflict_resolution
        WHERE status = 'pending'
        GROUP BY table_name;
        """

    private static let outpostTables = """
        CREATE TABLE outpost_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE outpost_clock (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            hlc INTEGER NOT NULL
        );
        INSERT INTO outpost_clock (id, hlc) VALUES (1, 0);
        CREATE TABLE outpost_tracked_tables (
            table_name TEXT PRIMARY KEY,
            priority INTEGER NOT NULL,
            key_columns TEXT NOT NULL,
            local_columns TEXT NOT NULL DEFAULT '[]',
            tracked_at DATETIME DEFAULT CURRENT_TIMESTAMP
        );
        CREATE TABLE outpost_applying (
            id INTEGER PRIMARY KEY CHECK (id = 1)
        );
        """

    /// The seed's `updated_at` triggers, made safe: they skip rows the sync engine applies from
    /// the hub (which carry the hub's timestamp), let an explicit `updated_at` through, and
    /// fire only on synced columns (so marking a row synced does not make it "updated").
    private static let timestampTriggers = """
        CREATE TRIGGER update_agents_timestamp
            AFTER UPDATE OF name, type, status, config, version ON agents
            WHEN NEW.updated_at IS OLD.updated_at AND NOT EXISTS (SELECT 1 FROM outpost_applying)
        BEGIN
            UPDATE agents SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
        END;
        CREATE TRIGGER update_workflows_timestamp
            AFTER UPDATE OF name, definition, status, agent_id, version ON workflows
            WHEN NEW.updated_at IS OLD.updated_at AND NOT EXISTS (SELECT 1 FROM outpost_applying)
        BEGIN
            UPDATE workflows SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
        END;
        """
}
