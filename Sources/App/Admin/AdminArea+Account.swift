import Foundation
import PorticoCore
import Vapor

extension AdminArea {
    /// `GET /admin/account` (any admin): the admin's email and the change-password form.
    static func account(req: Request) async throws -> Response {
        let context = try await req.requireAdmin()
        return Layout.adminResponse(AdminAccount.view(.init(context: context, changed: req.queryValue("changed") == "1")))
    }

    /// `POST /admin/account`: checks the current password (counted in the sign-in
    /// throttle, so the form is no password-guessing oracle), sets the new one and ends
    /// every other session of this admin; this one goes on.
    static func changePassword(req: Request) async throws -> Response {
        let context = try await req.requireAdminForm()
        struct Fields: Decodable {
            var current_password: String?
            var new_password: String?
            var repeat_password: String?
        }
        let fields = (try? req.content.decode(Fields.self)) ?? Fields()
        let current = fields.current_password ?? ""
        let new = fields.new_password ?? ""
        func invalid(current: String? = nil, new: String? = nil, repeated: String? = nil, status: HTTPResponseStatus = .unprocessableEntity) -> Response {
            Layout.adminResponse(AdminAccount.view(.init(context: context, currentError: current, newError: new, repeatError: repeated)), status: status)
        }

        var currentError: String? = current.isEmpty ? "Enter your current password." : nil
        var newError = Credentials.passwordProblem(new)
        var repeatError: String?
        if newError == nil, new != (fields.repeat_password ?? "") { repeatError = "The two new passwords differ." }
        if newError == nil, !current.isEmpty, new == current { newError = "Choose a password other than your current one." }
        if current.utf8.count > 1000 { currentError = "This is not your current password." }
        guard currentError == nil, newError == nil, repeatError == nil else {
            return invalid(current: currentError, new: newError, repeated: repeatError)
        }

        let portico = req.portico
        let now = portico.clock.now()
        do {
            switch try await AdminCredentials.check(
                email: context.admin.email, password: current, ip: context.ip, now: now,
                throttle: portico.loginThrottle, verifier: portico.passwords, on: portico.store.db
            ) {
            case .verified(let admin) where admin.id == context.admin.id:
                break
            case .verified, .wrong:
                return invalid(current: "This is not your current password.")
            case .throttled(let wait):
                let response = invalid(current: "Too many failed attempts. Try again in \(wait) s.", status: .tooManyRequests)
                response.headers.replaceOrAdd(name: .retryAfter, value: String(wait))
                return response
            }
            let hash = try await portico.passwords.hash(new)
            try await Credentials.changePassword(
                adminID: context.admin.requireID(), passwordHash: hash, keepingSession: context.session.id, ip: context.ip, now: now, store: portico.store
            )
        } catch is PasswordCheckBusy {
            return busyPage()
        } catch PorticoError.notFound {
            throw AdminPageError.signInRequired
        }
        return Layout.redirect(to: context.link(.adminAccount, query: [("changed", "1")]))
    }
}
