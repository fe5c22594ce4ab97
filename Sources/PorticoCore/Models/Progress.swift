import FluentKit
import Foundation

/// One completed curriculum chapter of one user.
public final class TrackProgress: Model, @unchecked Sendable {
    public static let schema = "track_progress"

    @ID(key: .id) public var id: UUID?
    @Field(key: "user_id") public var userID: UUID
    @Field(key: "chapter_number") public var chapterNumber: Int
    @Field(key: "completed_at") public var completedAt: Date

    public init() {}
}

/// A practice interview of a member.
public final class Interview: Model, @unchecked Sendable {
    public static let schema = "interviews"

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    // reference fields
    @Field(key: "user_id") public var userID: UUID

    // data fields
    @Field(key: "title") public var title: String
    @Field(key: "kind") public var kind: Kind
    @Field(key: "question_set") public var questionSet: String
    @Field(key: "status") public var status: Status
    @Field(key: "questions_total") public var questionsTotal: Int
    @Field(key: "questions_answered") public var questionsAnswered: Int
    @OptionalField(key: "rating") public var rating: Int?
    @OptionalField(key: "completed_at") public var completedAt: Date?

    public init() {}

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case general, behavioral, industry
    }

    public enum Status: String, Codable, Sendable {
        case inProgress = "in_progress"
        case completed
    }
}

/// A member's answer to one question of a practice interview.
public final class InterviewAnswer: Model, @unchecked Sendable {
    public static let schema = "interview_answers"

    @ID(key: .id) public var id: UUID?
    @Field(key: "interview_id") public var interviewID: UUID
    @Field(key: "question_number") public var questionNumber: Int
    @Field(key: "answer") public var answer: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// A subscription's place in a course (the SSO API's "classroom").
public final class Enrollment: Model, @unchecked Sendable {
    public static let schema = "enrollments"

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Field(key: "created_at") public var createdAt: Date

    // reference fields
    @Field(key: "subscription_id") public var subscriptionID: UUID
    @Field(key: "user_id") public var userID: UUID

    // data fields
    @Field(key: "course_id") public var courseID: String
    @Field(key: "status") public var status: Status
    @Field(key: "lessons_completed") public var lessonsCompleted: Int
    @OptionalField(key: "completed_at") public var completedAt: Date?

    public init() {}

    public enum Status: String, Codable, Sendable {
        case active, completed
    }
}

/// One completed lesson of an enrollment.
public final class EnrollmentLesson: Model, @unchecked Sendable {
    public static let schema = "enrollment_lessons"

    @ID(key: .id) public var id: UUID?
    @Field(key: "enrollment_id") public var enrollmentID: UUID
    @Field(key: "lesson_number") public var lessonNumber: Int
    @Field(key: "completed_at") public var completedAt: Date

    public init() {}
}
