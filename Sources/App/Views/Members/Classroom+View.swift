import Foundation

extension Classroom {
    static func view(_ model: Model) -> HTML {
        let lessons: [HTML] = model.lessons.map { lesson in
            let paragraphs: [HTML] = lesson.paragraphs.map { "<p>\($0)</p>" }
            let action: HTML = lesson.completed ? "<p class=\"done\">Completed ✓</p>" : """
                <form method="post" action="\(SiteURL.lessonComplete(.value(model.enrollmentID), .value(lesson.number)).path)">\
                \(Layout.csrf(model.member.csrfToken))<button type="submit">Mark lesson complete</button></form>
                """
            return "<article class=\"card lesson\" id=\"lesson-\(lesson.number)\"><h2>\(lesson.number). \(lesson.title)</h2>\(paragraphs)\(action)</article>"
        }
        return Layout.document(title: model.courseTitle, member: model.member, body: """
            <h1>\(model.courseTitle)</h1><p class="lead">\(model.courseDescription)</p>
            \(Layout.progressBar(percent: model.percentComplete, label: model.courseTitle))
            <p class="meta">\(model.lessonsCompleted) of \(model.lessons.count) lessons\(model.courseCompleted ? " · course completed" : "")</p>
            \(lessons)
            """)
    }
}
