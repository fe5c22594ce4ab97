import Foundation

// The shapes in which Portico tells partners about things: the Partner API's objects,
// which webhook payloads carry too. An absent optional is written as `null`, never left
// out: `@NullEncoded` says so once for every such field (see Support/JSON.swift).

/// The Partner API's user object, without a token.
public struct UserSnapshot: Codable, Sendable, Equatable {
    public var id: UUID
    public var partnerID: String
    @NullEncoded public var email: String?
    @NullEncoded public var firstName: String?
    @NullEncoded public var lastName: String?
    public var anonymous: Bool
    @NullEncoded public var expiresAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var subscriptionID: UUID
    public var orgID: UUID

    public init(_ user: UserRecord) {
        id = user.id
        partnerID = user.partnerID
        email = user.email
        firstName = user.firstName
        lastName = user.lastName
        anonymous = user.anonymous
        expiresAt = user.expiresAt
        createdAt = user.createdAt
        updatedAt = user.updatedAt
        subscriptionID = user.subscriptionID
        orgID = user.orgID
    }

    enum CodingKeys: String, CodingKey {
        case id, email, anonymous
        case partnerID = "partner_id"
        case firstName = "first_name"
        case lastName = "last_name"
        case expiresAt = "expires_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case subscriptionID = "subscription_id"
        case orgID = "org_id"
    }

}

/// `{"user": …}`: the `data` of `user.*` events.
public struct UserEventData: Codable, Sendable, JSONTextEncodable {
    public var user: UserSnapshot
    public init(user: UserSnapshot) { self.user = user }

    public var jsonText: String { "{\"user\":" + user.jsonText + "}" }
}

/// The Partner API's interview object.
public struct InterviewSnapshot: Codable, Sendable, Equatable {
    public var id: UUID
    public var title: String
    public var kind: Interview.Kind
    public var status: Interview.Status
    public var questionsTotal: Int
    public var questionsAnswered: Int
    @NullEncoded public var rating: Int?
    public var createdAt: Date
    public var updatedAt: Date
    @NullEncoded public var completedAt: Date?

    public init(_ interview: Interview) {
        id = interview.id!
        title = interview.title
        kind = interview.kind
        status = interview.status
        questionsTotal = interview.questionsTotal
        questionsAnswered = interview.questionsAnswered
        rating = interview.rating
        createdAt = interview.createdAt
        updatedAt = interview.updatedAt
        completedAt = interview.completedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, title, kind, status, rating
        case questionsTotal = "questions_total"
        case questionsAnswered = "questions_answered"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case completedAt = "completed_at"
    }

}

/// The Partner API's enrollment object.
public struct EnrollmentSnapshot: Codable, Sendable, Equatable {
    public var id: UUID
    public var courseID: String
    public var courseTitle: String
    public var subscriptionID: UUID
    public var status: Enrollment.Status
    public var lessonsCompleted: Int
    public var lessonsTotal: Int
    public var createdAt: Date
    @NullEncoded public var completedAt: Date?

    public init(_ enrollment: Enrollment, course: Curriculum.Course?) {
        id = enrollment.id!
        courseID = enrollment.courseID
        courseTitle = course?.title ?? enrollment.courseID
        subscriptionID = enrollment.subscriptionID
        status = enrollment.status
        lessonsCompleted = enrollment.lessonsCompleted
        lessonsTotal = course?.lessons.count ?? 0
        createdAt = enrollment.createdAt
        completedAt = enrollment.completedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, status
        case courseID = "course_id"
        case courseTitle = "course_title"
        case subscriptionID = "subscription_id"
        case lessonsCompleted = "lessons_completed"
        case lessonsTotal = "lessons_total"
        case createdAt = "created_at"
        case completedAt = "completed_at"
    }

}

/// `{"user": …, "enrollment": …}`: the `data` of `enrollment.*` events.
public struct EnrollmentEventData: Codable, Sendable {
    public var user: UserSnapshot
    public var enrollment: EnrollmentSnapshot
    public init(user: UserSnapshot, enrollment: EnrollmentSnapshot) {
        self.user = user
        self.enrollment = enrollment
    }
}

/// A track with one user's progress: the numbers of the member dashboard.
public struct TrackSnapshot: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var chaptersTotal: Int
    public var chaptersCompleted: Int
    public var percentComplete: Int
    @NullEncoded public var completedAt: Date?
    @NullEncoded public var nextChapter: NextChapter?
    public var chapters: [ChapterState]

    public struct NextChapter: Codable, Sendable, Equatable {
        public var number: Int
        public var title: String
        public var url: String
    }

    public struct ChapterState: Codable, Sendable, Equatable {
        public var number: Int
        public var title: String
        @NullEncoded public var completedAt: Date?

        enum CodingKeys: String, CodingKey {
            case number, title
            case completedAt = "completed_at"
        }

    }

    enum CodingKeys: String, CodingKey {
        case id, name, chapters
        case chaptersTotal = "chapters_total"
        case chaptersCompleted = "chapters_completed"
        case percentComplete = "percent_complete"
        case completedAt = "completed_at"
        case nextChapter = "next_chapter"
    }

    /// Each track of `curriculum` with the progress in `completed` (chapter number → time).
    public static func all(
        curriculum: Curriculum, completed: [Int: Date], chapterURL: (Int) -> String
    ) -> [TrackSnapshot] {
        curriculum.tracks.map { track in
            let states = track.chapters.map { ChapterState(number: $0.number, title: $0.title, completedAt: completed[$0.number]) }
            let done = states.filter { $0.completedAt != nil }
            let next = track.chapters.first { completed[$0.number] == nil }
            let total = track.chapters.count
            return TrackSnapshot(
                id: track.id,
                name: track.name,
                chaptersTotal: total,
                chaptersCompleted: done.count,
                percentComplete: total == 0 ? 0 : done.count * 100 / total,
                completedAt: done.count == total ? done.compactMap(\.completedAt).max() : nil,
                nextChapter: next.map { NextChapter(number: $0.number, title: $0.title, url: chapterURL($0.number)) },
                chapters: states
            )
        }
    }
}
