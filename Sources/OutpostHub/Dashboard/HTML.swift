/// Text made safe to put in an HTML page, between tags or in a quoted attribute.
enum HTML {
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Headers every dashboard answer carries: no scripts may run, nothing is cached, and no
    /// other site may frame the page.
    static let securityHeaders: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
    ]

    /// The page around `body`: one stylesheet inline, no script.
    static func page(title: String, refreshSeconds: Int? = nil, body: String) -> String {
        let refresh = refreshSeconds.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\
            \(refresh)<title>\(escape(title))</title><style>\(style)</style></head>
            <body>\(body)</body></html>
            """
    }

    private static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}\
        header{display:flex;align-items:center;gap:16px;padding:12px 24px;background:#1f2a37;color:#fff}\
        header h1{font-size:18px;margin:0}header p{margin:0;opacity:.8}header form{margin-left:auto}\
        main{padding:16px 24px;display:grid;gap:16px}section{background:#fff;border:1px solid #dde1e6;\
        border-radius:6px;padding:12px 16px}h2{font-size:15px;margin:0 0 8px}\
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;\
        white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.warn{color:#b42318;font-weight:600}\
        .muted{color:#6b7480}svg{width:100%;height:160px}form.login{max-width:360px;margin:64px auto;background:#fff;\
        padding:24px;border:1px solid #dde1e6;border-radius:6px;display:grid;gap:8px}.error{color:#b42318}
        """
}
