import Foundation
import PorticoCore
import Vapor

extension AdminArea {
    /// `GET /admin/orgs` (`manage_org`): the page's org's descendants, each to open.
    static func orgs(req: Request) async throws -> Response {
        let context = try await req.requireAdmin(.manageOrg)
        return try await orgsPage(req: req, context: context)
    }

    /// `POST /admin/orgs` (`slug`, `name`): creates a child of the page's org, audited as
    /// `org.create`; a refusal shows the form again with the error beside its field
    /// (422; a slug already taken: 409), and nothing is created.
    static func createOrg(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageOrg)
        let form = AdminOrgs.Model.Form(slug: orgsField(req, "slug"), name: orgsField(req, "name"))
        let problems = Organizations.createErrors(slug: form.slug, name: form.name)
        guard problems.isEmpty else {
            let errors = Dictionary(uniqueKeysWithValues: problems.map { ($0.key.rawValue, $0.value) })
            return try await orgsPage(req: req, context: context, form: form, errors: errors, status: .unprocessableEntity)
        }
        let portico = req.portico
        do {
            _ = try await Organizations.create(
                slug: form.slug, name: form.name, parentSlug: context.org.slug, settings: .init(), actor: context.actor, ip: context.ip,
                now: portico.clock.now(), store: portico.store
            )
        } catch let error as PorticoError {
            if case .conflict(let message) = error {
                return try await orgsPage(req: req, context: context, form: form, errors: ["slug": message], status: .conflict)
            }
            return try await orgsPage(req: req, context: context, form: form, formError: error.description, status: .unprocessableEntity)
        } catch {
            // Two creates of one slug at once: the unique index refuses the second.
            guard try await Organizations.find(slug: form.slug, on: portico.store.db) != nil else { throw error }
            return try await orgsPage(
                req: req, context: context, form: form, errors: ["slug": "an organization with slug '\(form.slug)' already exists"],
                status: .conflict
            )
        }
        return Layout.redirect(to: context.link(.adminOrgs))
    }

    private static func orgsPage(
        req: Request, context: AdminContext, form: AdminOrgs.Model.Form = .empty, errors: [String: String] = [:],
        formError: String? = nil, status: HTTPResponseStatus = .ok
    ) async throws -> Response {
        let model = try await AdminOrgs.Model.query(
            org: context.org, admin: context.layout, form: form, errors: errors, formError: formError, on: req.portico.store.db
        )
        return Layout.adminResponse(AdminOrgs.view(model), status: status)
    }

    /// A text field of the posted form; absent, repeated or undecodable is empty.
    private static func orgsField(_ req: Request, _ name: String) -> String {
        (try? req.content.get(String.self, at: name)) ?? ""
    }
}
