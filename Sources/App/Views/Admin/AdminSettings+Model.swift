import FluentKit
import Foundation
import PorticoCore

/// `GET|POST /admin/settings` (`manage_org`): the org's settings of SPEC §1 as one form,
/// and the return hosts its sign-ins and redirect entities asked for in the last 30
/// days and were refused, each with an "Allow" button.
enum AdminSettings {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        /// What the form shows: the stored settings, or what was typed on a refusal.
        var form: Form
        /// Field name (`Organizations.Field` raw value) → what is wrong with it.
        var errors: [String: String]
        /// An error that belongs to no single field.
        var formError: String?
        /// Hosts allowed through the org's ancestors (they hold here too).
        var inheritedHosts: [String]
        /// Latest first.
        var refused: [Refused]

        /// The form's fields as typed (numbers as text, so a refusal can show them again).
        struct Form: Sendable, Equatable {
            var anonymousUsers: Bool
            var ssoTokenTTL: String
            var ssoTokenSingleUse: Bool
            var ssoAPITokenTTL: String
            var landingURL: String
            var invalidTokenURL: String
            var expiredTokenURL: String
            var loginURL: String
            /// One host per line.
            var allowedReturnHosts: String
        }

        struct Refused: Sendable, Equatable {
            var host: String
            var count: Int
            var lastAt: Date
        }
    }
}

extension AdminSettings.Model.Form {
    /// The org's stored settings.
    init(org: Organization) {
        self.init(
            anonymousUsers: org.anonymousUsersEnabled, ssoTokenTTL: String(org.ssoTokenTTL), ssoTokenSingleUse: org.ssoTokenSingleUse,
            ssoAPITokenTTL: String(org.ssoAPITokenTTL), landingURL: org.landingURL ?? "", invalidTokenURL: org.invalidTokenURL ?? "",
            expiredTokenURL: org.expiredTokenURL ?? "", loginURL: org.loginURL ?? "",
            allowedReturnHosts: org.allowedReturnHosts.joined(separator: "\n")
        )
    }

    /// The form's hosts: one a line, blank lines left out.
    var hostLines: [String] {
        allowedReturnHosts.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The settings the form asks for, and the fields that are not even numbers.
    /// The rules themselves are the core's (`Organizations.settingsErrors`).
    func settings() -> (Organizations.Settings, errors: [String: String]) {
        var errors: [String: String] = [:]
        func seconds(_ text: String, _ field: Organizations.Field) -> Int? {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard trimmed.utf8.count <= 20, let value = Int(trimmed) else {
                errors[field.rawValue] = "must be a whole number of seconds"
                return nil
            }
            return value
        }
        let ttl = seconds(ssoTokenTTL, .ssoTokenTTL)
        let apiTTL = seconds(ssoAPITokenTTL, .ssoAPITokenTTL)
        // An empty URL field clears the URL.
        func url(_ text: String) -> String?? {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return .some(trimmed.isEmpty ? nil : trimmed)
        }
        let settings = Organizations.Settings(
            anonymousUsersEnabled: anonymousUsers, allowedReturnHosts: hostLines,
            landingURL: url(landingURL), invalidTokenURL: url(invalidTokenURL), expiredTokenURL: url(expiredTokenURL),
            loginURL: url(loginURL), ssoTokenTTL: ttl, ssoTokenSingleUse: ssoTokenSingleUse, ssoAPITokenTTL: apiTTL
        )
        for (field, message) in Organizations.settingsErrors(settings) where errors[field.rawValue] == nil {
            errors[field.rawValue] = message
        }
        return (settings, errors)
    }
}

extension AdminSettings.Model {
    /// The page for `org`: `form` (what was typed) or the stored settings, and the
    /// hosts refused in the last 30 days that are still not allowed.
    static func query(
        org: Organization, admin: Layout.Admin, form: Form? = nil, errors: [String: String] = [:], formError: String? = nil,
        now: Date, on db: any Database
    ) async throws -> Self {
        let orgID = try org.requireID()
        let lineage = try await Organizations.lineage(of: orgID, on: db)
        let allowed = lineage.flatMap(\.allowedReturnHosts)
        let refused = try await RefusedReturnHosts.recent(orgID: orgID, since: now.addingTimeInterval(-RefusedReturnHosts.window), on: db)
            .filter { !ReturnHosts.isAllowed(host: $0.host, entries: allowed) }
        return .init(
            admin: admin, form: form ?? Form(org: org), errors: errors, formError: formError,
            inheritedHosts: lineage.dropFirst().flatMap(\.allowedReturnHosts),
            refused: refused.map { .init(host: $0.host, count: $0.count, lastAt: $0.lastAt) }
        )
    }

    static let mock = Self(
        admin: .mock,
        form: .init(
            anonymousUsers: false, ssoTokenTTL: "172800", ssoTokenSingleUse: true, ssoAPITokenTTL: "300",
            landingURL: "https://lms.demo.example/", invalidTokenURL: "", expiredTokenURL: "",
            loginURL: "https://lms.demo.example/login", allowedReturnHosts: "lms.demo.example\n*.demo.example"
        ),
        errors: [:], formError: nil, inheritedHosts: ["root.example"],
        refused: [.init(host: "lms.demo-staging.example", count: 12, lastAt: Date(timeIntervalSince1970: 1_767_225_600))]
    )

    static let mockHostile = Self(
        admin: .mock,
        form: .init(
            anonymousUsers: true, ssoTokenTTL: "\"><script>ttl</script>", ssoTokenSingleUse: false, ssoAPITokenTTL: "9223372036854775808",
            landingURL: "javascript:alert('x')\"><b>", invalidTokenURL: "</textarea><script>i</script>", expiredTokenURL: "' onmouseover='x",
            loginURL: "\"><script>login</script>", allowedReturnHosts: "</textarea><script>alert('hosts')</script>"
        ),
        errors: ["sso_token_ttl": "<b>bad</b>", "allowed_return_hosts": "'</textarea><script>e</script>' is not valid"],
        formError: "<script>form</script>", inheritedHosts: ["<i>root</i>"],
        refused: [.init(host: "\"><script>host</script>", count: 1, lastAt: Date(timeIntervalSince1970: 0))]
    )
}
