import FluentKit
import Foundation
import PorticoCore

/// `GET /members/interviews/{id}`: the questions, the next one to answer, then
/// completing and rating.
enum InterviewDetail {
    struct Model: Sendable, Equatable {
        var member: Layout.Member
        var id: UUID
        var title: String
        var completed: Bool
        var questionsAnswered: Int
        var questionsTotal: Int
        var rating: Int?
        var questions: [Question]

        struct Question: Sendable, Equatable {
            var number: Int
            var text: String
            var tip: String
            var state: State

            enum State: Sendable, Equatable {
                case answered(String)
                /// The next one to answer (only while the interview is in progress).
                case current
                case open
            }
        }
    }
}

extension InterviewDetail.Model {
    /// The interview `id` of `member`; nil when it is not theirs or its question set is gone.
    static func query(id: UUID, member: MemberContext, curriculum: Curriculum, on db: any Database) async throws -> Self? {
        guard let interview = try await Learning.interview(id: id, user: member.user, on: db),
              let set = curriculum.questionSet(id: interview.questionSet)
        else { return nil }
        let answers = try await Learning.answers(interviewID: id, on: db)
        let inProgress = interview.status == .inProgress
        let nextOpen = set.questions.indices.first { answers[$0 + 1] == nil }
        return .init(
            member: member.layout, id: id, title: interview.title, completed: !inProgress,
            questionsAnswered: interview.questionsAnswered, questionsTotal: interview.questionsTotal, rating: interview.rating,
            questions: set.questions.enumerated().map { offset, q in
                let number = offset + 1
                let state: Question.State = if let answer = answers[number] {
                    .answered(answer)
                } else if inProgress, offset == nextOpen {
                    .current
                } else {
                    .open
                }
                return .init(number: number, text: q.text, tip: q.tip, state: state)
            }
        )
    }

    static let mock = Self(
        member: .mock, id: UUID(uuidString: "1f0e7d2c-0000-4000-8000-000000000001")!, title: "Common Interview Questions",
        completed: false, questionsAnswered: 1, questionsTotal: 3, rating: nil,
        questions: [
            .init(number: 1, text: "Tell me about yourself.", tip: "Keep it short.", state: .answered("I like puzzles.")),
            .init(number: 2, text: "Why do you want to work here?", tip: "Know the company.", state: .current),
            .init(number: 3, text: "What are your greatest strengths?", tip: "Give examples.", state: .open),
        ]
    )

    /// Started, nothing answered yet: no way to complete it.
    static let mockNew = Self(
        member: .mock, id: mock.id, title: mock.title, completed: false, questionsAnswered: 0, questionsTotal: 3, rating: nil,
        questions: mock.questions.enumerated().map { offset, q in
            var q = q
            q.state = offset == 0 ? .current : .open
            return q
        }
    )

    static let mockCompleted = Self(
        member: .mock, id: mock.id, title: mock.title, completed: true, questionsAnswered: 1, questionsTotal: 3, rating: 4,
        questions: mock.questions.map { q in
            var q = q
            if q.state == .current { q.state = .open }
            return q
        }
    )

    static let mockHostile = Self(
        member: .mockHostile, id: mock.id, title: "<script>alert('title')</script>",
        completed: false, questionsAnswered: 1, questionsTotal: 2, rating: nil,
        questions: [
            .init(number: 1, text: "<script>q1</script>", tip: "tip", state: .answered("</blockquote><script>alert(1)</script> & 'q'")),
            .init(number: 2, text: "<script>q2</script>", tip: "\"><script>tip</script>", state: .current),
        ]
    )
}
