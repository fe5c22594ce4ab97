import Foundation

extension AdminLogin {
    static func view(_ model: Model) -> HTML {
        Layout.document(title: "Admin sign-in", member: nil, body: """
            <section class="card narrow"><h1>Admin sign-in</h1>
            \(model.error.map { e -> HTML in "<p class=\"error\" role=\"alert\">\(e)</p>" } ?? .empty)
            <form method="post" action="\(SiteURL.adminLogin.path)" class="stack">
            \(Layout.csrf(model.csrfToken))
            <label>Email <input type="email" name="email" value="\(model.email)" autocomplete="username" required></label>
            <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
            <button>Sign in</button>
            </form></section>
            """)
    }
}
