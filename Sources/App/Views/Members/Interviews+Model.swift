import FluentKit
import Foundation
import PorticoCore

/// `GET /members/interviews`: the member's interviews and the question sets to start one from.
enum Interviews {
    struct Model: Sendable, Equatable {
        var member: Layout.Member
        var questionSets: [QuestionSet]
        var interviews: [Row]

        struct QuestionSet: Sendable, Equatable {
            var id: String
            var title: String
            var kind: String
            var questionCount: Int
        }
    }

    /// One interview in a list (dashboard, interviews page).
    struct Row: Sendable, Equatable {
        var id: UUID
        var title: String
        var completed: Bool
        var questionsAnswered: Int
        var questionsTotal: Int
        var rating: Int?
    }
}

extension Interviews.Model {
    /// Every interview of `member` and every question set of the curriculum.
    static func query(member: MemberContext, curriculum: Curriculum, on db: any Database) async throws -> Self {
        let all = try await Users.interviews(userID: member.user.id, limit: nil, cursor: nil, on: db).interviews
        return .init(
            member: member.layout,
            questionSets: curriculum.questionSets.map { .init(id: $0.id, title: $0.title, kind: $0.kind.rawValue, questionCount: $0.questions.count) },
            interviews: all.map(Interviews.Row.init)
        )
    }

    static let mock = Self(
        member: .mock,
        questionSets: [.init(id: "general-interview-questions", title: "Common Interview Questions", kind: "general", questionCount: 6)],
        interviews: [.mock]
    )

    static let mockEmpty = Self(member: .mock, questionSets: mock.questionSets, interviews: [])

    static let mockHostile = Self(
        member: .mockHostile,
        questionSets: [.init(id: "x\"><script>", title: "<script>set</script>", kind: "general", questionCount: 1)],
        interviews: [.mockHostile]
    )
}

extension Interviews.Row {
    init(_ snapshot: InterviewSnapshot) {
        self.init(
            id: snapshot.id, title: snapshot.title, completed: snapshot.status == .completed,
            questionsAnswered: snapshot.questionsAnswered, questionsTotal: snapshot.questionsTotal, rating: snapshot.rating
        )
    }

    static let mock = Self(
        id: UUID(uuidString: "1f0e7d2c-0000-4000-8000-000000000001")!, title: "Common Interview Questions", completed: true,
        questionsAnswered: 6, questionsTotal: 6, rating: 4
    )

    static let mockHostile = Self(
        id: UUID(uuidString: "1f0e7d2c-0000-4000-8000-000000000002")!, title: "<script>alert('interview')</script>", completed: false,
        questionsAnswered: 1, questionsTotal: 6, rating: nil
    )
}
