import Foundation

// The shapes in which Portico tells partners about things: the Partner API's
// objects, which webhook payloads carry too. Optional values are written as
// `null`, never left out.

/// A user as stored, with the subscription in the org that owns it.
public struct UserRecord: Sendable, Equatable {
    public var id: UUID
    public var orgID: UUID
    public var subscriptionID: UUID
    public var partnerID: String
    public var email: String?
    public var firstName: String?
    public var lastName: String?
    public var anonymous: Bool
    public var expiresAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID, orgID: UUID, subscriptionID: UUID, partnerID: String, email: String?, firstName: String?,
        lastName: String?, anonymous: Bool, expiresAt: Date?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.orgID = orgID
        self.subscriptionID = subscriptionID
        self.partnerID = partnerID
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.anonymous = anonymous
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Anonymous users are gone once `expires_at` has passed, even before the job deletes them.
    public func isLive(at now: Date) -> Bool {
        guard let expiresAt else { return true }
        return expiresAt > now
    }
}

/// The Partner API's user object, without a token.
public struct UserSnapshot: Codable, Sendable, Equatable {
    public var id: UUID
    public var partnerID: String
    public var email: String?
    public var firstName: String?
    public var lastName: String?
    public var anonymous: Bool
    public var expiresAt: Date?
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

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(partnerID, forKey: .partnerID)
        try c.encode(email, forKey: .email)
        try c.encode(firstName, forKey: .firstName)
        try c.encode(lastName, forKey: .lastName)
        try c.encode(anonymous, forKey: .anonymous)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(subscriptionID, forKey: .subscriptionID)
        try c.encode(orgID, forKey: .orgID)
    }
}

extension UserSnapshot: JSONTextEncodable {
    public var jsonText: String { json(token: nil) }

    /// The user object as JSON text, with `token` (a JSON object's text) as its
    /// `token` member when given; keys in the encoder's sorted order.
    public func json(token: String?) -> String {
        var out = "{\"anonymous\":" + (anonymous ? "true" : "false")
        out += ",\"created_at\":" + JSONText.time(createdAt)
        out += ",\"email\":" + JSONText.quoted(email)
        out += ",\"expires_at\":" + JSONText.time(expiresAt)
        out += ",\"first_name\":" + JSONText.quoted(firstName)
        out += ",\"id\":" + JSONText.id(id)
        out += ",\"last_name\":" + JSONText.quoted(lastName)
        out += ",\"org_id\":" + JSONText.id(orgID)
        out += ",\"partner_id\":" + JSONText.quoted(partnerID)
        out += ",\"subscription_id\":" + JSONText.id(subscriptionID)
        if let token { out += ",\"token\":" + token }
        out += ",\"updated_at\":" + JSONText.time(updatedAt) + "}"
        return out
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
    public var rating: Int?
    public var createdAt: Date
    public var updatedAt: Date
    public var completedAt: Date?

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

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(kind, forKey: .kind)
        try c.encode(status, forKey: .status)
        try c.encode(questionsTotal, forKey: .questionsTotal)
        try c.encode(questionsAnswered, forKey: .questionsAnswered)
        try c.encode(rating, forKey: .rating)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(completedAt, forKey: .completedAt)
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
    public var completedAt: Date?

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

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(courseID, forKey: .courseID)
        try c.encode(courseTitle, forKey: .courseTitle)
        try c.encode(subscriptionID, forKey: .subscriptionID)
        try c.encode(status, forKey: .status)
        try c.encode(lessonsCompleted, forKey: .lessonsCompleted)
        try c.encode(lessonsTotal, forKey: .lessonsTotal)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(completedAt, forKey: .completedAt)
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
    public var completedAt: Date?
    public var nextChapter: NextChapter?
    public var chapters: [ChapterState]

    public struct NextChapter: Codable, Sendable, Equatable {
        public var number: Int
        public var title: String
        public var url: String
    }

    public struct ChapterState: Codable, Sendable, Equatable {
        public var number: Int
        public var title: String
        public var completedAt: Date?

        enum CodingKeys: String, CodingKey {
            case number, title
            case completedAt = "completed_at"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(number, forKey: .number)
            try c.encode(title, forKey: .title)
            try c.encode(completedAt, forKey: .completedAt)
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

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(chaptersTotal, forKey: .chaptersTotal)
        try c.encode(chaptersCompleted, forKey: .chaptersCompleted)
        try c.encode(percentComplete, forKey: .percentComplete)
        try c.encode(completedAt, forKey: .completedAt)
        try c.encode(nextChapter, forKey: .nextChapter)
        try c.encode(chapters, forKey: .chapters)
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

/// The tracks answer is the Partner API's most frequent read: written as text, byte for
/// byte what the encoder writes (keys sorted), at a fraction of its cost.
extension TrackSnapshot: JSONTextEncodable {
    public var jsonText: String {
        var out = "{\"chapters\":[" + chapters.map(\.jsonText).joined(separator: ",")
        out += "],\"chapters_completed\":" + String(chaptersCompleted)
        out += ",\"chapters_total\":" + String(chaptersTotal)
        out += ",\"completed_at\":" + JSONText.time(completedAt)
        out += ",\"id\":" + JSONText.quoted(id)
        out += ",\"name\":" + JSONText.quoted(name)
        out += ",\"next_chapter\":" + (nextChapter?.jsonText ?? "null")
        out += ",\"percent_complete\":" + String(percentComplete) + "}"
        return out
    }
}

extension TrackSnapshot.ChapterState: JSONTextEncodable {
    public var jsonText: String {
        "{\"completed_at\":" + JSONText.time(completedAt) + ",\"number\":" + String(number) + ",\"title\":" + JSONText.quoted(title) + "}"
    }
}

extension TrackSnapshot.NextChapter: JSONTextEncodable {
    public var jsonText: String {
        "{\"number\":" + String(number) + ",\"title\":" + JSONText.quoted(title) + ",\"url\":" + JSONText.quoted(url) + "}"
    }
}
