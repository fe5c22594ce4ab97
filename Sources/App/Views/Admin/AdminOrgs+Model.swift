import FluentKit
import Foundation
import PorticoCore

/// `GET|POST /admin/orgs` (`manage_org`): the organizations below the page's org (its
/// children, and theirs below them), each with a link that opens it in the admin
/// area, and a form that creates a child.
enum AdminOrgs {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        /// Depth first, children by name: each below its parent.
        var orgs: [Org]
        /// What the create form shows (what was typed, on a refusal).
        var form: Form
        /// Field name (`slug`, `name`) → what is wrong with it.
        var errors: [String: String]
        /// An error that belongs to no single field.
        var formError: String?

        struct Org: Sendable, Equatable {
            var slug: String
            var name: String
            var parentSlug: String
            /// 1 for a child of the page's org, 2 for a grandchild...
            var depth: Int
            var createdAt: Date
        }

        struct Form: Sendable, Equatable {
            var slug: String
            var name: String

            static let empty = Self(slug: "", name: "")
        }
    }
}

extension AdminOrgs.Model {
    static func query(
        org: Organization, admin: Layout.Admin, form: Form = .empty, errors: [String: String] = [:], formError: String? = nil,
        on db: any Database
    ) async throws -> Self {
        let subtree = try await Organizations.subtree(of: org, on: db)
        var children: [UUID: [Organization]] = [:]
        for child in subtree.dropFirst() { if let parent = child.parentID { children[parent, default: []].append(child) } }
        var rows: [Org] = []
        func walk(_ parent: Organization, depth: Int) {
            for child in children[parent.id!] ?? [] {
                rows.append(.init(slug: child.slug, name: child.name, parentSlug: parent.slug, depth: depth, createdAt: child.createdAt))
                walk(child, depth: depth + 1)
            }
        }
        walk(org, depth: 1)
        return .init(admin: admin, orgs: rows, form: form, errors: errors, formError: formError)
    }

    static let mock = Self(
        admin: .mock,
        orgs: [
            .init(slug: "demo-law", name: "School of Law", parentSlug: "demo", depth: 1, createdAt: Date(timeIntervalSince1970: 1_767_225_600)),
            .init(slug: "demo-law-clinic", name: "Legal Clinic", parentSlug: "demo-law", depth: 2, createdAt: Date(timeIntervalSince1970: 1_767_312_000)),
        ],
        form: .empty, errors: [:], formError: nil
    )

    static let mockHostile = Self(
        admin: .mock,
        orgs: [.init(slug: "x\"><script>", name: "<script>alert('org')</script>", parentSlug: "demo", depth: 1, createdAt: Date(timeIntervalSince1970: 0))],
        form: .init(slug: "\"><script>slug</script>", name: "'><img src=x onerror=alert(1)>"),
        errors: ["slug": "<b>slug</b>", "name": "<i>name</i>"], formError: "<script>form</script>"
    )
}
