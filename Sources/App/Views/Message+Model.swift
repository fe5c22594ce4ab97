import Foundation

/// A small page with a heading and a message: sign-in outcomes, the signed-out page,
/// errors. No member chrome (the header only).
enum Message {
    struct Model: Sendable, Equatable {
        var title: String
        var text: String
        /// A link after the text (`… <a href="url">text</a>.`), e.g. back to a sign-in form.
        var link: Link?

        struct Link: Sendable, Equatable {
            var text: String
            var url: String
        }

        init(title: String, text: String, link: Link? = nil) {
            self.title = title
            self.text = text
            self.link = link
        }
    }
}

extension Message.Model {
    // MARK: - Browser sign-in (`/login/sso`, `/signed-out`)

    static let tokenUsed = Self(
        title: "This sign-in link has been used",
        text: "Each link signs you in once. Go back to your organization's site and follow the link again."
    )
    static let tokenExpired = Self(
        title: "This sign-in link has expired",
        text: "Sign-in links are valid for a limited time. Go back to your organization's site and follow the link again."
    )
    static let tokenUnknown = Self(
        title: "This sign-in link is not valid",
        text: "Check that you copied the whole link, or start again from your organization's site."
    )
    static let signedOut = Self(
        title: "You are signed out", text: "You can close this window, or sign in again from your organization's site."
    )

    // MARK: - Errors

    static let notFound = Self(title: "Not found", text: "There is nothing here.")
    static let tooManyFailures = Self(title: "Too many attempts", text: "Too many sign-in links from your network did not work. Try again in a minute.")
    static let badRequest = Self(title: "That did not work", text: "The request could not be handled.")
    static let tooMuchData = Self(title: "That did not work", text: "That was too much data.")
    static let internalError = Self(title: "Something went wrong", text: "Please try again in a moment.")

    // MARK: - Mocks

    static let mock = signedOut
    static let mockHostile = Self(
        title: "<script>alert(\"t\")</script>", text: "It's <b>bold</b> & \"quoted\"",
        link: .init(text: "<i>Sign in</i>", url: "/login?x=\"><script>")
    )
}
