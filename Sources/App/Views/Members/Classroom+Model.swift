import FluentKit
import Foundation
import PorticoCore

/// `GET /classroom/{enrollment_id}`: the course's lessons; only the enrollment's owner sees it.
enum Classroom {
    struct Model: Sendable, Equatable {
        var member: Layout.Member
        var enrollmentID: UUID
        var courseTitle: String
        var courseDescription: String
        /// As the enrollment counts them.
        var lessonsCompleted: Int
        var courseCompleted: Bool
        var lessons: [Lesson]

        struct Lesson: Sendable, Equatable {
            var number: Int
            var title: String
            var paragraphs: [String]
            var completed: Bool
        }

        var percentComplete: Int { lessons.isEmpty ? 0 : lessonsCompleted * 100 / lessons.count }
    }
}

extension Classroom.Model {
    /// The enrollment `id` of `member`; nil when it is not theirs or its course is gone.
    static func query(enrollmentID id: UUID, member: MemberContext, curriculum: Curriculum, on db: any Database) async throws -> Self? {
        guard let enrollment = try await Learning.enrollment(id: id, user: member.user, on: db),
              let course = curriculum.course(id: enrollment.courseID)
        else { return nil }
        let done = try await Learning.completedLessons(enrollmentID: id, on: db)
        return .init(
            member: member.layout, enrollmentID: id, courseTitle: course.title, courseDescription: course.description,
            lessonsCompleted: enrollment.lessonsCompleted, courseCompleted: enrollment.status == .completed,
            lessons: course.lessons.map { .init(number: $0.number, title: $0.title, paragraphs: $0.body, completed: done[$0.number] != nil) }
        )
    }

    static let mock = Self(
        member: .mock, enrollmentID: UUID(uuidString: "0e5a5e8e-3c1d-4c1a-9d3e-2b7a3c0f1a01")!,
        courseTitle: "Resume Essentials", courseDescription: "Write a resume that gets read.",
        lessonsCompleted: 1, courseCompleted: false,
        lessons: [
            .init(number: 1, title: "One page", paragraphs: ["Keep it short.", "Lead with results."], completed: true),
            .init(number: 2, title: "Verbs", paragraphs: ["Use strong verbs."], completed: false),
        ]
    )

    static let mockHostile = Self(
        member: .mockHostile, enrollmentID: mock.enrollmentID,
        courseTitle: "<script>course</script>", courseDescription: "\"quoted\" & <b>bold</b>",
        lessonsCompleted: 2, courseCompleted: true,
        lessons: [
            .init(number: 1, title: "<script>lesson</script>", paragraphs: ["<img src=x onerror=alert(1)>"], completed: true),
            .init(number: 2, title: "'single'", paragraphs: [], completed: true),
        ]
    )
}
