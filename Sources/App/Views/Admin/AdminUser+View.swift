import Foundation
import PorticoCore

extension AdminUser {
    static func view(_ model: Model) -> HTML {
        let admin = model.admin
        let p = model.profile
        let name = [p.firstName, p.lastName].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        let shown: HTML = model.signInLink.map { link in
            Layout.secretOnce(
                title: "Sign-in link for \(p.partnerID)",
                values: [("Single use, valid until \(Layout.humanTime(link.expiresAt)). Send it to the user only.", link.url)]
            )
        } ?? .empty
        return Layout.adminDocument(title: "User \(p.partnerID)", admin: admin, body: """
            \(shown)
            <p><a href="\(admin.link(.adminUsers))">← Users</a></p>
            <section class="card"><h1>\(name.isEmpty ? p.partnerID : name) <code>\(p.partnerID)</code></h1>
            <table><tbody>
            <tr><th>partner_id</th><td><code>\(p.partnerID)</code></td></tr>
            <tr><th>Portico id</th><td><code>\(p.id.uuidString.lowercased())</code></td></tr>
            <tr><th>Email</th><td>\(p.email ?? "—")</td></tr>
            <tr><th>First name</th><td>\(p.firstName ?? "—")</td></tr>
            <tr><th>Last name</th><td>\(p.lastName ?? "—")</td></tr>
            <tr><th>Anonymous</th><td>\(p.anonymous ? "yes" : "no")</td></tr>
            <tr><th>Created</th><td>\(Layout.time(p.createdAt))</td></tr>
            <tr><th>Changed</th><td>\(Layout.time(p.updatedAt))</td></tr>
            <tr><th>Expires</th><td>\(Layout.time(p.expiresAt))</td></tr>
            </tbody></table>
            <div class="admin-actions">
            <form method="post" action="\(admin.link(.adminUserAction(.value(p.partnerID), .signInLink)))">\(admin.csrf)\
            <button class="small">Issue a sign-in link</button></form>
            <a class="button small secondary" href="\(admin.link(.adminUserAction(.value(p.partnerID), .delete)))">Delete user…</a>
            </div>
            </section>
            \(tracks(model))
            \(subscriptions(model))
            \(interviews(model))
            \(enrollments(model))
            \(signIns(model))
            """)
    }

    private static func tracks(_ model: Model) -> HTML {
        let items = model.tracks.map { track -> HTML in
            let state: HTML = if let done = track.completedAt {
                "<span class=\"done\">completed \(Layout.time(done))</span>"
            } else if let next = track.next {
                "next: \(next)"
            } else {
                .empty
            }
            return """
                <li data-track="\(track.id)"><div><strong>\(track.name)</strong><br>\
                <span class="meta">\(track.chaptersCompleted) of \(track.chaptersTotal) chapters · \(track.percentComplete)% · \(state)</span></div>\
                \(Layout.progressBar(percent: track.percentComplete, label: track.name))</li>
                """
        }
        return """
            <section class="card"><h2>Track progress</h2>
            <ul class="list">\(items)</ul></section>
            """
    }

    private static func subscriptions(_ model: Model) -> HTML {
        let rows = model.subscriptions.map { s -> HTML in
            """
            <tr><td>\(s.orgName) <code>\(s.orgSlug)</code></td><td>\(Layout.time(s.createdAt))</td>\
            <td>\(url(s.logoutURL))</td><td>\(url(s.invalidTokenURL))</td><td>\(url(s.expiredTokenURL))</td></tr>
            """
        }
        return """
            <section class="card"><h2>Subscriptions</h2>
            <table><thead><tr><th>Organization</th><th>Since</th><th>Logout URL</th><th>Invalid-token URL</th><th>Expired-token URL</th></tr></thead>
            <tbody>\(rows)</tbody></table></section>
            """
    }

    private static func url(_ value: String?) -> HTML {
        value.map { "<code>\($0)</code>" } ?? "—"
    }

    private static func interviews(_ model: Model) -> HTML {
        let rows = model.interviews.map { i -> HTML in
            """
            <tr><td>\(i.title)</td><td>\(i.kind)</td><td>\(i.status)</td><td>\(i.questionsAnswered) / \(i.questionsTotal)</td>\
            <td>\(i.rating.map { String($0) + " / 5" } ?? "—")</td><td>\(Layout.time(i.updatedAt))</td></tr>
            """
        }
        let more: HTML = model.moreInterviews ? "<p class=\"meta\">Only the \(AdminUser.listLimit) most recent are shown.</p>" : .empty
        let body: HTML = model.interviews.isEmpty ? "<p>No practice interviews.</p>" : """
            <table><thead><tr><th>Title</th><th>Kind</th><th>Status</th><th>Answered</th><th>Rating</th><th>Updated</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            \(more)
            """
        return "<section class=\"card\"><h2>Practice interviews</h2>\(body)</section>"
    }

    private static func enrollments(_ model: Model) -> HTML {
        let rows = model.enrollments.map { e -> HTML in
            """
            <tr><td>\(e.courseTitle)</td><td>\(e.status)</td><td>\(e.lessonsCompleted) / \(e.lessonsTotal)</td>\
            <td>\(Layout.time(e.createdAt))</td></tr>
            """
        }
        let body: HTML = model.enrollments.isEmpty ? "<p>No classroom enrollments.</p>" : """
            <table><thead><tr><th>Course</th><th>Status</th><th>Lessons</th><th>Enrolled</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
        return "<section class=\"card\"><h2>Enrollments</h2>\(body)</section>"
    }

    private static func signIns(_ model: Model) -> HTML {
        let rows = model.signIns.map { s -> HTML in "<tr><td>\(Layout.time(s.at))</td><td>\(s.ip ?? "—")</td></tr>" }
        let body: HTML = model.signIns.isEmpty ? "<p>No sign-ins yet.</p>" : """
            <table><thead><tr><th>Time</th><th>Address</th></tr></thead><tbody>\(rows)</tbody></table>
            <p class="meta">The \(AdminUser.listLimit) most recent, from the audit log.</p>
            """
        return "<section class=\"card\"><h2>Sign-ins</h2>\(body)</section>"
    }
}
