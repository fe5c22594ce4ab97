import Foundation
import PorticoCore
import Vapor

/// Partner apps (SPEC §6, §8): `manage_org` for every page and action.
extension AdminArea {
    /// `GET /admin/apps`: the org's apps and the create form.
    static func apps(req: Request) async throws -> Response {
        let context = try await req.requireAdmin(.manageOrg)
        return try await appsPage(req: req, context: context, form: .empty, created: nil, status: .ok)
    }

    /// `POST /admin/apps`: creates an app (the rules of `portico app create`) and shows
    /// its key `k`, this once; a refused form comes back with 422 and the field errors.
    static func createApp(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageOrg)
        var form = AdminApps.Model.Form(
            slug: appFormField(req, "slug"), name: appFormField(req, "name"), launchURL: appFormField(req, "launch_url"),
            redirectURIs: appFormField(req, "redirect_uris"), postLogoutRedirectURIs: appFormField(req, "post_logout_redirect_uris"),
            isPublic: appFormField(req, "public") == "1"
        )
        let registration = PartnerApps.Registration(
            slug: form.slug, name: form.name, launchURL: form.launchURL.isEmpty ? nil : form.launchURL,
            redirectURIs: PartnerApps.lines(form.redirectURIs), postLogoutRedirectURIs: PartnerApps.lines(form.postLogoutRedirectURIs),
            isPublic: form.isPublic
        )
        for problem in PartnerApps.problems(slug: registration.slug, name: registration.name, launchURL: registration.launchURL) {
            form.errors[problem.field] = problem.message
        }
        if let problem = PartnerApps.clientProblem(
            launchURL: registration.launchURL, redirectURIs: registration.redirectURIs,
            postLogoutRedirectURIs: registration.postLogoutRedirectURIs, isPublic: registration.isPublic
        ) {
            form.errors[.redirectURIs] = problem
        }
        guard form.errors.isEmpty else { return try await appsPage(req: req, context: context, form: form, created: nil, status: .unprocessableEntity) }
        let created: PartnerApps.Registered
        do {
            created = try await PartnerApps.register(
                org: context.org, registration, actor: context.actor, ip: context.ip, now: req.portico.clock.now(), store: req.portico.store
            )
        } catch PorticoError.conflict(let message) {
            form.errors[.slug] = message
            return try await appsPage(req: req, context: context, form: form, created: nil, status: .unprocessableEntity)
        } catch let error as PorticoError {
            throw AdminPageError.invalid(error.description)
        }
        return try await appsPage(
            req: req, context: context, form: .empty,
            created: .init(
                slug: created.app.slug, name: created.app.name, key: created.key, clientID: created.app.clientID ?? "",
                clientSecret: created.clientSecret
            ),
            status: .ok
        )
    }

    /// `GET /admin/apps/{slug}`.
    static func app(req: Request) async throws -> Response {
        let context = try await req.requireAdmin(.manageOrg)
        let app = try await adminPartnerApp(req: req, context: context)
        return Layout.adminResponse(AdminApp.view(.make(app: app, admin: context.layout)))
    }

    /// `POST /admin/apps/{slug}`: name and launch URL (the name alone for an app without one).
    static func updateApp(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageOrg)
        let app = try await adminPartnerApp(req: req, context: context)
        var form = AdminApp.Model.LaunchForm(name: appFormField(req, "name"), launchURL: appFormField(req, "launch_url"))
        let launchURL: String? = app.launchURLIfAny == nil && form.launchURL.isEmpty ? nil : form.launchURL
        for problem in PartnerApps.problems(slug: nil, name: form.name, launchURL: launchURL) {
            form.errors[problem.field] = problem.message
        }
        guard form.errors.isEmpty else {
            return Layout.adminResponse(AdminApp.view(.make(app: app, admin: context.layout, launch: form)), status: .unprocessableEntity)
        }
        do {
            _ = try await PartnerApps.update(
                org: context.org, slug: app.slug, name: form.name, launchURL: launchURL,
                actor: context.actor, ip: context.ip, now: req.portico.clock.now(), store: req.portico.store
            )
        } catch PorticoError.notFound {
            throw AdminPageError.notFound("There is no app '\(app.slug)' here.")
        } catch let error as PorticoError {
            throw AdminPageError.invalid(error.description)
        }
        return Layout.redirect(to: context.link(.adminApp(.value(app.slug))))
    }

    /// `POST /admin/apps/{slug}/{enable|disable|rotate-key|rotate-secret}`.
    static func appAction(req: Request, action: SiteURL.AdminAppAction) async throws -> Response {
        let context = try await req.requireAdminForm(.manageOrg)
        let app = try await adminPartnerApp(req: req, context: context)
        let portico = req.portico
        let now = portico.clock.now()
        do {
            switch action {
            case .enable, .disable:
                _ = try await PartnerApps.setEnabled(
                    action == .enable, org: context.org, slug: app.slug, actor: context.actor, ip: context.ip, now: now, store: portico.store
                )
                return Layout.redirect(to: context.link(.adminApp(.value(app.slug))))
            case .rotateKey:
                let (rotated, key) = try await PartnerApps.rotateKey(
                    org: context.org, slug: app.slug, actor: context.actor, ip: context.ip, now: now, store: portico.store
                )
                return Layout.adminResponse(AdminApp.view(.make(app: rotated, admin: context.layout, secret: AdminApp.Model.newKey(key))))
            case .rotateSecret:
                let (rotated, secret) = try await PartnerApps.rotateSecret(
                    org: context.org, slug: app.slug, actor: context.actor, ip: context.ip, now: now, store: portico.store
                )
                return Layout.adminResponse(AdminApp.view(.make(app: rotated, admin: context.layout, secret: AdminApp.Model.newClientSecret(secret))))
            case .client:
                let typed = AdminApp.Model.ClientForm(
                    redirectURIs: appFormField(req, "redirect_uris"), postLogoutRedirectURIs: appFormField(req, "post_logout_redirect_uris")
                )
                do {
                    let (updated, secret) = try await PartnerApps.updateClient(
                        org: context.org, slug: app.slug, redirectURIs: PartnerApps.lines(typed.redirectURIs),
                        postLogoutRedirectURIs: PartnerApps.lines(typed.postLogoutRedirectURIs),
                        actor: context.actor, ip: context.ip, now: now, store: portico.store
                    )
                    guard let secret else { return Layout.redirect(to: context.link(.adminApp(.value(app.slug)))) }
                    return Layout.adminResponse(AdminApp.view(.make(app: updated, admin: context.layout, secret: AdminApp.Model.newClientSecret(secret))))
                } catch PorticoError.invalid(let message) {
                    var refused = typed
                    refused.error = message
                    return Layout.adminResponse(AdminApp.view(.make(app: app, admin: context.layout, client: refused)), status: .unprocessableEntity)
                }
            }
        } catch PorticoError.notFound {
            throw AdminPageError.notFound("There is no app '\(app.slug)' here.")
        } catch let error as PorticoError {
            throw AdminPageError.invalid(error.description)
        }
    }

    // MARK: - Shared

    /// A text field of the posted form ("" when absent or not text).
    private static func appFormField(_ req: Request, _ name: String) -> String {
        (try? req.content.get(String.self, at: name)) ?? ""
    }

    private static func appsPage(
        req: Request, context: AdminContext, form: AdminApps.Model.Form, created: AdminApps.Model.Created?, status: HTTPResponseStatus
    ) async throws -> Response {
        let model = try await AdminApps.Model.query(org: context.org, admin: context.layout, form: form, created: created, on: req.portico.store.db)
        return Layout.adminResponse(AdminApps.view(model), status: status)
    }

    /// The page's org's app named by the path; anything else (another org's app, a
    /// slug that cannot be one) is a 404.
    private static func adminPartnerApp(req: Request, context: AdminContext) async throws -> PartnerApp {
        guard let slug = req.parameters.get(SiteURL.Key.appSlug), Organization.isValidSlug(slug),
              let app = try await PartnerApps.find(org: context.org, slug: slug, on: req.portico.store.db)
        else { throw AdminPageError.notFound("There is no such app in this organization.") }
        return app
    }
}
