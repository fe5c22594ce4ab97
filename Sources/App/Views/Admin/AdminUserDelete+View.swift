import Foundation
import PorticoCore

extension AdminUserDelete {
    static func view(_ model: Model) -> HTML {
        let admin = model.admin
        let who = model.name.isEmpty ? model.partnerID : model.name
        return Layout.adminDocument(title: "Delete \(model.partnerID)", admin: admin, body: """
            <section class="card"><h1>Delete \(who) <code>\(model.partnerID)</code>?</h1>
            <p>This deletes the user\(model.email.map { " (" + $0 + ")" } ?? "") and everything of theirs, at once and for good:</p>
            <ul>
            <li>\(model.chaptersCompleted) completed chapters</li>
            <li>\(model.interviews) practice interviews</li>
            <li>\(model.enrollments) classroom enrollments</li>
            <li>\(model.subscriptions) subscriptions, with their sessions, sign-in tokens and launch codes</li>
            </ul>
            <p>The organization's webhooks receive <code>user.deleted</code>, as when the partner deletes the user through the API; \
            earlier events keep the user's id but lose their email and names.</p>
            <div class="admin-actions">
            <form method="post" action="\(admin.link(.adminUserAction(.value(model.partnerID), .delete)))">\(admin.csrf)\
            <button class="danger">Delete user</button></form>
            <a href="\(admin.link(.adminUser(.value(model.partnerID))))">Cancel</a>
            </div>
            </section>
            """)
    }
}
