import FluentKit
import Foundation
import PorticoCore
import Vapor

extension Members {
    /// `GET /members/dashboard`: track progress, recent interviews and enrollments.
    static func dashboard(req: Request) async throws -> Response {
        let member = try await req.requireMember()
        let model = try await MemberDashboard.Model.query(member: member, curriculum: req.portico.curriculum, on: req.portico.store.db)
        return try await req.memberPage(MemberDashboard.view(model), for: member)
    }

    /// `GET /members/curriculum[?chapter=N]`: a chapter, or the list of all of them.
    static func curriculum(req: Request) async throws -> Response {
        let member = try await req.requireMember()
        let portico = req.portico
        guard let raw = req.queryValue("chapter") else {
            let model = try await CurriculumIndex.Model.query(member: member, curriculum: portico.curriculum, on: portico.store.db)
            return try await req.memberPage(CurriculumIndex.view(model), for: member)
        }
        guard let number = Int(raw),
              let model = try await CurriculumChapter.Model.query(number: number, member: member, curriculum: portico.curriculum, on: portico.store.db)
        else { throw PageError.notFound }
        return try await req.memberPage(CurriculumChapter.view(model), for: member)
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
