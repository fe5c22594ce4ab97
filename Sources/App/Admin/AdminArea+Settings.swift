import Foundation
import PorticoCore
import Vapor

extension AdminArea {
    /// `GET /admin/settings` (`manage_org`): the org's settings and its refused return hosts.
    static func settings(req: Request) async throws -> Response {
        let context = try await req.requireAdmin(.manageOrg)
        return try await settingsPage(req: req, context: context)
    }

    /// `POST /admin/settings`: saves the whole form, or nothing (422 with each field's
    /// error beside it and what was typed kept). Audited as `org.update`.
    static func updateSettings(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageOrg)
        let form = AdminSettings.Model.Form(
            anonymousUsers: !settingsField(req, "anonymous_users").isEmpty,
            ssoTokenTTL: settingsField(req, "sso_token_ttl"),
            ssoTokenSingleUse: !settingsField(req, "sso_token_single_use").isEmpty,
            ssoAPITokenTTL: settingsField(req, "sso_api_token_ttl"),
            landingURL: settingsField(req, "landing_url"),
            invalidTokenURL: settingsField(req, "invalid_token_url"),
            expiredTokenURL: settingsField(req, "expired_token_url"),
            loginURL: settingsField(req, "login_url"),
            allowedReturnHosts: settingsField(req, "allowed_return_hosts")
        )
        var (settings, errors) = form.settings()
        let loginURLField = Organizations.Field.loginURL.rawValue
        if errors[loginURLField] == nil, let problem = try await Organizations.loginURLProblem(settings, for: context.org, on: req.portico.store.db) {
            errors[loginURLField] = problem
        }
        guard errors.isEmpty else {
            return try await settingsPage(req: req, context: context, form: form, errors: errors, status: .unprocessableEntity)
        }
        do {
            _ = try await Organizations.update(
                slug: context.org.slug, settings: settings, actor: context.actor, ip: context.ip, now: req.portico.clock.now(),
                store: req.portico.store
            )
        } catch let error as PorticoError {
            return try await settingsPage(req: req, context: context, form: form, formError: error.description, status: .unprocessableEntity)
        }
        return Layout.redirect(to: context.link(.adminSettings))
    }

    /// `POST /admin/settings/allow-host` (`host`): adds a refused host to the allowed
    /// return hosts and takes it off the refused list. Audited as `org.allow_return_host`.
    static func allowReturnHost(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageOrg)
        do {
            try await RefusedReturnHosts.allow(
                host: settingsField(req, "host"), orgSlug: context.org.slug, actor: context.actor, ip: context.ip,
                now: req.portico.clock.now(), store: req.portico.store
            )
        } catch let error as PorticoError {
            if case .notFound = error { throw AdminPageError.notFound("There is no such organization.") }
            throw AdminPageError.invalid(error.description)
        }
        return Layout.redirect(to: context.link(.adminSettings))
    }

    private static func settingsPage(
        req: Request, context: AdminContext, form: AdminSettings.Model.Form? = nil, errors: [String: String] = [:],
        formError: String? = nil, status: HTTPResponseStatus = .ok
    ) async throws -> Response {
        let model = try await AdminSettings.Model.query(
            org: context.org, admin: context.layout, form: form, errors: errors, formError: formError,
            now: req.portico.clock.now(), on: req.portico.store.db
        )
        return Layout.adminResponse(AdminSettings.view(model), status: status)
    }

    /// A text field of the posted form; absent, repeated or undecodable is empty.
    private static func settingsField(_ req: Request, _ name: String) -> String {
        (try? req.content.get(String.self, at: name)) ?? ""
    }
}
