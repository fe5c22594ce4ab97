import FluentKit
import Foundation
import PorticoCore

/// `GET /members/dashboard`: track progress (the numbers of the Partner API's tracks
/// endpoint), recent interviews, enrollments and the partner sites to launch.
enum MemberDashboard {
    struct Model: Sendable, Equatable {
        var member: Layout.Member
        var apps: [PartnerSite]
        var tracks: [Track]
        var interviews: [Interviews.Row]
        var enrollments: [Enrollment]

        /// A partner app the member can be launched to.
        struct PartnerSite: Sendable, Equatable {
            var slug: String
            var name: String
        }

        struct Track: Sendable, Equatable {
            var name: String
            var chaptersTotal: Int
            var chaptersCompleted: Int
            var percentComplete: Int
            /// The first chapter not completed; nil when the track is complete.
            var next: Chapter?

            struct Chapter: Sendable, Equatable {
                var number: Int
                var title: String
            }
        }

        struct Enrollment: Sendable, Equatable {
            var id: UUID
            var courseTitle: String
            var lessonsCompleted: Int
            var lessonsTotal: Int
            var completed: Bool
        }
    }
}

extension MemberDashboard.Model {
    /// The dashboard of `member`: tracks as `TrackSnapshot` counts them, the five
    /// newest interviews, every enrollment and the org's launchable apps.
    static func query(member: MemberContext, curriculum: Curriculum, on db: any Database) async throws -> Self {
        let user = member.user
        let completed = try await Learning.completedChapters(userID: user.id, on: db)
        let tracks = TrackSnapshot.all(curriculum: curriculum, completed: completed) { SiteURL.chapter($0) }
        let interviews = try await Users.interviews(userID: user.id, limit: 5, cursor: nil, on: db).interviews
        let enrollments = try await Users.enrollments(userID: user.id, curriculum: curriculum, on: db)
        let apps = try await PartnerApps.launchable(orgID: user.orgID, on: db)
        return .init(
            member: member.layout,
            apps: apps.map { .init(slug: $0.slug, name: $0.name) },
            tracks: tracks.map { track in
                .init(
                    name: track.name, chaptersTotal: track.chaptersTotal, chaptersCompleted: track.chaptersCompleted,
                    percentComplete: track.percentComplete, next: track.nextChapter.map { .init(number: $0.number, title: $0.title) }
                )
            },
            interviews: interviews.map(Interviews.Row.init),
            enrollments: enrollments.map { e in
                .init(
                    id: e.id, courseTitle: e.courseTitle, lessonsCompleted: e.lessonsCompleted, lessonsTotal: e.lessonsTotal,
                    completed: e.status == .completed
                )
            }
        )
    }

    static let mock = Self(
        member: .mock,
        apps: [.init(slug: "tutoring", name: "Demo Tutoring")],
        tracks: [
            .init(name: "Interview Foundations", chaptersTotal: 6, chaptersCompleted: 1, percentComplete: 16,
                  next: .init(number: 2, title: "Your \"Tell Me About Yourself\" Answer")),
            .init(name: "Mastering Behavioral Interviews", chaptersTotal: 6, chaptersCompleted: 6, percentComplete: 100, next: nil),
        ],
        interviews: [.mock],
        enrollments: [.init(id: UUID(uuidString: "0e5a5e8e-3c1d-4c1a-9d3e-2b7a3c0f1a01")!, courseTitle: "Resume Essentials",
                            lessonsCompleted: 1, lessonsTotal: 4, completed: false)]
    )

    /// Nothing yet: no apps, no interviews, no enrollments.
    static let mockEmpty = Self(member: .mock, apps: [], tracks: mock.tracks, interviews: [], enrollments: [])

    static let mockHostile = Self(
        member: .mockHostile,
        apps: [.init(slug: "x\"><script>", name: "<script>alert('app')</script>")],
        tracks: [.init(name: "<script>track</script>", chaptersTotal: 2, chaptersCompleted: 0, percentComplete: 0,
                       next: .init(number: 1, title: "\"><script>chapter</script>"))],
        interviews: [.mockHostile],
        enrollments: [.init(id: UUID(uuidString: "0e5a5e8e-3c1d-4c1a-9d3e-2b7a3c0f1a02")!, courseTitle: "<script>course</script>",
                            lessonsCompleted: 0, lessonsTotal: 1, completed: true)]
    )
}
