import Foundation
import PorticoCore
import Vapor

/// The page shell every page shares: a `<header>` and, for a signed-in member, the
/// member `<nav>` — both left out in no-chrome mode (`display=1`); one stylesheet,
/// no scripts. Views render into it; handlers turn the result into a `Response`.
enum Layout {
    /// The signed-in member as the shell and the forms of a member page need them.
    struct Member: Sendable, Equatable {
        var displayName: String
        var csrfToken: String
        /// The session's `display=1`: no header, no navigation.
        var noChrome: Bool
    }

    /// The signed-in admin as the admin chrome and the admin forms need them.
    struct Admin: Sendable, Equatable {
        var csrfToken: String
        var email: String
        /// The organization the page is about.
        var orgName: String
        var orgSlug: String
        /// `?org=` for links and form actions: nil on the admin's own org.
        var orgQuery: String?
        /// Every org the admin reaches, for the switcher (empty when there is only one).
        var orgs: [Org]

        struct Org: Sendable, Equatable {
            var slug: String
            var name: String
        }

        /// `url`'s path for this page's org (`?org=SLUG` unless it is the admin's own).
        func link(_ url: SiteURL, query: [(String, String)] = []) -> String {
            AdminLinks.link(url, org: orgQuery, query: query)
        }

        /// A form's hidden CSRF field.
        var csrf: HTML { Layout.csrf(csrfToken) }
    }

    // MARK: - Rendering

    /// A whole document: head, header and navigation (unless no-chrome), `body` in `<main>`.
    static func document(title: String, member: Member?, body: HTML) -> HTML {
        let chrome = member.map { !$0.noChrome } ?? true
        let header: HTML = chrome ? """
            <header class="site-header"><div class="wrap"><a class="brand" href="\(SiteURL.dashboard.path)">Portico</a>\
            \(member.map { m -> HTML in "<span class=\"who\">\(m.displayName)</span>" } ?? .empty)</div></header>
            \(member != nil ? navigation : .empty)
            """ : .empty
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Portico</title>
            <link rel="stylesheet" href="\(SiteURL.stylesheet.path)">
            </head><body class="\(chrome ? "" : "no-chrome")">
            \(header)
            <main class="wrap">
            \(body)
            </main>
            </body></html>
            """
    }

    /// The member navigation.
    static let navigation: HTML = """
        <nav class="site-nav"><div class="wrap">
        <a href="\(SiteURL.dashboard.path)">Dashboard</a>
        <a href="\(SiteURL.curriculum.path)">Curriculum</a>
        <a href="\(SiteURL.interviews.path)">Interviews</a>
        <form method="post" action="\(SiteURL.logout.path)" class="inline"><button class="link">Sign out</button></form>
        </div></nav>
        """

    /// The admin navigation: every page of SPEC §8, for the page's org.
    static let adminPages: [(String, SiteURL)] = [
        ("Overview", .admin), ("API keys", .adminKeys), ("Webhooks", .adminWebhooks), ("Apps", .adminApps),
        ("Users", .adminUsers), ("Settings", .adminSettings), ("Organizations", .adminOrgs), ("Admins", .adminAdmins),
        ("Audit log", .adminAudit), ("Account", .adminAccount),
    ]

    /// An admin page: the shell without a member, the admin navigation (and, for an admin
    /// of several orgs, a switcher that needs no script) first in `<main>`.
    static func adminDocument(title: String, admin: Admin, body: HTML) -> HTML {
        let links = adminPages.map { name, url -> HTML in "<a href=\"\(admin.link(url))\">\(name)</a>" }
        let switcher: HTML = admin.orgs.isEmpty ? .empty : """
            <form method="get" action="\(SiteURL.admin.path)" class="org-switch"><label class="inline">Organization \
            <select name="org">\(admin.orgs.map { org -> HTML in
                "<option value=\"\(org.slug)\"\(org.slug == admin.orgSlug ? " selected" : "")>\(org.name) (\(org.slug))</option>"
            })</select></label> <button class="small">Open</button></form>
            """
        return document(title: title, member: nil, body: """
            <nav class="site-nav admin-nav" aria-label="Admin"><div class="wrap">
            \(links)
            <form method="post" action="\(SiteURL.adminLogout.path)" class="inline">\(csrf(admin.csrfToken))<button class="link">Sign out</button></form>
            </div></nav>
            <p class="meta org-line">\(admin.orgName) <code>\(admin.orgSlug)</code> · signed in as \(admin.email)</p>
            \(switcher)
            \(body)
            """)
    }

    /// A time for people, with its RFC 3339 value in `title` and `datetime`.
    static func time(_ date: Date?, never: String = "never") -> HTML {
        guard let date else { return HTML(escaping: never) }
        let rfc = RFC3339.string(from: date)
        return "<time datetime=\"\(rfc)\" title=\"\(rfc)\">\(humanTime(date))</time>"
    }

    /// `2 Dec 2026, 15:46 UTC`.
    static func humanTime(_ date: Date) -> String {
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let month = months[max(0, min(11, (c.month ?? 1) - 1))]
        return "\(c.day ?? 1) \(month) \(c.year ?? 1970), " + String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0) + " UTC"
    }

    /// A labelled form field that keeps what was typed and says what is wrong beside it.
    static func field(
        _ label: String, name: String, value: String = "", error: String? = nil, type: String = "text",
        attributes: HTML = .empty, hint: String? = nil
    ) -> HTML {
        let id = "f-" + name
        let invalid: HTML = error == nil ? .empty : " aria-invalid=\"true\" aria-describedby=\"\(id)-error\""
        return """
            <div class="field\(error == nil ? "" : " has-error")"><label for="\(id)">\(label)</label>\
            <input id="\(id)" name="\(name)" type="\(type)" value="\(value)"\(invalid) \(attributes)>\
            \(hint.map { h -> HTML in "<small class=\"hint\">\(h)</small>" } ?? .empty)\
            \(error.map { e -> HTML in "<small class=\"error\" id=\"\(id)-error\">\(e)</small>" } ?? .empty)</div>
            """
    }

    /// A labelled multi-line field (one entry per line), like `field`.
    static func textArea(_ label: String, name: String, value: String = "", error: String? = nil, hint: String? = nil) -> HTML {
        let id = "f-" + name
        let invalid: HTML = error == nil ? .empty : " aria-invalid=\"true\" aria-describedby=\"\(id)-error\""
        return """
            <div class="field\(error == nil ? "" : " has-error")"><label for="\(id)">\(label)</label>\
            <textarea id="\(id)" name="\(name)" rows="3"\(invalid)>\(value)</textarea>\
            \(hint.map { h -> HTML in "<small class=\"hint\">\(h)</small>" } ?? .empty)\
            \(error.map { e -> HTML in "<small class=\"error\" id=\"\(id)-error\">\(e)</small>" } ?? .empty)</div>
            """
    }

    /// A secret shown once, with a copy button (the page's only script, from Portico's origin).
    static func secretOnce(title: String, values: [(label: String, value: String)]) -> HTML {
        let rows = values.map { label, value -> HTML in
            """
            <p><span class="meta">\(label)</span><br><code class="secret" data-copy>\(value)</code> \
            <button type="button" class="small copy" data-copy-button hidden>Copy</button></p>
            """
        }
        return """
            <section class="card notice" role="status"><h2>\(title)</h2>
            <p>Copy it now. It is shown only this once.</p>
            \(rows)</section>
            <script src="\(SiteURL.copyScript.path)"></script>
            """
    }

    /// A form's hidden CSRF field.
    static func csrf(_ token: String) -> HTML {
        "<input type=\"hidden\" name=\"csrf_token\" value=\"\(token)\">"
    }

    static func progressBar(percent: Int, label: String) -> HTML {
        "<progress max=\"100\" value=\"\(max(0, min(100, percent)))\" aria-label=\"\(label)\">\(percent)%</progress>"
    }

    // MARK: - Responses

    /// A rendered page as the response: HTML, never stored, with the pages' CSP
    /// (framing as the page allows).
    static func response(_ html: HTML, status: HTTPResponseStatus = .ok, frameAncestors: [String] = [], admin: Bool = false) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.cacheControl = .init(noStore: true)
        headers.replaceOrAdd(name: "Content-Security-Policy", value: contentSecurityPolicy(frameAncestors: frameAncestors, admin: admin))
        return Response(status: status, headers: headers, body: .init(string: html.raw))
    }

    /// An admin page as the response: never framed; the copy button's script file (from
    /// Portico's origin, no inline script) is the only script it may load.
    static func adminResponse(_ html: HTML, status: HTTPResponseStatus = .ok) -> Response {
        response(html, status: status, admin: true)
    }

    /// No scripts (admin pages: Portico's own files only), styles from Portico only;
    /// framing as the page allows (`'none'` unless a member page lists its org's hosts).
    /// Admin forms may post only to Portico (`form-action 'self'`); member forms may not
    /// be held to that, since sign-out redirects on to the partner's return URL, and
    /// `form-action` applies to a form's redirects too.
    static func contentSecurityPolicy(frameAncestors: [String], admin: Bool = false) -> String {
        let ancestors = frameAncestors.isEmpty ? "'none'" : frameAncestors.joined(separator: " ")
        let scripts = admin ? "script-src 'self'; form-action 'self'" : "script-src 'none'"
        return "default-src 'self'; img-src 'self' data:; style-src 'self'; \(scripts); object-src 'none'; base-uri 'none'; frame-ancestors \(ancestors)"
    }

    /// A small page with a heading and a message (sign-in failures, errors).
    static func message(_ model: Message.Model, status: HTTPResponseStatus) -> Response {
        response(Message.view(model), status: status)
    }

    static func message(title: String, text: String, status: HTTPResponseStatus) -> Response {
        message(.init(title: title, text: text), status: status)
    }

    /// The 429 page for a client address past its failure budget (`PORTICO_FAILURE_LIMIT`),
    /// with `Retry-After`.
    static func tooManyFailures(retryAfter seconds: Int) -> Response {
        let response = message(.tooManyFailures, status: .tooManyRequests)
        response.headers.replaceOrAdd(name: .retryAfter, value: String(seconds))
        return response
    }

    /// A 303 to `location`. A location with a control character or whitespace is
    /// never sent (fail closed: a plain error page instead).
    static func redirect(to location: String, status: HTTPResponseStatus = .seeOther) -> Response {
        guard !location.isEmpty, !SafeText.hasControlOrSpace(location) else {
            return message(.badRequest, status: .badRequest)
        }
        let response = Response(status: status)
        response.headers.replaceOrAdd(name: .location, value: location)
        response.headers.cacheControl = .init(noStore: true)
        return response
    }
}

extension Layout.Member {
    static let mock = Self(displayName: "Dana Demo", csrfToken: "0123456789abcdef0123456789abcdef", noChrome: false)
    /// A name a partner could send: markup, quotes and an ampersand.
    static let mockHostile = Self(
        displayName: "<script>alert(\"x\")</script> O'Neil & <b>", csrfToken: "0123456789abcdef0123456789abcdef", noChrome: false
    )
    /// The same member in no-chrome mode (`display=1`).
    static let mockNoChrome = Self(displayName: "Dana Demo", csrfToken: "0123456789abcdef0123456789abcdef", noChrome: true)
}

extension Layout.Admin {
    static let mock = Self(
        csrfToken: "fedcba9876543210fedcba9876543210", email: "admin@demo.example", orgName: "Demo University", orgSlug: "demo",
        orgQuery: nil, orgs: []
    )
}

extension Calendar {
    /// The Gregorian calendar in UTC, for rendering stored times.
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
