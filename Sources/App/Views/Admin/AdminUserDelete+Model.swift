import FluentKit
import Foundation
import PorticoCore

/// `GET /admin/users/{partner_id}/delete`: what deleting the user removes, and the
/// button that does it (the Partner API's DELETE: `Users.delete`, `user.deleted`).
enum AdminUserDelete {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        var partnerID: String
        var email: String?
        var name: String
        var interviews: Int
        var enrollments: Int
        var subscriptions: Int
        var chaptersCompleted: Int
    }
}

extension AdminUserDelete.Model {
    static func query(user: UserRecord, admin: Layout.Admin, on db: any Database) async throws -> Self {
        .init(
            admin: admin, partnerID: user.partnerID, email: user.email, name: AdminUsers.Model.displayName(user),
            interviews: try await Interview.query(on: db).filter(\.$userID == user.id).count(),
            enrollments: try await Enrollment.query(on: db).filter(\.$userID == user.id).count(),
            subscriptions: try await Subscription.query(on: db).filter(\.$userID == user.id).count(),
            chaptersCompleted: try await TrackProgress.query(on: db).filter(\.$userID == user.id).count()
        )
    }

    static let mock = Self(
        admin: .mock, partnerID: "ann-lee", email: "ann@xyz.edu", name: "Ann Lee",
        interviews: 2, enrollments: 1, subscriptions: 1, chaptersCompleted: 3
    )

    static let mockHostile = Self(
        admin: .mock, partnerID: "x_y", email: "\"><script>alert('mail')</script>", name: "<script>name</script> O'Neil",
        interviews: 0, enrollments: 0, subscriptions: 1, chaptersCompleted: 0
    )
}
