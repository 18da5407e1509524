import BookijiCore
import Coordinator
import FastCGI

/// The vendor confirmation page and its status pages, all in one look: plain HTML and one
/// stylesheet inline (no JavaScript, no outside requests), readable on a phone (one column,
/// large buttons, the viewport set), and written for screen readers (a language, landmarks,
/// headings, a description list, buttons and forms that say what they do, status messages
/// announced). Every text that comes from data is escaped.
enum VendorPageHTML {
    /// A page: its HTTP status and body.
    struct Page {
        var status: Int
        var title: String
        var body: String
    }

    // MARK: The pages

    static func open(_ request: ConfirmationRequest, link: String, csrf: String) -> Page {
        let deadline = request.deadlineText.map { " Please answer before \(escape($0))." } ?? ""
        let form = { (decision: String, label: String, style: String, hint: String) in
            """
            <form method="post" action="/v/r/\(escape(link))" aria-label="\(escape(label))">
              <input type="hidden" name="csrf" value="\(escape(csrf))">
              <input type="hidden" name="decision" value="\(decision)">
              <button type="submit" id="\(decision)" class="\(style)" aria-describedby="\(decision)-hint">\(escape(label))</button>
              <p class="hint" id="\(decision)-hint">\(hint)</p>
            </form>
            """
        }
        let deposit = request.depositText.map { "after confirming you authorize your deposit of \(escape($0))" }
            ?? "after confirming you authorize your deposit"
        return Page(status: 200, title: "Booking request", body: """
            <h1>Booking request</h1>
            <p class="lead">\(escape(request.partnerName)) asks to book you, \(escape(request.vendorName)).\(deadline)</p>
            \(details(request))
            <div class="actions">
            \(form("confirm", "Confirm booking", "primary", deposit))
            \(form("decline", "Decline", "secondary", "the time becomes free again"))
            </div>
            """)
    }

    static func confirmed(_ request: ConfirmationRequest) -> Page {
        status(200, "Booking confirmed", icon: "✓", tone: "good", message: """
            Thank you: you confirmed this booking. The next step is the authorization of your deposit\
            \(request.depositText.map { " (\(escape($0)))" } ?? ""); you will be asked for it separately.
            """, request: request)
    }

    static func declined(_ request: ConfirmationRequest) -> Page {
        status(200, "Booking declined", icon: "✓", tone: "neutral", message:
            "You declined this booking. The requester will be told, and the time is free again.", request: request)
    }

    static func slotGone(_ request: ConfirmationRequest) -> Page {
        status(409, "The time is no longer free", icon: "!", tone: "bad", message: """
            This time is no longer free in your calendar, so the booking could not be confirmed and the request \
            was cancelled. Nothing else is needed from you.
            """, request: request)
    }

    static func answered(_ request: ConfirmationRequest, confirmed: Bool, at: String) -> Page {
        let when = LocalWording.deadline((try? RFC3339.parse(at)) ?? 0, zone: request.vendorTimeZone)
        return status(409, "Already answered", icon: "i", tone: "neutral", message: """
            This request was already answered: it was \(confirmed ? "confirmed" : "declined") at \(escape(when)). \
            A link can be answered once.
            """, request: request)
    }

    static func expired(_ request: ConfirmationRequest?) -> Page {
        status(410, "This link has expired", icon: "!", tone: "bad", message: """
            The time to answer this request has passed, so it can no longer be confirmed or declined. The \
            requester has been told; nothing else is needed from you.
            """, request: request)
    }

    static func withdrawn(_ request: ConfirmationRequest, reason: String) -> Page {
        status(410, "This request is no longer open", icon: "i", tone: "neutral", message: """
            This request can no longer be answered: \(escape(reason)). Nothing else is needed from you.
            """, request: request)
    }

    static func invalid() -> Page {
        status(404, "This link is not valid", icon: "!", tone: "bad", message: """
            This link is incomplete or was changed. Open it again from the message you received, \
            copying the whole address.
            """, request: nil)
    }

    static func formExpired(link: String) -> Page {
        status(403, "Please try again", icon: "!", tone: "bad", message: """
            Your answer could not be accepted because this page's security check failed (the page may be old, \
            or your browser did not keep its cookie). <a href="/v/r/\(escape(link))">Open the request again</a> \
            and answer from there.
            """, request: nil)
    }

    static func notFound() -> Page {
        status(404, "Page not found", icon: "!", tone: "bad", message:
            "There is no page at this address. Open the link from the message you received.", request: nil)
    }

    static func methodNotAllowed() -> Page {
        status(405, "Not possible here", icon: "!", tone: "bad", message:
            "This page can only be opened or answered with its buttons.", request: nil)
    }

    static func unavailable() -> Page {
        status(503, "Please try again shortly", icon: "!", tone: "bad", message: """
            Something went wrong on our side and your request was not completed. Please try again in a minute.
            """, request: nil)
    }

    static func notConfigured() -> Page {
        status(503, "Vendor pages are not available", icon: "!", tone: "bad", message: """
            This server cannot show confirmation pages yet. Please answer through the Bookiji vendor API, or \
            contact the operator.
            """, request: nil)
    }

    // MARK: Pieces

    private static func status(
        _ code: Int, _ title: String, icon: String, tone: String, message: String, request: ConfirmationRequest?
    ) -> Page {
        Page(status: code, title: title, body: """
            <div class="status \(tone)" role="\(code >= 400 ? "alert" : "status")">
              <span class="icon" aria-hidden="true">\(icon)</span>
              <h1>\(escape(title))</h1>
            </div>
            <p class="lead">\(message)</p>
            \(request.map(details) ?? "")
            """)
    }

    private static func details(_ request: ConfirmationRequest) -> String {
        var rows = [
            ("When", escape(request.slotText)),
            ("Requester", escape(request.reservation.requesterID)),
            ("Booked through", escape(request.partnerName)),
        ]
        if let price = request.priceText { rows.append(("Price", escape(price))) }
        if let deposit = request.depositText { rows.append(("Your deposit", escape(deposit))) }
        rows.append(("Reference", "<span class=\"ref\">\(escape(request.reservation.id))</span>"))
        return "<dl class=\"details\">\n" + rows.map { "  <div><dt>\($0.0)</dt><dd>\($0.1)</dd></div>" }.joined(separator: "\n")
            + "\n</dl>"
    }

    /// The whole document around a page's body.
    static func document(_ page: Page) -> [UInt8] {
        Array("""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex, nofollow">
            <meta name="referrer" content="no-referrer">
            <title>\(escape(page.title)) · Bookiji</title>
            <style>\(stylesheet)</style>
            </head>
            <body>
            <header class="brand"><span>Bookiji</span></header>
            <main>
            \(page.body)
            </main>
            <footer><p>Sent by Bookiji on behalf of the partner that made the request.</p></footer>
            </body>
            </html>

            """.utf8)
    }

    /// Text safe inside HTML elements and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let stylesheet = """
        :root{color-scheme:light;--ink:#1d2430;--muted:#4a5566;--line:#d5dbe3;--brand:#0b5cad;--good:#1b7a3d;--bad:#a4262c}\
        *{box-sizing:border-box}\
        body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#f4f6f9}\
        .brand{background:var(--brand);color:#fff;padding:.75rem 1.25rem;font-weight:700;letter-spacing:.02em}\
        main{max-width:40rem;margin:1.5rem auto;padding:1.5rem;background:#fff;border:1px solid var(--line);border-radius:12px}\
        h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem}\
        .lead{font-size:1.05rem;margin:.25rem 0 1.25rem}\
        .details{margin:0 0 1.5rem;border-top:1px solid var(--line)}\
        .details div{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:.6rem 0;border-bottom:1px solid var(--line)}\
        .details dt{flex:0 0 10rem;font-weight:600;color:var(--muted)}\
        .details dd{flex:1 1 14rem;margin:0}\
        .ref{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem;word-break:break-all}\
        .actions{display:flex;flex-wrap:wrap;gap:1rem}\
        .actions form{flex:1 1 14rem;margin:0}\
        button{width:100%;min-height:3rem;font:inherit;font-weight:700;border-radius:8px;padding:.75rem 1rem;cursor:pointer}\
        button:focus-visible,a:focus-visible{outline:3px solid #f2a900;outline-offset:2px}\
        .primary{background:var(--good);color:#fff;border:2px solid var(--good)}\
        .secondary{background:#fff;color:var(--bad);border:2px solid var(--bad)}\
        .hint{margin:.4rem 0 0;font-size:.9rem;color:var(--muted)}\
        .status{display:flex;align-items:center;gap:.75rem;margin-bottom:.5rem}\
        .status h1{margin:0}\
        .icon{flex:0 0 2.25rem;height:2.25rem;border-radius:50%;display:flex;align-items:center;justify-content:center;color:#fff;font-weight:700}\
        .good .icon{background:var(--good)}.bad .icon{background:var(--bad)}.neutral .icon{background:var(--brand)}\
        a{color:var(--brand)}\
        footer{max-width:40rem;margin:0 auto 2rem;padding:0 1.5rem;color:var(--muted);font-size:.85rem}\
        @media (max-width:30rem){main{margin:0;border-radius:0;border-left:0;border-right:0;padding:1.25rem}.details dt{flex-basis:100%}}
        """

    /// `Content-Security-Policy`: nothing loads, only this stylesheet applies (by its hash), forms
    /// post only here, and no site may frame the page.
    static let contentSecurityPolicy: String = {
        let hash = SHA256.hash(Array(stylesheet.utf8)).bytes
        return "default-src 'none'; style-src 'sha256-\(Base64.encode(hash))'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'"
    }()
}
