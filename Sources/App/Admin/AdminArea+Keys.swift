import Foundation
import PorticoCore
import Vapor

extension AdminArea {
    /// `GET /admin/keys`: every admin of the org sees the list (prefix, name, creator,
    /// last use); creating and revoking take `manage_keys`.
    static func keys(req: Request) async throws -> Response {
        let context = try await req.requireAdmin()
        return try await keysPage(req: req, context: context, created: nil)
    }

    /// `POST /admin/keys`: creates a key and shows it, this once.
    static func createKey(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageKeys)
        let name = (try? req.content.get(String.self, at: "name")) ?? ""
        let created: (key: String, record: APIKey)
        do {
            created = try await Credentials.createAPIKey(
                org: context.org, name: name, createdBy: context.actor, ip: context.ip, now: req.portico.clock.now(), store: req.portico.store
            )
        } catch let error as PorticoError {
            throw AdminPageError.invalid(error.description)
        }
        return try await keysPage(req: req, context: context, created: .init(name: created.record.name, key: created.key))
    }

    /// `POST /admin/keys/:prefix/revoke`.
    static func revokeKey(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageKeys)
        let prefix = req.parameters.get(SiteURL.Key.keyPrefix) ?? ""
        do {
            _ = try await Credentials.revokeAPIKey(
                org: context.org, prefix: prefix, actor: context.actor, ip: context.ip, now: req.portico.clock.now(), store: req.portico.store
            )
        } catch let error as PorticoError {
            if case .notFound = error { throw AdminPageError.notFound("There is no active API key with that prefix.") }
            throw AdminPageError.invalid(error.description)
        }
        return Layout.redirect(to: context.link(.adminKeys))
    }

    private static func keysPage(req: Request, context: AdminContext, created: AdminKeys.Model.Created?) async throws -> Response {
        let model = try await AdminKeys.Model.query(
            org: context.org, admin: context.layout, canManage: context.can(.manageKeys), created: created, on: req.portico.store.db
        )
        return Layout.adminResponse(AdminKeys.view(model))
    }
}
