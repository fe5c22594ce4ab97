import Foundation
import PorticoCore

extension AdminAdmins {
    static func view(_ model: Model) -> HTML {
        let csrf = model.admin.csrf
        let rows = model.admins.map { row -> HTML in
            let boxes = checkboxes(checked: row.permissions)
            let error: HTML = model.rowError.flatMap { $0.adminID == row.id ? $0 : nil }.map { e -> HTML in
                "<p class=\"error\" role=\"alert\">\(e.message)</p>"
            } ?? .empty
            let remove: HTML = row.isYou ? "<span class=\"meta\">you</span>" : """
                <form method="post" action="\(model.admin.link(.adminAdminAction(.value(row.id), .remove)))" class="inline">\(csrf)\
                <button class="small danger">Remove</button></form>
                """
            let tokens: HTML = row.liveTokens == 0 ? "none" : """
                \(row.liveTokens) live <form method="post" action="\(model.admin.link(.adminAdminAction(.value(row.id), .revokeTokens)))" class="inline">\(csrf)\
                <button class="small">Revoke</button></form>
                """
            return """
                <tr id="admin-\(row.id.uuidString.lowercased())"><td>\(row.email)\(row.isYou ? " (you)" : "")\(error)</td>\
                <td><form method="post" action="\(model.admin.link(.adminAdminAction(.value(row.id), .permissions)))">\(csrf)\
                \(boxes) <button class="small">Save</button></form></td>\
                <td>\(Layout.time(row.createdAt))</td><td>\(tokens)</td><td>\(remove)</td></tr>
                """
        }
        let form = model.form
        let permissionsError: HTML = form.permissionsError.map { e -> HTML in "<small class=\"error\" id=\"f-permissions-error\">\(e)</small>" } ?? .empty
        return Layout.adminDocument(title: "Admins", admin: model.admin, body: """
            <section class="card"><h1>Admins of \(model.orgName)</h1>
            <p>Permissions hold in this organization and every organization below it. The last admin with manage_org \
            cannot lose it or be removed, and you cannot take away your own.</p>
            <table><thead><tr><th>Email</th><th>Permissions</th><th>Created</th><th>SSO API tokens</th><th></th></tr></thead>
            <tbody>\(rows)</tbody></table>
            </section>
            <section class="card"><h2>Add an admin</h2>
            <form method="post" action="\(model.admin.link(.adminAdmins))">\(csrf)
            \(Layout.field("Email", name: "email", value: form.email, error: form.emailError, type: "email",
                           attributes: "required maxlength=\"254\" autocomplete=\"off\""))
            \(Layout.field("Password", name: "password", error: form.passwordError, type: "password",
                           attributes: "required minlength=\"\(Credentials.minimumPasswordLength)\" autocomplete=\"new-password\"",
                           hint: "At least \(Credentials.minimumPasswordLength) characters; tell it to them in person or by phone."))
            <fieldset class="field\(form.permissionsError == nil ? "" : " has-error")"><legend>Permissions</legend>
            \(checkboxes(checked: form.permissions, meanings: true))\(permissionsError)</fieldset>
            <button>Add admin</button></form>
            </section>
            """)
    }

    /// One checkbox per permission (`name="permissions"`, repeated).
    static func checkboxes(checked: [String], meanings: Bool = false) -> HTML {
        HTML(raw: permissions.map { permission -> HTML in
            let meaning: HTML = meanings ? " <small class=\"meta\">(\(permission.meaning))</small>" : .empty
            return """
                <label class="check"><input type="checkbox" name="permissions" value="\(permission.name)"\
                \(checked.contains(permission.name) ? " checked" : "")> \(permission.name)\(meaning)</label>
                """
        }.map(\.raw).joined())
    }
}
