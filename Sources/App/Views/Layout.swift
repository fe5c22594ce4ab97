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

    /// An admin page: the shell without a member, the admin navigation first in `<main>`.
    static func adminDocument(title: String, admin: Admin, body: HTML) -> HTML {
        document(title: title, member: nil, body: """
            <nav class="site-nav"><div class="wrap">
            <a href="\(SiteURL.admin.path)">Admin</a>
            <a href="\(SiteURL.adminKeys.path)">API keys</a>
            <a href="\(SiteURL.adminAudit.path)">Audit log</a>
            <form method="post" action="\(SiteURL.adminLogout.path)" class="inline">\(csrf(admin.csrfToken))<button class="link">Sign out</button></form>
            </div></nav>
            \(body)
            """)
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
    static func response(_ html: HTML, status: HTTPResponseStatus = .ok, frameAncestors: [String] = []) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.cacheControl = .init(noStore: true)
        headers.replaceOrAdd(name: "Content-Security-Policy", value: contentSecurityPolicy(frameAncestors: frameAncestors))
        return Response(status: status, headers: headers, body: .init(string: html.raw))
    }

    /// Scripts nowhere, styles from Portico only; framing as the page allows
    /// (`'none'` unless a member page lists its org's allowed hosts).
    static func contentSecurityPolicy(frameAncestors: [String]) -> String {
        let ancestors = frameAncestors.isEmpty ? "'none'" : frameAncestors.joined(separator: " ")
        return "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors \(ancestors)"
    }

    /// A small page with a heading and a message (sign-in failures, errors).
    static func message(_ model: Message.Model, status: HTTPResponseStatus) -> Response {
        response(Message.view(model), status: status)
    }

    static func message(title: String, text: String, status: HTTPResponseStatus) -> Response {
        message(.init(title: title, text: text), status: status)
    }

    /// A 303 to `location`. A location with a control character or whitespace is
    /// never sent (fail closed: a plain error page instead).
    static func redirect(to location: String) -> Response {
        guard !location.isEmpty, !SafeText.hasControlOrSpace(location) else {
            return message(.badRequest, status: .badRequest)
        }
        let response = Response(status: .seeOther)
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
    static let mock = Self(csrfToken: "fedcba9876543210fedcba9876543210")
}
