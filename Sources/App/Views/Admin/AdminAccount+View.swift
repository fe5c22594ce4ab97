import Foundation
import PorticoCore

extension AdminAccount {
    static func view(_ model: Model) -> HTML {
        let changed: HTML = model.changed ? """
            <section class="card notice" role="status"><p>Your password has been changed. Every other session of yours has ended.</p></section>
            """ : .empty
        let permissions = model.permissions.isEmpty ? "none" : model.permissions.joined(separator: ", ")
        return Layout.adminDocument(title: "Your account", admin: model.admin, body: """
            \(changed)
            <section class="card"><h1>Your account</h1>
            <p>Signed in as <strong>\(model.email)</strong>, an admin of \(model.homeOrgName).</p>
            <p class="meta">Permissions: \(permissions)</p>
            </section>
            <section class="card"><h2>Change your password</h2>
            <form method="post" action="\(model.admin.link(.adminAccount))">\(model.admin.csrf)
            \(Layout.field("Current password", name: "current_password", error: model.currentError, type: "password",
                           attributes: "required autocomplete=\"current-password\""))
            \(Layout.field("New password", name: "new_password", error: model.newError, type: "password",
                           attributes: "required minlength=\"\(Credentials.minimumPasswordLength)\" autocomplete=\"new-password\"",
                           hint: "At least \(Credentials.minimumPasswordLength) characters. Your other sessions end when it changes."))
            \(Layout.field("Repeat the new password", name: "repeat_password", error: model.repeatError, type: "password",
                           attributes: "required autocomplete=\"new-password\""))
            <button>Change password</button></form>
            </section>
            """)
    }
}
