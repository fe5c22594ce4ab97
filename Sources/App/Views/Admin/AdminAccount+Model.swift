import Foundation
import PorticoCore

/// `GET /admin/account` (any admin): who you are, and the form to change your password.
enum AdminAccount {
    struct Model: Sendable, Equatable {
        var admin: Layout.Admin
        var email: String
        /// The org the admin belongs to (their permissions hold there and below).
        var homeOrgName: String
        var permissions: [String]
        /// Right after a change: the password changed, other sessions ended.
        var changed: Bool
        var currentError: String?
        var newError: String?
        var repeatError: String?
    }
}

extension AdminAccount.Model {
    /// Everything is in the admin's session context: no query.
    init(context: AdminContext, changed: Bool = false, currentError: String? = nil, newError: String? = nil, repeatError: String? = nil) {
        self.init(
            admin: context.layout, email: context.admin.email, homeOrgName: context.home.name, permissions: context.admin.permissions,
            changed: changed, currentError: currentError, newError: newError, repeatError: repeatError
        )
    }

    static let mock = Self(
        admin: .mock, email: "admin@demo.example", homeOrgName: "Demo University", permissions: ["manage_keys", "manage_org"],
        changed: false, currentError: nil, newError: nil, repeatError: nil
    )

    static let mockChanged = Self(
        admin: .mock, email: "admin@demo.example", homeOrgName: "Demo University", permissions: ["manage_keys"],
        changed: true, currentError: nil, newError: nil, repeatError: nil
    )

    static let mockHostile = Self(
        admin: .mock, email: "\"><script>alert('me')</script>@x.example", homeOrgName: "<script>org</script>", permissions: ["<b>p</b>"],
        changed: false, currentError: "<script>c</script>", newError: "<i>n</i>", repeatError: "\"><b>r</b>"
    )
}
