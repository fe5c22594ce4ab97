import Foundation
import PorticoCore
import Vapor

/// A signed-in member: their session and who they are.
struct MemberContext: Sendable {
    var session: SignIn.SessionRecord
    var user: UserRecord

    var displayName: String {
        let name = [user.firstName, user.lastName].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        return name.isEmpty ? user.partnerID : name
    }

    /// The member as the page shell and forms need them.
    var layout: Layout.Member {
        .init(displayName: displayName, csrfToken: session.csrfToken, noChrome: session.noChrome)
    }
}

/// The member cookie (SPEC §1): `portico_session`, HttpOnly, `Secure` exactly when the
/// public URL is https, SameSite=Lax — or, for a no-chrome (`display=1`) session over
/// https, SameSite=None; Secure; Partitioned, so embedded pages keep their session.
enum MemberCookie {
    static let name = "portico_session"

    static func set(secret: String, display: Int, expiresAt: Date, now: Date, https: Bool) -> String {
        var parts = ["\(name)=\(secret)", "Path=/", "Max-Age=\(max(0, Int(expiresAt.timeIntervalSince(now))))", "HttpOnly"]
        if https && display == 1 {
            parts += ["Secure", "SameSite=None", "Partitioned"]
        } else {
            if https { parts.append("Secure") }
            parts.append("SameSite=Lax")
        }
        return parts.joined(separator: "; ")
    }

    static func clear(https: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly" + (https ? "; Secure" : "") + "; SameSite=Lax"
    }

    static func hash(in request: Request) -> String? { request.sessionHash(cookie: name) }
}

extension Request {
    /// The SHA-256 of a session cookie's secret (member or admin), as sessions are
    /// stored; nil when the cookie is missing or not a session secret's shape.
    func sessionHash(cookie name: String) -> String? {
        guard let value = cookies[name]?.string, Secrets.isHex64(value) else { return nil }
        return Secrets.sha256Hex(value)
    }

    /// The signed-in member, if the cookie names a live session of a live user.
    func member() async throws -> MemberContext? {
        guard let hash = MemberCookie.hash(in: self) else { return nil }
        let portico = self.portico
        let now = portico.clock.now()
        guard let session = try await SignIn.session(hash: hash, now: now, store: portico.store),
              let user = try await Users.record(id: session.userID, on: portico.store.sql), user.isLive(at: now)
        else { return nil }
        logger[metadataKey: "user"] = .string(user.id.uuidString.lowercased())
        return MemberContext(session: session, user: user)
    }

    /// The signed-in member, or a 401 page asking them to sign in through their organization.
    func requireMember() async throws -> MemberContext {
        guard let member = try await member() else { throw PageError.signInRequired }
        return member
    }

    /// The member, having checked the form's `csrf_token` against their session.
    func requireMemberForm() async throws -> MemberContext {
        let member = try await requireMember()
        guard formCSRFMatches(member.session.csrfToken) else { throw PageError.badCSRF }
        return member
    }

    /// Whether the form's hidden `csrf_token` is `expected` (a session's), compared in
    /// constant time: the one CSRF check of member and admin forms.
    func formCSRFMatches(_ expected: String) -> Bool {
        let given = (try? content.get(String.self, at: "csrf_token")) ?? ""
        return Secrets.constantTimeEquals(given, expected)
    }

    /// Hosts that may frame this member's pages: Portico itself and the allowed return
    /// hosts of the member's org and its ancestors.
    func frameAncestors(for member: MemberContext) async throws -> [String] {
        let hosts = Set(try await Organizations.allowedReturnHosts(of: member.session.orgID, on: portico.store.db)).sorted()
        return ["'self'"] + hosts.map { "https://\($0)" } + (portico.config.publicURLIsHTTPS ? [] : hosts.map { "http://\($0)" })
    }

    /// A rendered member page as the response, framable by the member's org's hosts.
    func memberPage(_ html: HTML, for member: MemberContext) async throws -> Response {
        Layout.response(html, frameAncestors: try await frameAncestors(for: member))
    }
}

/// Failures of the member area, shown as pages.
enum PageError: Error {
    case signInRequired
    case badCSRF
    case notFound
    case invalid(String)

    var status: HTTPResponseStatus {
        switch self {
        case .signInRequired: .unauthorized
        case .badCSRF: .forbidden
        case .notFound: .notFound
        case .invalid: .unprocessableEntity
        }
    }

    var title: String {
        switch self {
        case .signInRequired: "Please sign in"
        case .badCSRF: "This form has expired"
        case .notFound: "Not found"
        case .invalid: "That did not work"
        }
    }

    var message: String {
        switch self {
        case .signInRequired: "Your session has ended. Sign in again from your organization's site."
        case .badCSRF: "Go back, reload the page and try again."
        case .notFound: "There is nothing here."
        case .invalid(let why): why
        }
    }
}
