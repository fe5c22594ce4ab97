import Foundation
import PorticoCore
import Vapor

extension AdminArea {
    /// `GET /admin/admins` (`manage_org`): the org's admins and the form to add one.
    static func admins(req: Request) async throws -> Response {
        let context = try await req.requireAdmin(.manageOrg)
        return try await adminsPage(req: req, context: context, form: .empty, rowError: nil, status: .ok)
    }

    /// `POST /admin/admins`: a new admin of the page's org, with a password (bcrypt on the
    /// password pool) and the permissions ticked, at most those the acting admin holds.
    static func createAdmin(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm(.manageOrg)
        struct Fields: Decodable {
            var email: String?
            var password: String?
        }
        let fields = (try? req.content.decode(Fields.self)) ?? Fields()
        let email = AdminCredentials.normalizedEmail(fields.email ?? "")
        let password = fields.password ?? ""
        let ticked = permissionNames(in: req)
        var form = AdminAdmins.Model.Form(email: String(email.prefix(254)), permissions: ticked)

        if email.isEmpty {
            form.emailError = "Enter an email address."
        } else if !Credentials.isPlausibleAdminEmail(email) || SafeText.hasControlOrSpace(email) {
            form.emailError = "This is not an email address."
        } else if try await Admin.find(email: email, on: req.portico.store.db) != nil {
            form.emailError = "An admin with this email already exists."
        }
        form.passwordError = Credentials.passwordProblem(password)
        let permissions = ticked.compactMap(Admin.Permission.init(rawValue:))
        if permissions.count != ticked.count {
            form.permissionsError = "Pick permissions from the list."
        } else if let missing = permissions.first(where: { !context.can($0) }) {
            form.permissionsError = "You can grant only permissions you hold yourself (not \(missing.rawValue))."
        }
        guard !form.hasErrors else {
            return try await adminsPage(req: req, context: context, form: form, rowError: nil, status: .unprocessableEntity)
        }

        let hash: String
        do {
            hash = try await req.portico.passwords.hash(password)
        } catch is PasswordCheckBusy {
            return busyPage()
        }
        do {
            _ = try await Credentials.createAdmin(
                org: context.org, email: email, passwordHash: hash, permissions: permissions, actor: context.actor,
                grantedBy: context.admin.id, ip: context.ip, now: req.portico.clock.now(), store: req.portico.store
            )
        } catch let error as PorticoError {
            switch error {
            case .conflict: form.emailError = "An admin with this email already exists."
            case .invalid(let why): form.permissionsError = why
            case .notFound(let why): throw AdminPageError.notFound(why)
            }
            return try await adminsPage(req: req, context: context, form: form, rowError: nil, status: .unprocessableEntity)
        }
        return Layout.redirect(to: context.link(.adminAdmins))
    }

    /// `POST /admin/admins/{id}/permissions|remove|revoke-tokens`, on an admin of the page's
    /// org (any other id is a 404).
    static func adminAction(req: Request, action: SiteURL.AdminAdminAction) async throws -> Response {
        let context = try await req.requireAdminForm(.manageOrg)
        let portico = req.portico
        guard let id = req.parameters.get(SiteURL.Key.adminID, as: UUID.self),
              let target = try await Credentials.admin(id: id, in: context.org, on: portico.store.db)
        else { throw AdminPageError.notFound("There is no such admin in this organization.") }
        let now = portico.clock.now()
        do {
            switch action {
            case .permissions:
                let ticked = permissionNames(in: req)
                let permissions = ticked.compactMap(Admin.Permission.init(rawValue:))
                guard permissions.count == ticked.count else {
                    return try await adminsPage(
                        req: req, context: context, form: .empty,
                        rowError: .init(adminID: id, message: "Pick permissions from the list."), status: .unprocessableEntity
                    )
                }
                _ = try await Credentials.setPermissions(
                    adminID: id, in: context.org, permissions: permissions, by: context.admin.id,
                    actor: context.actor, ip: context.ip, now: now, store: portico.store
                )
            case .remove:
                try await Credentials.removeAdmin(
                    adminID: id, in: context.org, by: context.admin.id, actor: context.actor, ip: context.ip, now: now, store: portico.store
                )
            case .revokeTokens:
                try await SSOAPIService.revokeAccessTokens(adminEmail: target.email, actor: context.actor, ip: context.ip, now: now, store: portico.store)
            }
        } catch let error as PorticoError {
            switch error {
            case .notFound: throw AdminPageError.notFound("There is no such admin in this organization.")
            case .conflict(let why), .invalid(let why):
                return try await adminsPage(
                    req: req, context: context, form: .empty, rowError: .init(adminID: id, message: why), status: .unprocessableEntity
                )
            }
        }
        return Layout.redirect(to: context.link(.adminAdmins))
    }

    /// The ticked `permissions` checkboxes (the field repeats), at most one per kind.
    private static func permissionNames(in req: Request) -> [String] {
        let names = (try? req.content.get([String].self, at: "permissions")) ?? []
        var unique: [String] = []
        for name in names.prefix(20) where !unique.contains(name) { unique.append(String(name.prefix(100))) }
        return unique
    }

    private static func adminsPage(
        req: Request, context: AdminContext, form: AdminAdmins.Model.Form, rowError: AdminAdmins.Model.RowError?, status: HTTPResponseStatus
    ) async throws -> Response {
        let model = try await AdminAdmins.Model.query(
            org: context.org, admin: context.layout, you: context.admin.id, form: form, rowError: rowError,
            now: req.portico.clock.now(), on: req.portico.store.db
        )
        return Layout.adminResponse(AdminAdmins.view(model), status: status)
    }

    /// Every bcrypt slot is taken: answer at once rather than queue (SPEC §9).
    static func busyPage() -> Response {
        let response = Layout.message(title: "Busy", text: "Too many password checks at once. Try again in a moment.", status: .serviceUnavailable)
        response.headers.replaceOrAdd(name: .retryAfter, value: "1")
        return response
    }
}
