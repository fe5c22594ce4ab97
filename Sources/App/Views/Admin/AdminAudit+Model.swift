import FluentKit
import Foundation
import PorticoCore

/// `GET /admin/audit`: the organization's latest audit entries, newest first.
enum AdminAudit {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        var orgName: String
        var entries: [Entry]

        struct Entry: Sendable, Equatable {
            var at: Date
            var actor: String
            var action: String
            var target: String?
            var ip: String?
        }
    }
}

extension AdminAudit.Model {
    /// The latest 200 entries of `org`.
    static func query(org: Organization, admin: Layout.Admin, on db: any Database) async throws -> Self {
        let entries = try await Audit.recent(orgID: try org.requireID(), on: db)
        return .init(
            admin: admin, orgName: org.name,
            entries: entries.map { .init(at: $0.at, actor: $0.actor, action: $0.action, target: $0.target, ip: $0.ip) }
        )
    }

    static let mock = Self(admin: .mock, orgName: "Demo University", entries: [
        .init(at: Date(timeIntervalSince1970: 1_767_312_000), actor: "admin:admin@demo.example", action: "apikey.create", target: "a1b2c3d4", ip: nil),
        .init(at: Date(timeIntervalSince1970: 1_767_225_600), actor: "user:demo-student", action: "sso.login", target: "demo-student", ip: "127.0.0.1"),
    ])

    static let mockHostile = Self(admin: .mock, orgName: "<script>org</script>", entries: [
        .init(at: Date(timeIntervalSince1970: 0), actor: "user:<script>alert(1)</script>", action: "sso.login",
              target: "\"><script>", ip: "<b>"),
    ])
}
