import FluentKit
import Foundation
import PorticoCore
import Vapor

extension Members {
    /// `GET /members/dashboard`: track progress (the numbers of the Partner API's
    /// tracks endpoint), recent interviews and enrollments.
    static func dashboard(req: Request) async throws -> Response {
        let member = try await req.requireMember()
        let portico = req.portico
        let db = portico.store.db
        let completed = try await Learning.completedChapters(userID: member.user.id, on: db)
        let tracks = TrackSnapshot.all(curriculum: portico.curriculum, completed: completed) { SiteURL.chapter($0) }
        let interviews = try await Users.interviews(userID: member.user.id, limit: 5, cursor: nil, on: db).interviews
        let enrollments = try await Users.enrollments(userID: member.user.id, curriculum: portico.curriculum, on: db)
        let apps = try await PartnerApps.launchable(orgID: member.user.orgID, on: db)

        let trackCards: [HTML] = tracks.map { track in
            let next: HTML = track.nextChapter.map { n in
                "<a class=\"button\" href=\"\(SiteURL.chapter(n.number))\">Continue: \(n.title)</a>"
            } ?? "<p class=\"done\">Track complete</p>"
            return """
                <article class="card track"><h3>\(track.name)</h3>
                \(Layout.progressBar(percent: track.percentComplete, label: track.name))
                <p class="meta">\(track.chaptersCompleted) of \(track.chaptersTotal) chapters · \(track.percentComplete)%</p>
                \(next)</article>
                """
        }
        let interviewRows = interviews.map(interviewRow)
        let enrollmentRows: [HTML] = enrollments.map { e in
            """
            <li><a href="\(SiteURL.classroom(.value(e.id)).path)">\(e.courseTitle)</a>
            <span class="meta">\(e.lessonsCompleted) of \(e.lessonsTotal) lessons · \(e.status == .completed ? "completed" : "active")</span></li>
            """
        }
        let launchButtons: [HTML] = apps.map { "<a class=\"button secondary\" href=\"\(SiteURL.launch(.value($0.slug)).path)\">\($0.name)</a>" }
        let body: HTML = """
            <h1>Welcome, \(member.displayName)</h1>
            \(apps.isEmpty ? .empty : HTML("<section class=\"card\"><h2>Partner sites</h2><p class=\"buttons\">\(launchButtons)</p></section>"))
            <section><h2>Your tracks</h2><div class="grid">\(trackCards)</div></section>
            <section class="card"><h2>Practice interviews</h2>
            \(interviewRows.isEmpty ? HTML("<p>No practice interviews yet.</p>") : HTML("<ul class=\"list\">\(interviewRows)</ul>"))
            <a class="button" href="\(SiteURL.interviews.path)">Start a practice interview</a></section>
            <section class="card"><h2>Classroom</h2>
            \(enrollmentRows.isEmpty ? HTML("<p>You are not enrolled in a course.</p>") : HTML("<ul class=\"list\">\(enrollmentRows)</ul>"))</section>
            """
        return Layout.page(title: "Dashboard", member: member, frameAncestors: try await req.frameAncestors(for: member), body: body)
    }

    /// `GET /members/curriculum[?chapter=N]`: a chapter, or the list of all of them.
    static func curriculum(req: Request) async throws -> Response {
        let member = try await req.requireMember()
        let portico = req.portico
        let completed = try await Learning.completedChapters(userID: member.user.id, on: portico.store.db)
        let frame = try await req.frameAncestors(for: member)
        guard let raw = req.queryValue("chapter") else {
            let tracks: [HTML] = portico.curriculum.tracks.map { track in
                let items: [HTML] = track.chapters.map { c in
                    "<li><a href=\"\(SiteURL.chapter(c.number))\">\(c.number). \(c.title)</a>\(completed[c.number] != nil ? HTML(" <span class=\"done\">✓</span>") : .empty)</li>"
                }
                return "<section class=\"card\"><h2>\(track.name)</h2><ol class=\"chapters\">\(items)</ol></section>"
            }
            return Layout.page(title: "Curriculum", member: member, frameAncestors: frame, body: "<h1>Curriculum</h1>\(tracks)")
        }
        guard let number = Int(raw), let (track, chapter) = portico.curriculum.chapter(number: number) else { throw PageError.notFound }
        let paragraphs: [HTML] = chapter.body.map { "<p>\($0)</p>" }
        let done = completed[number] != nil
        let position = (track.chapters.firstIndex { $0.number == number } ?? 0)
        let next = track.chapters.indices.contains(position + 1) ? track.chapters[position + 1] : nil
        let action: HTML = done
            ? "<p class=\"done\">You completed this chapter.</p>"
            : """
              <form method="post" action="\(SiteURL.curriculumComplete.path)">\(Layout.csrf(member))
              <input type="hidden" name="chapter" value="\(number)"><button type="submit">Mark complete</button></form>
              """
        let body: HTML = """
            <article class="card chapter"><p class="meta">\(track.name) · Chapter \(number)</p>
            <h1>\(chapter.title)</h1><p class="lead">\(chapter.summary)</p>\(paragraphs)
            \(action)
            \(next.map { n -> HTML in "<p><a href=\"\(SiteURL.chapter(n.number))\">Next: \(n.title) →</a></p>" } ?? .empty)
            </article>
            """
        return Layout.page(title: chapter.title, member: member, frameAncestors: frame, body: body)
    }

    /// `POST /members/curriculum/complete` (`chapter`, `csrf_token`).
    static func completeChapter(req: Request) async throws -> Response {
        let member = try await req.requireMemberForm()
        guard let number = try? req.content.get(Int.self, at: "chapter") else { throw PageError.invalid("Which chapter?") }
        let portico = req.portico
        do {
            try await Learning.completeChapter(number, user: member.user, curriculum: portico.curriculum, now: portico.clock.now(), store: portico.store)
        } catch is PorticoError {
            throw PageError.notFound
        }
        return Layout.redirect(to: portico.url(SiteURL.chapter(number)))
    }
}
