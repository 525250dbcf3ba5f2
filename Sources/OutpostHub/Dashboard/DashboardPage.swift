import Foundation

/// The operator's dashboard as one server-rendered page: tenants with their chunk storage,
/// nodes with their lag, last contact, release and the failed and parked changes they report,
/// and the last hour's pushes and pulls as a chart (inline SVG, no script).
struct DashboardPage {
    var version: String
    var backend: String
    var now: Date
    var lease: Duration
    var tenants: [TenantInfo]
    var nodes: [NodeInfo]
    var chunkUsage: [ChunkUsage]
    var activity: [HubActivity.Minute]

    /// Seconds between the page's own reloads.
    static let refreshSeconds = 15

    var html: String {
        HTML.page(
            title: "Outpost hub",
            refreshSeconds: Self.refreshSeconds,
            body: """
                <header><h1>Outpost hub</h1><p>\(HTML.escape("version \(version) · \(backend) · \(Self.timestamp(now)) UTC"))</p>\
                <form method="post" action="/admin/logout"><button type="submit">Sign out</button></form></header>
                <main>\(activitySection)\(tenantSection)\(nodeSection)</main>
                """
        )
    }

    private var activitySection: String {
        let pushed = activity.reduce(0) { $0 + $1.pushed }
        let pulled = activity.reduce(0) { $0 + $1.pulled }
        let peak = max(1, activity.map { max($0.pushed, $0.pulled) }.max() ?? 1)
        let width = 600.0
        let height = 140.0
        let step = width / Double(max(1, activity.count - 1))
        func line(_ value: (HubActivity.Minute) -> Int) -> String {
            activity.enumerated().map { index, minute in
                let x = Double(index) * step
                let y = height - Double(value(minute)) / Double(peak) * (height - 10)
                return String(format: "%.1f,%.1f", x, y)
            }.joined(separator: " ")
        }
        return """
            <section id="activity"><h2>Last hour, per minute</h2>\
            <p><span style="color:#1d4ed8">■</span> <span id="pushed-total">\(pushed)</span> changes pushed · \
            <span style="color:#15803d">■</span> <span id="pulled-total">\(pulled)</span> rows pulled · \
            peak \(peak) a minute <span class="muted">(this hub process, since it started)</span></p>\
            <svg viewBox="0 0 \(Int(width)) \(Int(height) + 20)" role="img" aria-label="Changes pushed and rows pulled per minute">\
            <line x1="0" y1="\(Int(height))" x2="\(Int(width))" y2="\(Int(height))" stroke="#c7ccd3"/>\
            <polyline fill="none" stroke="#1d4ed8" stroke-width="2" points="\(line { $0.pushed })"/>\
            <polyline fill="none" stroke="#15803d" stroke-width="2" points="\(line { $0.pulled })"/>\
            <text x="0" y="\(Int(height) + 16)" font-size="11" fill="#6b7480">60 min ago</text>\
            <text x="\(Int(width))" y="\(Int(height) + 16)" font-size="11" fill="#6b7480" text-anchor="end">now</text>\
            </svg></section>
            """
    }

    private var tenantSection: String {
        let usage = Dictionary(uniqueKeysWithValues: chunkUsage.map { ($0.tenant, $0) })
        let rows = tenants.map { tenant in
            let live = nodes.filter { $0.tenant == tenant.name && $0.revokedAt == nil }.count
            let chunks = usage[tenant.name]
            return """
                <tr data-tenant="\(HTML.escape(tenant.name))"><td>\(HTML.escape(tenant.name))</td><td class="n">\(live)</td>\
                <td class="n">\(chunks?.chunks ?? 0)</td><td class="n">\(Self.bytes(chunks?.bytes ?? 0))</td>\
                <td>\(tenant.requiresClientCertificate ? "required" : "—")</td></tr>
                """
        }
        return """
            <section id="tenants"><h2>Tenants</h2><table><thead><tr><th>Tenant</th><th class="n">Nodes</th><th class="n">Chunks</th>\
            <th class="n">Chunk storage</th><th>Client certificates</th></tr></thead><tbody>\
            \(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">No tenant yet.</td></tr>" : rows.joined())\
            </tbody></table></section>
            """
    }

    private var nodeSection: String {
        let rows = nodes.map { node in
            let state: String
            if let revoked = node.revokedAt {
                state = "revoked \(revoked)"
            } else if node.isPastLease(lease, now: now) {
                state = "<span class=\"warn\">past lease</span>"
            } else {
                state = "ok"
            }
            func count(_ value: Int?) -> String {
                guard let value else { return "<span class=\"muted\">—</span>" }
                return value > 0 ? "<span class=\"warn\">\(value)</span>" : "0"
            }
            return """
                <tr data-node="\(HTML.escape(node.id))"><td>\(HTML.escape(node.tenant))</td><td>\(HTML.escape(node.name))</td>\
                <td class="muted">\(HTML.escape(String(node.id.prefix(13))))…</td><td class="n">\(node.lag)</td>\
                <td>\(HTML.escape(node.lastSeenAt ?? "never"))</td><td>\(HTML.escape(node.version ?? "—"))</td>\
                <td class="n">\(count(node.pending))</td><td class="n" data-failed>\(count(node.failed))</td>\
                <td class="n" data-parked>\(count(node.parked))</td><td>\(state)</td></tr>
                """
        }
        return """
            <section id="nodes"><h2>Nodes</h2><table><thead><tr><th>Tenant</th><th>Name</th><th>Id</th><th class="n">Lag</th>\
            <th>Last contact (UTC)</th><th>Version</th><th class="n">Queued</th><th class="n">Failed</th><th class="n">Parked</th><th>State</th>\
            </tr></thead><tbody>\
            \(rows.isEmpty ? "<tr><td colspan=\"10\" class=\"muted\">No node yet.</td></tr>" : rows.joined())\
            </tbody></table><p class="muted">Lag: changes the node has not confirmed. Queued, failed and parked: \
            what the node last reported (failed: changes the hub refused; parked: conflicts waiting for a person).</p>\
            </section>
            """
    }

    private static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    private static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\(String(format: "%.1f", value)) \(units[unit])"
    }
}
