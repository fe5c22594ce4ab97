import FluentKit
import Foundation
import PorticoCore
import Vapor

extension PartnerAPI {
    /// `GET /api/users/{partner_id}/tracks`: the numbers of the member dashboard.
    static func tracks(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let partnerID = try partnerIDParameter(req)
        let portico = req.portico
        guard !partnerID.isReserved,
              let (_, completed) = try await portico.hotPaths.trackProgress(orgID: key.orgID, partnerID: partnerID.value, now: portico.clock.now())
        else { throw APIError.userNotFound }
        let tracks = TrackSnapshot.all(curriculum: portico.curriculum, completed: completed) {
            portico.url(SiteURL.chapter($0))
        }
        return try JSONBody.response(TracksResponse(tracks: tracks))
    }

    /// `GET /api/users/{partner_id}/interviews[?limit=&cursor=]`.
    static func interviews(req: Request) async throws -> Response {
        let user = try await requireUser(req)
        var limit: Int?
        if let raw = req.queryValue("limit") {
            guard let value = Int(raw), (1...200).contains(value) else {
                throw APIError.invalidRequest("limit must be a whole number from 1 to 200")
            }
            limit = value
        }
        var cursor: InterviewCursor?
        if let raw = req.queryValue("cursor"), !raw.isEmpty {
            guard let parsed = InterviewCursor(encoded: raw) else { throw APIError.invalidRequest("cursor is not one this API returned") }
            cursor = parsed
        }
        let page = try await Users.interviews(userID: user.id, limit: limit, cursor: cursor, on: req.portico.store.db)
        return try JSONBody.response(InterviewsResponse(interviews: page.interviews, nextCursor: page.nextCursor))
    }

    /// `GET /api/users/{partner_id}/enrollments`.
    static func enrollments(req: Request) async throws -> Response {
        let user = try await requireUser(req)
        let portico = req.portico
        let list = try await Users.enrollments(userID: user.id, curriculum: portico.curriculum, on: portico.store.db)
        return try JSONBody.response(EnrollmentsResponse(enrollments: list))
    }

    /// `POST /api/users/{partner_id}/enrollments` `{"course_id"}`: idempotent per course.
    static func enroll(req: Request) async throws -> Response {
        let user = try await requireUser(req)
        let body = try JSONBody.decode(EnrollmentBody.self, from: req)
        let portico = req.portico
        guard let courseID = body.courseID, !courseID.isEmpty else { throw APIError.invalidRequest("course_id is required") }
        guard let course = portico.curriculum.course(id: courseID) else {
            throw APIError.invalidRequest("course_id: no course '\(courseID)' (see GET /api/courses)")
        }
        let (enrollment, created) = try await Users.enroll(
            user, course: course, actor: req.apiActor, ip: req.clientIP, now: portico.clock.now(), store: portico.store
        )
        return try JSONBody.response(EnrollmentResponse(enrollment: enrollment, created: created))
    }

    /// `POST /api/users/{partner_id}/subscriptions` `{"org"}`: the key's org or a descendant.
    static func subscribe(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let user = try await requireUser(req)
        let body = try JSONBody.decode(SubscriptionBody.self, from: req)
        guard let slug = body.org, !slug.isEmpty else { throw APIError.invalidRequest("org is required (an organization slug)") }
        let portico = req.portico
        let db = portico.store.db
        guard let org = try await Organizations.find(slug: slug, on: db), let orgID = org.id,
              try await Organizations.subtreeIDs(of: key.orgID, on: db).contains(orgID)
        else { throw APIError.notFound("no organization '\(slug)' under this API key's organization") }
        let (subscription, created) = try await Users.subscribe(
            user, to: org, actor: req.apiActor, ip: req.clientIP, now: portico.clock.now(), store: portico.store
        )
        return try JSONBody.response(SubscriptionResponse(
            subscription: .init(id: try subscription.requireID(), orgID: subscription.orgID, userID: subscription.userID),
            created: created
        ))
    }

    /// `GET /api/courses`: the classroom catalog.
    static func courses(req: Request) async throws -> Response {
        _ = try req.requireAPIKey()
        let courses = req.portico.curriculum.courses.map {
            CoursesResponse.Course(id: $0.id, title: $0.title, description: $0.description, lessonsTotal: $0.lessons.count)
        }
        return try JSONBody.response(CoursesResponse(courses: courses))
    }
}
