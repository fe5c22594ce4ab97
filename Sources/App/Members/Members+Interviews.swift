import FluentKit
import Foundation
import PorticoCore
import Vapor

extension Members {
    /// `GET /members/interviews`: the member's interviews and the question sets to start one from.
    static func interviews(req: Request) async throws -> Response {
        let member = try await req.requireMember()
        let model = try await Interviews.Model.query(member: member, curriculum: req.portico.curriculum, on: req.portico.store.db)
        return try await req.memberPage(Interviews.view(model), for: member)
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
        guard let id = req.parameters.get(SiteURL.Key.interviewID, as: UUID.self),
              let model = try await InterviewDetail.Model.query(id: id, member: member, curriculum: req.portico.curriculum, on: req.portico.store.db)
        else { throw PageError.notFound }
        return try await req.memberPage(InterviewDetail.view(model), for: member)
    }

    /// `POST /members/interviews/{id}/answer` (`question`, `answer`).
    static func answerQuestion(req: Request) async throws -> Response {
        let member = try await req.requireMemberForm()
        let portico = req.portico
        guard let id = req.parameters.get(SiteURL.Key.interviewID, as: UUID.self) else { throw PageError.notFound }
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
        guard let id = req.parameters.get(SiteURL.Key.interviewID, as: UUID.self) else { throw PageError.notFound }
        let rating = (try? req.content.get(String.self, at: "rating")).flatMap { Int($0) }
        try await pageErrors {
            try await Learning.completeInterview(interviewID: id, user: member.user, rating: rating, now: portico.clock.now(), store: portico.store)
        }
        return Layout.redirect(to: portico.url(SiteURL.interview(.value(id)).path))
    }

    /// `GET /classroom/{enrollment_id}`: the course's lessons; only the enrollment's owner sees it.
    static func classroom(req: Request) async throws -> Response {
        let member = try await req.requireMember()
        guard let id = req.parameters.get(SiteURL.Key.enrollmentID, as: UUID.self),
              let model = try await Classroom.Model.query(enrollmentID: id, member: member, curriculum: req.portico.curriculum, on: req.portico.store.db)
        else { throw PageError.notFound }
        return try await req.memberPage(Classroom.view(model), for: member)
    }

    /// `POST /classroom/{enrollment_id}/lessons/{number}/complete`.
    static func completeLesson(req: Request) async throws -> Response {
        let member = try await req.requireMemberForm()
        let portico = req.portico
        guard let id = req.parameters.get(SiteURL.Key.enrollmentID, as: UUID.self), let number = req.parameters.get(SiteURL.Key.lessonNumber, as: Int.self) else {
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
