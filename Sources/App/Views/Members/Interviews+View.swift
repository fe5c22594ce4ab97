import Foundation

extension Interviews {
    static func view(_ model: Model) -> HTML {
        let sets: [HTML] = model.questionSets.map { set in
            """
            <li class="card"><h3>\(set.title)</h3><p class="meta">\(set.kind) · \(set.questionCount) questions</p>
            <form method="post" action="\(SiteURL.interviews.path)">\(Layout.csrf(model.member.csrfToken))
            <input type="hidden" name="question_set" value="\(set.id)"><button type="submit">Start</button></form></li>
            """
        }
        let rows = model.interviews.map(row)
        return Layout.document(title: "Practice interviews", member: model.member, body: """
            <h1>Practice interviews</h1>
            <section><h2>Start a new one</h2><ul class="grid plain">\(sets)</ul></section>
            <section class="card"><h2>Your interviews</h2>\(rows.isEmpty ? HTML("<p>None yet.</p>") : HTML("<ul class=\"list\">\(rows)</ul>"))</section>
            """)
    }

    /// One interview in a list (dashboard, interviews page).
    static func row(_ i: Row) -> HTML {
        """
        <li><a href="\(SiteURL.interview(.value(i.id)).path)">\(i.title)</a>
        <span class="meta">\(i.completed ? "completed" : "in progress") · \(i.questionsAnswered)/\(i.questionsTotal) answered\(i.rating.map { " · rated \($0)/5" } ?? "")</span></li>
        """
    }
}
