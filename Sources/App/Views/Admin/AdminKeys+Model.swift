import FluentKit
import Foundation
import PorticoCore

/// `GET|POST /admin/keys`: the org's API keys (prefix, name, creator, last use) and,
/// right after creating one, the new key, this once.
enum AdminKeys {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        /// `manage_keys`: the create form and revoke buttons.
        var canManage: Bool
        /// Newest first.
        var keys: [Key]
        var created: Created?

        struct Key: Sendable, Equatable {
            var prefix: String
            var name: String
            var createdBy: String
            var createdAt: Date
            var lastUsedAt: Date?
            var revokedAt: Date?
        }

        /// A key just created: the only time its secret is shown.
        struct Created: Sendable, Equatable {
            var name: String
            var key: String
        }
    }
}

extension AdminKeys.Model {
    static func query(org: Organization, admin: Layout.Admin, canManage: Bool, created: Created?, on db: any Database) async throws -> Self {
        let keys = try await Credentials.apiKeys(org: org, on: db)
        return .init(
            admin: admin, canManage: canManage,
            keys: keys.reversed().map { key in
                .init(prefix: key.prefix, name: key.name, createdBy: key.createdBy, createdAt: key.createdAt,
                      lastUsedAt: key.lastUsedAt, revokedAt: key.revokedAt)
            },
            created: created
        )
    }

    static let mock = Self(
        admin: .mock, canManage: true,
        keys: [
            .init(prefix: "a1b2c3d4", name: "LMS production", createdBy: "admin:admin@demo.example",
                  createdAt: Date(timeIntervalSince1970: 1_767_225_600), lastUsedAt: Date(timeIntervalSince1970: 1_767_312_000), revokedAt: nil),
            .init(prefix: "e5f6a7b8", name: "old", createdBy: "demo",
                  createdAt: Date(timeIntervalSince1970: 1_764_547_200), lastUsedAt: nil, revokedAt: Date(timeIntervalSince1970: 1_767_225_600)),
        ],
        created: nil
    )

    static let mockCreated = Self(
        admin: .mock, canManage: true, keys: mock.keys, created: .init(name: "LMS production", key: "a1b2c3d4e5f60718293a4b5c6d7e8f90")
    )

    /// An admin without `manage_keys`: the list only.
    static let mockReadOnly = Self(admin: .mock, canManage: false, keys: mock.keys, created: nil)

    static let mockHostile = Self(
        admin: .mock, canManage: true,
        keys: [.init(prefix: "x\"><scr", name: "<script>alert('key')</script>", createdBy: "admin:\"<b>\"",
                     createdAt: Date(timeIntervalSince1970: 0), lastUsedAt: nil, revokedAt: nil)],
        created: .init(name: "<script>created</script>", key: "a1b2c3d4e5f60718293a4b5c6d7e8f90")
    )
}
