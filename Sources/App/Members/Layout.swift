import Foundation
import PorticoCore
import Vapor

/// The member area's pages share one layout: a `<header>` and `<nav>` unless the session
/// is in no-chrome mode (`display=1`), one stylesheet, no scripts.
enum Layout {
    static func page(
        title: String, member: MemberContext?, status: HTTPResponseStatus = .ok, frameAncestors: [String] = [], body: HTML
    ) -> Response {
        let chrome = member.map { !$0.session.noChrome } ?? true
        let header: HTML = chrome ? """
            <header class="site-header"><div class="wrap"><a class="brand" href="\(SiteURL.dashboard.path)">Portico</a>\
            \(member.map { m -> HTML in "<span class=\"who\">\(m.displayName)</span>" } ?? .empty)</div></header>
            \(member != nil ? navigation : .empty)
            """ : .empty
        let html: HTML = """
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
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.cacheControl = .init(noStore: true)
        headers.replaceOrAdd(name: "Content-Security-Policy", value: contentSecurityPolicy(frameAncestors: frameAncestors))
        return Response(status: status, headers: headers, body: .init(string: html.raw))
    }

    static let navigation: HTML = """
        <nav class="site-nav"><div class="wrap">
        <a href="\(SiteURL.dashboard.path)">Dashboard</a>
        <a href="\(SiteURL.curriculum.path)">Curriculum</a>
        <a href="\(SiteURL.interviews.path)">Interviews</a>
        <form method="post" action="\(SiteURL.logout.path)" class="inline"><button class="link">Sign out</button></form>
        </div></nav>
        """

    /// Scripts nowhere, styles from Portico only; framing as the page allows
    /// (`'none'` unless a member page lists its org's allowed hosts).
    static func contentSecurityPolicy(frameAncestors: [String]) -> String {
        let ancestors = frameAncestors.isEmpty ? "'none'" : frameAncestors.joined(separator: " ")
        return "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors \(ancestors)"
    }

    /// A small page with a heading and a message (sign-in failures, errors).
    static func message(title: String, text: String, status: HTTPResponseStatus, member: MemberContext? = nil) -> Response {
        page(title: title, member: member, status: status, body: """
            <section class="card narrow"><h1>\(title)</h1><p>\(text)</p></section>
            """)
    }

    /// A 303 to `location`. A location with a control character or whitespace is
    /// never sent (fail closed: a plain error page instead).
    static func redirect(to location: String) -> Response {
        guard !location.isEmpty, !SafeText.hasControlOrSpace(location) else {
            return message(title: "That did not work", text: "The request could not be handled.", status: .badRequest)
        }
        let response = Response(status: .seeOther)
        response.headers.replaceOrAdd(name: .location, value: location)
        response.headers.cacheControl = .init(noStore: true)
        return response
    }

    /// A form's hidden CSRF field.
    static func csrf(_ member: MemberContext) -> HTML {
        "<input type=\"hidden\" name=\"csrf_token\" value=\"\(member.session.csrfToken)\">"
    }

    static func progressBar(percent: Int, label: String) -> HTML {
        "<progress max=\"100\" value=\"\(max(0, min(100, percent)))\" aria-label=\"\(label)\">\(percent)%</progress>"
    }
}

/// Headers every response gets; pages set their own `frame-ancestors`, everything
/// else may not be framed at all.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        if !response.headers.contains(name: "Referrer-Policy") {
            response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        }
        if !response.headers.contains(name: "Content-Security-Policy") {
            response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'")
        }
        return response
    }
}
