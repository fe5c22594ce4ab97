import Foundation

/// `GET|POST /login/admin`: the sign-in form, with the reason the last try failed.
enum AdminLogin {
    struct Model: Sendable, Equatable {
        /// The email as typed last time (normalized), to type it only once.
        var email: String
        var error: String?
        /// The double-submit token, repeated in the form's cookie (`AdminLoginCSRF`).
        var csrfToken: String
    }
}

extension AdminLogin.Model {
    static let mock = Self(email: "", error: nil, csrfToken: "00112233445566778899aabbccddeeff")
    static let mockWrong = Self(email: "admin@demo.example", error: "Wrong email or password.", csrfToken: mock.csrfToken)
    static let mockHostile = Self(email: "\"><script>alert(1)</script>", error: "<script>error</script>", csrfToken: mock.csrfToken)
}
