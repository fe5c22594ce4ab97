import FluentKit
import Foundation
import PorticoCore

/// `GET /members/curriculum?chapter=N`: one chapter, a way to mark it complete, the next one.
enum CurriculumChapter {
    struct Model: Sendable, Equatable {
        var member: Layout.Member
        var trackName: String
        var number: Int
        var title: String
        var summary: String
        var paragraphs: [String]
        var completed: Bool
        /// The next chapter of the same track.
        var next: Next?

        struct Next: Sendable, Equatable {
            var number: Int
            var title: String
        }
    }
}

extension CurriculumChapter.Model {
    /// Chapter `number` for `member`; nil when the curriculum has no such chapter.
    static func query(number: Int, member: MemberContext, curriculum: Curriculum, on db: any Database) async throws -> Self? {
        guard let (track, chapter) = curriculum.chapter(number: number) else { return nil }
        let completed = try await Learning.completedChapters(userID: member.user.id, on: db)
        let position = track.chapters.firstIndex { $0.number == number } ?? 0
        let next = track.chapters.indices.contains(position + 1) ? track.chapters[position + 1] : nil
        return .init(
            member: member.layout, trackName: track.name, number: number, title: chapter.title, summary: chapter.summary,
            paragraphs: chapter.body, completed: completed[number] != nil, next: next.map { .init(number: $0.number, title: $0.title) }
        )
    }

    static let mock = Self(
        member: .mock, trackName: "Interview Foundations", number: 1, title: "First Impressions",
        summary: "The first minute matters.", paragraphs: ["Arrive early.", "Smile."], completed: false,
        next: .init(number: 2, title: "Your \"Tell Me About Yourself\" Answer")
    )

    static let mockCompleted = Self(
        member: .mock, trackName: mock.trackName, number: 6, title: "Last Words", summary: "Close well.",
        paragraphs: ["Ask questions."], completed: true, next: nil
    )

    static let mockHostile = Self(
        member: .mockHostile, trackName: "<script>track</script>", number: 1, title: "<script>alert('title')</script>",
        summary: "\"><script>summary</script>", paragraphs: ["<iframe src=x>"], completed: false,
        next: .init(number: 2, title: "<script>next</script>")
    )
}
