import Foundation
import PorticoCore
import Vapor

/// Users (SPEC §8): `manage_users` for every page and action.
extension AdminArea {
    /// `GET /admin/users?q=TEXT&page=N`: search by partner_id or email prefix, paged.
    static func users(req: Request) async throws -> Response {
        let context = try await req.requireAdmin(.manageUsers)
        let query = (req.queryValue("q") ?? "").trimmingCharacters(in: .whitespaces)
        var page = 1
        if let raw = req.queryValue("page"), !raw.isEmpty {
            guard raw.utf8.count <= 6, let value = Int(raw), (1...AdminUsers.maxPage).contains(value) else {
                throw AdminPageError.invalid("page must be a whole number from 1 to \(AdminUsers.maxPage).")
            }
            page = value
        }
        let portico = req.portico
        let model = try await AdminUsers.Model.query(
            orgID: context.orgID, admin: context.layout, query: query, page: page, now: portico.clock.now(), on: portico.store.sql
        )
        return Layout.adminResponse(AdminUsers.view(model), status: model.queryError == nil ? .ok : .unprocessableEntity)
    }

    /// `GET /admin/users/{partner_id}`.
    static func user(req: Request) async throws -> Response {
        let context = try await req.requireAdmin(.manageUsers)
        let user = try await adminUserRecord(req: req, context: context)
        return try await userPage(req: req, context: context, user: user, signInLink: nil)
    }

    /// `GET /admin/users/{partner_id}/delete`: the confirmation page.
    static func confirmDeleteUser(req: Request) async throws -> Response {
        let context = try await req.requireAdmin(.manageUsers)
        let user = try await adminUserRecord(req: req, context: context)
        let model = try await AdminUserDelete.Model.query(user: user, admin: context.layout, on: req.portico.store.db)
        return Layout.adminResponse(AdminUserDelete.view(model))
    }

    /// `POST /admin/users/{partner_id}/delete` (the Partner API's DELETE: same core
    /// function, same `user.deleted` event) and `POST …/sign-in-link` (a one-off
    /// `/login/sso` link for support, shown once).
    static func userAction(req: Request, action: SiteURL.AdminUserAction) async throws -> Response {
        let context = try await req.requireAdminForm(.manageUsers)
        let user = try await adminUserRecord(req: req, context: context)
        let portico = req.portico
        let now = portico.clock.now()
        switch action {
        case .delete:
            try await Users.delete(user, actor: context.actor, ip: context.ip, now: now, store: portico.store)
            return Layout.redirect(to: context.link(.adminUsers))
        case .signInLink:
            let issued: (token: String, expiresAt: Date)
            do {
                issued = try await Users.issueSignInLink(user, actor: context.actor, ip: context.ip, now: now, store: portico.store)
            } catch PorticoError.notFound {
                throw AdminPageError.notFound("There is no such user in this organization.")
            }
            let link = AdminUser.Model.SignInLink(url: portico.url(SiteURL.ssoSignIn(token: issued.token)), expiresAt: issued.expiresAt)
            return try await userPage(req: req, context: context, user: user, signInLink: link)
        }
    }

    // MARK: - Shared

    private static func userPage(
        req: Request, context: AdminContext, user: UserRecord, signInLink: AdminUser.Model.SignInLink?
    ) async throws -> Response {
        let portico = req.portico
        let model = try await AdminUser.Model.query(
            user: user, admin: context.layout, curriculum: portico.curriculum, signInLink: signInLink, on: portico.store.db
        )
        return Layout.adminResponse(AdminUser.view(model))
    }

    /// The page's org's live user named by the path. A partner_id that breaks the
    /// format (odd characters, `..`, NUL, too long), another org's user or an expired
    /// anonymous user is a 404.
    private static func adminUserRecord(req: Request, context: AdminContext) async throws -> UserRecord {
        let portico = req.portico
        guard let raw = req.parameters.get(SiteURL.Key.partnerID), let partnerID = PartnerID(raw), !partnerID.isReserved,
              let user = try await portico.hotPaths.user(orgID: context.orgID, partnerID: partnerID.value, now: portico.clock.now())
        else { throw AdminPageError.notFound("There is no such user in this organization.") }
        return user
    }
}
