import FluentKit
import Foundation
import PorticoCore

/// `GET /admin/users/{partner_id}`: one user's profile, subscriptions, track progress
/// (the numbers of the Partner API's tracks endpoint and the member dashboard: both
/// `TrackSnapshot.all`), practice interviews, enrollments and sign-ins (the audit log's
/// `sso.login` entries); after `sign-in-link`, the link, this once.
enum AdminUser {
    /// Interviews and sign-ins shown, newest first.
    static let listLimit = 50

    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        var profile: Profile
        var subscriptions: [SubscriptionRow]
        var tracks: [Track]
        var interviews: [InterviewRow]
        /// More interviews than `listLimit`.
        var moreInterviews: Bool
        var enrollments: [EnrollmentRow]
        var signIns: [SignInRow]
        var signInLink: SignInLink?

        struct Profile: Sendable, Equatable {
            var id: UUID
            var partnerID: String
            var email: String?
            var firstName: String?
            var lastName: String?
            var anonymous: Bool
            var createdAt: Date
            var updatedAt: Date
            var expiresAt: Date?
        }

        struct SubscriptionRow: Sendable, Equatable {
            var id: UUID
            var orgSlug: String
            var orgName: String
            var createdAt: Date
            var logoutURL: String?
            var invalidTokenURL: String?
            var expiredTokenURL: String?
        }

        struct Track: Sendable, Equatable {
            var id: String
            var name: String
            var chaptersTotal: Int
            var chaptersCompleted: Int
            var percentComplete: Int
            var completedAt: Date?
            var next: String?
        }

        struct InterviewRow: Sendable, Equatable {
            var title: String
            var kind: String
            var status: String
            var questionsAnswered: Int
            var questionsTotal: Int
            var rating: Int?
            var updatedAt: Date
        }

        struct EnrollmentRow: Sendable, Equatable {
            var courseTitle: String
            var status: String
            var lessonsCompleted: Int
            var lessonsTotal: Int
            var createdAt: Date
        }

        struct SignInRow: Sendable, Equatable {
            var at: Date
            var ip: String?
        }

        /// A support sign-in link just issued: the only time it is shown.
        struct SignInLink: Sendable, Equatable {
            var url: String
            var expiresAt: Date
        }
    }
}

extension AdminUser.Model {
    static func query(
        user: UserRecord, admin: Layout.Admin, curriculum: Curriculum, signInLink: SignInLink?, on db: any Database
    ) async throws -> Self {
        let subscriptions = try await Users.subscriptions(userID: user.id, on: db)
        let orgIDs = Array(Set(subscriptions.map(\.orgID)))
        let orgs = Dictionary(
            try await Organization.query(on: db).filter(\.$id ~~ orgIDs).all().map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a }
        )
        let completed = try await Learning.completedChapters(userID: user.id, on: db)
        let tracks = TrackSnapshot.all(curriculum: curriculum, completed: completed) { SiteURL.chapter($0) }
        let interviews = try await Users.interviews(userID: user.id, limit: AdminUser.listLimit, cursor: nil, on: db)
        let enrollments = try await Users.enrollments(userID: user.id, curriculum: curriculum, on: db)
        let signIns = try await Users.signIns(user, limit: AdminUser.listLimit, on: db)
        return .init(
            admin: admin,
            profile: .init(
                id: user.id, partnerID: user.partnerID, email: user.email, firstName: user.firstName, lastName: user.lastName,
                anonymous: user.anonymous, createdAt: user.createdAt, updatedAt: user.updatedAt, expiresAt: user.expiresAt
            ),
            subscriptions: subscriptions.map { s in
                let org = orgs[s.orgID]
                return .init(
                    id: s.id!, orgSlug: org?.slug ?? "", orgName: org?.name ?? "", createdAt: s.createdAt,
                    logoutURL: s.logoutURL, invalidTokenURL: s.invalidTokenURL, expiredTokenURL: s.expiredTokenURL
                )
            },
            tracks: tracks.map { Track($0) },
            interviews: interviews.interviews.map { i in
                .init(title: i.title, kind: i.kind.rawValue, status: i.status.rawValue, questionsAnswered: i.questionsAnswered,
                      questionsTotal: i.questionsTotal, rating: i.rating, updatedAt: i.updatedAt)
            },
            moreInterviews: interviews.nextCursor != nil,
            enrollments: enrollments.map { e in
                .init(courseTitle: e.courseTitle, status: e.status.rawValue, lessonsCompleted: e.lessonsCompleted,
                      lessonsTotal: e.lessonsTotal, createdAt: e.createdAt)
            },
            signIns: signIns.map { .init(at: $0.at, ip: $0.ip) },
            signInLink: signInLink
        )
    }

    static let mock = Self(
        admin: .mock,
        profile: .init(
            id: UUID(uuidString: "6a1f0c2e-1d4b-4c55-9b0e-0f4f3c2a1b10")!, partnerID: "ann-lee", email: "ann@xyz.edu",
            firstName: "Ann", lastName: "Lee", anonymous: false,
            createdAt: Date(timeIntervalSince1970: 1_764_547_200), updatedAt: Date(timeIntervalSince1970: 1_767_225_600), expiresAt: nil
        ),
        subscriptions: [
            .init(id: UUID(uuidString: "6a1f0c2e-1d4b-4c55-9b0e-0f4f3c2a1b11")!, orgSlug: "demo", orgName: "Demo University",
                  createdAt: Date(timeIntervalSince1970: 1_764_547_200), logoutURL: "https://lms.demo.example/logout",
                  invalidTokenURL: nil, expiredTokenURL: nil),
        ],
        tracks: [
            .init(id: "interview-foundations", name: "Interview Foundations", chaptersTotal: 6, chaptersCompleted: 2, percentComplete: 33,
                  completedAt: nil, next: "3. Researching the Employer"),
            .init(id: "behavioral", name: "Mastering Behavioral Interviews", chaptersTotal: 6, chaptersCompleted: 6, percentComplete: 100,
                  completedAt: Date(timeIntervalSince1970: 1_767_225_600), next: nil),
        ],
        interviews: [
            .init(title: "General practice", kind: "general", status: "completed", questionsAnswered: 5, questionsTotal: 5, rating: 4,
                  updatedAt: Date(timeIntervalSince1970: 1_767_225_600)),
        ],
        moreInterviews: false,
        enrollments: [
            .init(courseTitle: "Resume Essentials", status: "active", lessonsCompleted: 1, lessonsTotal: 4,
                  createdAt: Date(timeIntervalSince1970: 1_767_225_600)),
        ],
        signIns: [.init(at: Date(timeIntervalSince1970: 1_767_312_000), ip: "203.0.113.7")],
        signInLink: nil
    )

    static let mockWithLink: Self = {
        var model = mock
        model.signInLink = .init(url: "http://127.0.0.1:8080/login/sso?token=a1b2c3d4e5f60718293a4b5c6d7e8f90",
                                 expiresAt: Date(timeIntervalSince1970: 1_767_398_400))
        return model
    }()

    static let mockHostile = Self(
        admin: .mock,
        profile: .init(
            id: UUID(uuidString: "6a1f0c2e-1d4b-4c55-9b0e-0f4f3c2a1b12")!, partnerID: "x_y-z", email: "\"><script>alert('mail')</script>",
            firstName: "<script>first</script>", lastName: "O'Neil & <b>", anonymous: true,
            createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0), expiresAt: Date(timeIntervalSince1970: 86_400)
        ),
        subscriptions: [
            .init(id: UUID(uuidString: "6a1f0c2e-1d4b-4c55-9b0e-0f4f3c2a1b13")!, orgSlug: "\"><script>", orgName: "<script>org</script>",
                  createdAt: Date(timeIntervalSince1970: 0), logoutURL: "https://e.example/?\"><script>x</script>",
                  invalidTokenURL: "<i>", expiredTokenURL: "'\"")
        ],
        tracks: [.init(id: "t", name: "<script>track</script>", chaptersTotal: 1, chaptersCompleted: 0, percentComplete: 0,
                       completedAt: nil, next: "\"><script>chapter</script>")],
        interviews: [.init(title: "<script>interview</script>", kind: "<b>", status: "\"", questionsAnswered: 0, questionsTotal: 1,
                           rating: nil, updatedAt: Date(timeIntervalSince1970: 0))],
        moreInterviews: true,
        enrollments: [.init(courseTitle: "<script>course</script>", status: "<i>", lessonsCompleted: 0, lessonsTotal: 1,
                            createdAt: Date(timeIntervalSince1970: 0))],
        signIns: [.init(at: Date(timeIntervalSince1970: 0), ip: "<script>ip</script>")],
        signInLink: .init(url: "\"><script>link</script>", expiresAt: Date(timeIntervalSince1970: 0))
    )
}

extension AdminUser.Model.Track {
    /// A track as the Partner API and the dashboard count it.
    init(_ track: TrackSnapshot) {
        self.init(
            id: track.id, name: track.name, chaptersTotal: track.chaptersTotal, chaptersCompleted: track.chaptersCompleted,
            percentComplete: track.percentComplete, completedAt: track.completedAt,
            next: track.nextChapter.map { "\($0.number). \($0.title)" }
        )
    }
}
