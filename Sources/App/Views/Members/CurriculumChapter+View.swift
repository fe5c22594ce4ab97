import Foundation

extension CurriculumChapter {
    static func view(_ model: Model) -> HTML {
        let paragraphs: [HTML] = model.paragraphs.map { "<p>\($0)</p>" }
        let action: HTML = model.completed
            ? "<p class=\"done\">You completed this chapter.</p>"
            : """
              <form method="post" action="\(SiteURL.curriculumComplete.path)">\(Layout.csrf(model.member.csrfToken))
              <input type="hidden" name="chapter" value="\(model.number)"><button type="submit">Mark complete</button></form>
              """
        return Layout.document(title: model.title, member: model.member, body: """
            <article class="card chapter"><p class="meta">\(model.trackName) · Chapter \(model.number)</p>
            <h1>\(model.title)</h1><p class="lead">\(model.summary)</p>\(paragraphs)
            \(action)
            \(model.next.map { n -> HTML in "<p><a href=\"\(SiteURL.chapter(n.number))\">Next: \(n.title) →</a></p>" } ?? .empty)
            </article>
            """)
    }
}
