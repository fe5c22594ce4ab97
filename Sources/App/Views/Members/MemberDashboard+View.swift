import Foundation

extension MemberDashboard {
    static func view(_ model: Model) -> HTML {
        let trackCards: [HTML] = model.tracks.map { track in
            let next: HTML = track.next.map { n in
                "<a class=\"button\" href=\"\(SiteURL.chapter(n.number))\">Continue: \(n.title)</a>"
            } ?? "<p class=\"done\">Track complete</p>"
            return """
                <article class="card track"><h3>\(track.name)</h3>
                \(Layout.progressBar(percent: track.percentComplete, label: track.name))
                <p class="meta">\(track.chaptersCompleted) of \(track.chaptersTotal) chapters · \(track.percentComplete)%</p>
                \(next)</article>
                """
        }
        let interviewRows = model.interviews.map(Interviews.row)
        let enrollmentRows: [HTML] = model.enrollments.map { e in
            """
            <li><a href="\(SiteURL.classroom(.value(e.id)).path)">\(e.courseTitle)</a>
            <span class="meta">\(e.lessonsCompleted) of \(e.lessonsTotal) lessons · \(e.completed ? "completed" : "active")</span></li>
            """
        }
        let launchButtons: [HTML] = model.apps.map {
            "<a class=\"button secondary\" href=\"\(SiteURL.launch(.value($0.slug)).path)\">\($0.name)</a>"
        }
        return Layout.document(title: "Dashboard", member: model.member, body: """
            <h1>Welcome, \(model.member.displayName)</h1>
            \(model.apps.isEmpty ? .empty : HTML("<section class=\"card\"><h2>Partner sites</h2><p class=\"buttons\">\(launchButtons)</p></section>"))
            <section><h2>Your tracks</h2><div class="grid">\(trackCards)</div></section>
            <section class="card"><h2>Practice interviews</h2>
            \(interviewRows.isEmpty ? HTML("<p>No practice interviews yet.</p>") : HTML("<ul class=\"list\">\(interviewRows)</ul>"))
            <a class="button" href="\(SiteURL.interviews.path)">Start a practice interview</a></section>
            <section class="card"><h2>Classroom</h2>
            \(enrollmentRows.isEmpty ? HTML("<p>You are not enrolled in a course.</p>") : HTML("<ul class=\"list\">\(enrollmentRows)</ul>"))</section>
            """)
    }
}
