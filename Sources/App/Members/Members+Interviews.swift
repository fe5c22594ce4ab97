import FluentKit
import Foundation
import PorticoCore
import Vapor

extension Members {
    /// `GET /members/interviews`: the member's interviews and the question sets to start one from.
    static func interviews(req: Request) async throws -> Response {
        let member = try await req.requireMember()
        let portico = req.portico
        let all = try await Users.interviews(userID: member.user.id, limit: nil, cursor: nil, on: portico.store.db).interviews
        let sets: [HTML] = portico.curriculum.questionSets.map { set in
            """
            <li class="card"><h3>\(set.title)</h3><p class="meta">\(set.kind.rawValue) · \(set.questions.count) questions</p>
            <form method="post" action="\(SiteURL.interviews.path)">\(Layout.csrf(member))
            <input type="hidden" name="question_set" value="\(set.id)"><button type="submit">Start</button></form></li>
            """
        }
        let rows = all.map(interviewRow)
        let body: HTML = """
            <h1>Practice interviews</h1>
            <section><h2>Start a new one</h2><ul class="grid plain">\(sets)</ul></section>
            <section class="card"><h2>Your interviews</h2>\(rows.isEmpty ? HTML("<p>None yet.</p>") : HTML("<ul class=\"list\">\(rows)</ul>"))</section>
            """
        return Layout.page(title: "Practice interviews", member: member, frameAncestors: try await req.frameAncestors(for: member), body: body)
    }

    /// One interview in a list (dashboard, interviews page).
    static func interviewRow(_ i: InterviewSnapshot) -> HTML {
        """
        <li><a href="\(SiteURL.interview(.value(i.id)).path)">\(i.title)</a>
        <span class="meta">\(i.status == .completed ? "completed" : "in progress") · \(i.questionsAnswered)/\(i.questionsTotal) answered\(i.rating.map { " · rated \($0)/5" } ?? "")</span></li>
        """
    }

    /// `POST /members/interviews` (`question_set`): starts an interview (`interview.created`).
    static func startInterview(req: Request) async throws -> Response {
        let member = try await req.requireMemberForm()
        let portico = req.portico
        guard let setID = try? req.content.get(String.self, at: "question_set"), let set = portico.curriculum.questionSet(id: setID) else {
            throw PageError.invalid("Choose a question set.")
        }
        let interview = try await Learning.startInterview(user: member.user, questionSet: set, now: portico.clock.now(), store: portico.store)
        return Layout.redirect(to: portico.url(SiteURL.interview(.value(interview.id!)).path))
    }

    /// `GET /members/interviews/{id}`: the questions, the next one to answer, then completing and rating.
    static func interview(req: Request) async throws -> Response {
        let member = try await req.requireMember()
        let portico = req.portico
        let db = portico.store.db
        guard let id = req.parameters.get("id", as: UUID.self),
              let interview = try await Learning.interview(id: id, user: member.user, on: db),
              let set = portico.curriculum.questionSet(id: interview.questionSet)
        else { throw PageError.notFound }
        let answers = try await Learning.answers(interviewID: id, on: db)
        let path = SiteURL.interview(.value(id)).path
        let nextOpen = set.questions.indices.first { answers[$0 + 1] == nil }
        let questions: [HTML] = set.questions.enumerated().map { offset, q in
            let number = offset + 1
            if let answer = answers[number] {
                return "<li class=\"answered\"><p class=\"q\">\(q.text)</p><blockquote>\(answer)</blockquote></li>"
            }
            if interview.status == .inProgress, offset == nextOpen {
                return """
                    <li class="current"><p class="q">\(q.text)</p><p class="tip">Tip: \(q.tip)</p>
                    <form method="post" action="\(path)/answer">\(Layout.csrf(member))
                    <input type="hidden" name="question" value="\(number)">
                    <label for="answer">Your answer</label><textarea id="answer" name="answer" rows="6" required></textarea>
                    <button type="submit">Save answer</button></form></li>
                    """
            }
            return "<li class=\"open\"><p class=\"q\">\(q.text)</p></li>"
        }
        let finish: HTML
        if interview.status == .inProgress {
            finish = interview.questionsAnswered > 0 ? """
                <form method="post" action="\(path)/complete" class="card">\(Layout.csrf(member))
                <p>Done practising? Complete the interview and rate how it went.</p>\(ratingField(nil))
                <button type="submit">Complete interview</button></form>
                """ : .empty
        } else {
            finish = """
                <form method="post" action="\(path)/complete" class="card">\(Layout.csrf(member))
                <p class="done">Completed. How did it go?</p>\(ratingField(interview.rating))<button type="submit">Save rating</button></form>
                """
        }
        let body: HTML = """
            <h1>\(interview.title)</h1>
            <p class="meta">\(interview.questionsAnswered) of \(interview.questionsTotal) answered · \(interview.status == .completed ? "completed" : "in progress")</p>
            <ol class="questions">\(questions)</ol>
            \(finish)
            """
        return Layout.page(title: interview.title, member: member, frameAncestors: try await req.frameAncestors(for: member), body: body)
    }

    private static func ratingField(_ current: Int?) -> HTML {
        let options: [HTML] = (1...5).map { n in
            "<label class=\"rating\"><input type=\"radio\" name=\"rating\" value=\"\(n)\"\(current == n ? HTML(raw: " checked") : .empty)> \(n)</label>"
        }
        return "<fieldset><legend>Rating (1 = rough, 5 = great)</legend>\(options)</fieldset>"
    }

    /// `POST /members/interviews/{id}/answer` (`question`, `answer`).
    static func answerQuestion(req: Request) async throws -> Response {
        let member = try await req.requireMemberForm()
        let portico = req.portico
        guard let id = req.parameters.get("id", as: UUID.self) else { throw PageError.notFound }
        guard let number = try? req.content.get(Int.self, at: "question"), let text = try? req.content.get(String.self, at: "answer") else {
            throw PageError.invalid("Write an answer first.")
        }
        try await pageErrors {
            try await Learning.answer(interviewID: id, user: member.user, number: number, text: text, now: portico.clock.now(), store: portico.store)
        }
        return Layout.redirect(to: portico.url(SiteURL.interview(.value(id)).path))
    }

    /// `POST /members/interviews/{id}/complete` (optional `rating`): `interview.completed`.
    static func completeInterview(req: Request) async throws -> Response {
        let member = try await req.requireMemberForm()
        let portico = req.portico
        guard let id = req.parameters.get("id", as: UUID.self) else { throw PageError.notFound }
        let rating = (try? req.content.get(String.self, at: "rating")).flatMap { Int($0) }
        try await pageErrors {
            try await Learning.completeInterview(interviewID: id, user: member.user, rating: rating, now: portico.clock.now(), store: portico.store)
        }
        return Layout.redirect(to: portico.url(SiteURL.interview(.value(id)).path))
    }

    /// `GET /classroom/{enrollment_id}`: the course's lessons; only the enrollment's owner sees it.
    static func classroom(req: Request) async throws -> Response {
        let member = try await req.requireMember()
        let portico = req.portico
        let db = portico.store.db
        guard let id = req.parameters.get("enrollment_id", as: UUID.self),
              let enrollment = try await Learning.enrollment(id: id, user: member.user, on: db),
              let course = portico.curriculum.course(id: enrollment.courseID)
        else { throw PageError.notFound }
        let done = try await Learning.completedLessons(enrollmentID: id, on: db)
        let path = SiteURL.classroom(.value(id)).path
        let lessons: [HTML] = course.lessons.map { lesson in
            let paragraphs: [HTML] = lesson.body.map { "<p>\($0)</p>" }
            let action: HTML = done[lesson.number] != nil ? "<p class=\"done\">Completed ✓</p>" : """
                <form method="post" action="\(path)/lessons/\(lesson.number)/complete">\(Layout.csrf(member))<button type="submit">Mark lesson complete</button></form>
                """
            return "<article class=\"card lesson\" id=\"lesson-\(lesson.number)\"><h2>\(lesson.number). \(lesson.title)</h2>\(paragraphs)\(action)</article>"
        }
        let percent = course.lessons.isEmpty ? 0 : enrollment.lessonsCompleted * 100 / course.lessons.count
        let body: HTML = """
            <h1>\(course.title)</h1><p class="lead">\(course.description)</p>
            \(Layout.progressBar(percent: percent, label: course.title))
            <p class="meta">\(enrollment.lessonsCompleted) of \(course.lessons.count) lessons\(enrollment.status == .completed ? " · course completed" : "")</p>
            \(lessons)
            """
        return Layout.page(title: course.title, member: member, frameAncestors: try await req.frameAncestors(for: member), body: body)
    }

    /// `POST /classroom/{enrollment_id}/lessons/{number}/complete`.
    static func completeLesson(req: Request) async throws -> Response {
        let member = try await req.requireMemberForm()
        let portico = req.portico
        guard let id = req.parameters.get("enrollment_id", as: UUID.self), let number = req.parameters.get("number", as: Int.self) else {
            throw PageError.notFound
        }
        try await pageErrors {
            try await Learning.completeLesson(
                enrollmentID: id, number: number, user: member.user, curriculum: portico.curriculum, now: portico.clock.now(), store: portico.store
            )
        }
        return Layout.redirect(to: portico.url(SiteURL.classroom(.value(id)).path))
    }

    /// Core failures as page errors.
    private static func pageErrors(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as PorticoError {
            switch error {
            case .notFound: throw PageError.notFound
            case .invalid(let m), .conflict(let m): throw PageError.invalid(m)
            }
        }
    }
}
