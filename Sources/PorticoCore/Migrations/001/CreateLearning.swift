import FluentKit

/// Track progress, practice interviews and classroom enrollments.
struct CreateLearning: AsyncMigration {
    var name: String { "001_create_learning" }

    func prepare(on database: any Database) async throws {
        try await database.schema("track_progress")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("chapter_number", .int, .required)
            .field("completed_at", .datetime, .required)
            .unique(on: "user_id", "chapter_number")
            .create()
        try await database.schema("interviews")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("title", .string, .required)
            .field("kind", .string, .required)
            .field("question_set", .string, .required)
            .field("status", .string, .required)
            .field("questions_total", .int, .required)
            .field("questions_answered", .int, .required)
            .field("rating", .int)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("completed_at", .datetime)
            .create()
        try await database.schema("interview_answers")
            .id()
            .field("interview_id", .uuid, .required, .references("interviews", "id", onDelete: .cascade))
            .field("question_number", .int, .required)
            .field("answer", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "interview_id", "question_number")
            .create()
        try await database.schema("enrollments")
            .id()
            .field("subscription_id", .uuid, .required, .references("subscriptions", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("course_id", .string, .required)
            .field("status", .string, .required)
            .field("lessons_completed", .int, .required)
            .field("created_at", .datetime, .required)
            .field("completed_at", .datetime)
            .unique(on: "subscription_id", "course_id")
            .create()
        try await database.schema("enrollment_lessons")
            .id()
            .field("enrollment_id", .uuid, .required, .references("enrollments", "id", onDelete: .cascade))
            .field("lesson_number", .int, .required)
            .field("completed_at", .datetime, .required)
            .unique(on: "enrollment_id", "lesson_number")
            .create()
    }

    func revert(on database: any Database) async throws {
        for table in ["enrollment_lessons", "enrollments", "interview_answers", "interviews", "track_progress"] {
            try await database.schema(table).delete()
        }
    }
}
