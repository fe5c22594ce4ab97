import FluentKit
import Foundation
import PorticoCore

/// `GET /members/curriculum`: every track's chapters, the completed ones ticked.
enum CurriculumIndex {
    struct Model: Sendable, Equatable {
        var member: Layout.Member
        var tracks: [Track]

        struct Track: Sendable, Equatable {
            var name: String
            var chapters: [Chapter]
        }

        struct Chapter: Sendable, Equatable {
            var number: Int
            var title: String
            var completed: Bool
        }
    }
}

extension CurriculumIndex.Model {
    static func query(member: MemberContext, curriculum: Curriculum, on db: any Database) async throws -> Self {
        let completed = try await Learning.completedChapters(userID: member.user.id, on: db)
        return .init(member: member.layout, tracks: curriculum.tracks.map { track in
            .init(name: track.name, chapters: track.chapters.map { .init(number: $0.number, title: $0.title, completed: completed[$0.number] != nil) })
        })
    }

    static let mock = Self(member: .mock, tracks: [
        .init(name: "Interview Foundations", chapters: [
            .init(number: 1, title: "First Impressions", completed: true),
            .init(number: 2, title: "Your \"Tell Me About Yourself\" Answer", completed: false),
        ]),
    ])

    static let mockHostile = Self(member: .mockHostile, tracks: [
        .init(name: "<script>track</script>", chapters: [.init(number: 1, title: "<script>alert('c')</script>", completed: true)]),
    ])
}
