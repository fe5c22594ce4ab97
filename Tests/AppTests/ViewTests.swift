@testable import App
import Foundation
import Testing

/// Every page's view rendered from its `.mock` models: no database, no HTTP.
@Suite("Views: pages from mock models, escaping, chrome")
struct ViewTests {
    /// A hostile name never reaches the page as markup: no raw `<script>`, the escaped form present.
    func expectEscaped(_ html: HTML, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        // The one script an admin page may load: Portico's own copy-button file.
        let withoutCopyScript = html.raw.replacingOccurrences(of: "<script src=\"\(SiteURL.copyScript.path)\"></script>", with: "")
        #expect(!withoutCopyScript.contains("<script"), comment, sourceLocation: sourceLocation)
        #expect(html.raw.contains("&lt;script&gt;"), comment, sourceLocation: sourceLocation)
    }

    func hasChrome(_ html: HTML) -> Bool { html.raw.contains("<header") || html.raw.contains("<nav") }

    func csrfField(_ token: String) -> String { "name=\"csrf_token\" value=\"\(token)\"" }

    // MARK: - Layout

    @Test("the shell: header and member navigation; none of either in no-chrome mode")
    func layout() {
        // setup
        let body: HTML = "<p>hello</p>"

        // MUT
        let member = Layout.document(title: "T", member: .mock, body: body).raw
        let noChrome = Layout.document(title: "T", member: .mockNoChrome, body: body).raw
        let anonymous = Layout.document(title: "T", member: nil, body: body).raw

        // validate
        #expect(member.contains("<header") && member.contains("<nav") && member.contains("<span class=\"who\">Dana Demo</span>"))
        #expect(member.contains("action=\"\(SiteURL.logout.path)\""))
        #expect(!noChrome.contains("<header") && !noChrome.contains("<nav") && noChrome.contains("<body class=\"no-chrome\">"))
        #expect(anonymous.contains("<header") && !anonymous.contains("<nav") && !anonymous.contains("class=\"who\""))
        for page in [member, noChrome, anonymous] {
            #expect(page.hasPrefix("<!doctype html>") && page.contains("<main class=\"wrap\">\n<p>hello</p>\n</main>"))
            #expect(page.contains("<title>T · Portico</title>") && page.contains(SiteURL.stylesheet.path))
        }
    }

    @Test("HTML escapes every interpolated string, and only strings")
    func escaping() {
        let name = "<script>alert(\"x\")</script> O'Neil & co"
        let html: HTML = "<b>\(name)</b>\(HTML(raw: "<i>ok</i>"))\(3)"
        #expect(html.raw == "<b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Neil &amp; co</b><i>ok</i>3")
    }

    @Test("the response: HTML, no-store, a CSP without scripts, framing only as allowed")
    func response() {
        let page = Layout.response(Message.view(.mock), status: .unauthorized)
        #expect(page.status == .unauthorized)
        #expect(page.headers.contentType == .html)
        #expect(page.headers.first(name: "Cache-Control") == "no-store")
        #expect(page.headers.first(name: "Content-Security-Policy")?.hasSuffix("frame-ancestors 'none'") == true)
        let framed = Layout.response(Message.view(.mock), frameAncestors: ["'self'", "https://lms.example"])
        #expect(framed.headers.first(name: "Content-Security-Policy")?.contains("script-src 'none'") == true)
        // Member forms must not carry form-action: sign-out redirects on to the partner's return URL.
        #expect(framed.headers.first(name: "Content-Security-Policy")?.contains("form-action") == false)
        #expect(framed.headers.first(name: "Content-Security-Policy")?.hasSuffix("frame-ancestors 'self' https://lms.example") == true)
    }

    @Test("a redirect never carries a location with whitespace or control characters")
    func redirect() {
        let ok = Layout.redirect(to: SiteURL.dashboard.path)
        #expect(ok.status == .seeOther && ok.headers.first(name: .location) == "/members/dashboard")
        let bad = Layout.redirect(to: "/x\r\nSet-Cookie: a=b")
        #expect(bad.status == .badRequest && bad.headers.first(name: .location) == nil)
    }

    // MARK: - Member pages

    @Test("dashboard: welcome, apps, tracks with progress, interviews, enrollments")
    func dashboard() {
        // MUT
        let html = MemberDashboard.view(.mock).raw

        // validate
        #expect(html.contains("<h1>Welcome, Dana Demo</h1>"))
        #expect(html.contains("href=\"\(SiteURL.launch(.value("tutoring")).path)\">Demo Tutoring</a>"))
        #expect(html.contains("1 of 6 chapters · 16%") && html.contains("<progress max=\"100\" value=\"16\""))
        #expect(html.contains("href=\"\(SiteURL.chapter(2))\">Continue: Your &quot;Tell Me About Yourself&quot; Answer</a>"))
        #expect(html.contains("<p class=\"done\">Track complete</p>"))
        #expect(html.contains("completed · 6/6 answered · rated 4/5"))
        let enrollment = MemberDashboard.Model.mock.enrollments[0]
        #expect(html.contains("href=\"\(SiteURL.classroom(.value(enrollment.id)).path)\">Resume Essentials</a>"))
        #expect(html.contains("1 of 4 lessons · active"))
        #expect(hasChrome(MemberDashboard.view(.mock)))
    }

    @Test("dashboard with nothing yet")
    func dashboardEmpty() {
        let html = MemberDashboard.view(.mockEmpty).raw
        #expect(html.contains("No practice interviews yet.") && html.contains("You are not enrolled in a course."))
        #expect(!html.contains("Partner sites"))
    }

    @Test("curriculum: chapters with links, completed ones ticked")
    func curriculumIndex() {
        let html = CurriculumIndex.view(.mock).raw
        #expect(html.contains("<h1>Curriculum</h1>") && html.contains("<h2>Interview Foundations</h2>"))
        #expect(html.contains("<a href=\"\(SiteURL.chapter(1))\">1. First Impressions</a> <span class=\"done\">✓</span>"))
        #expect(html.contains("<a href=\"\(SiteURL.chapter(2))\">2. Your &quot;Tell Me About Yourself&quot; Answer</a></li>"))
    }

    @Test("a chapter: the form to mark it complete with the session's CSRF token, the next chapter")
    func chapter() {
        let html = CurriculumChapter.view(.mock).raw
        #expect(html.contains("Interview Foundations · Chapter 1") && html.contains("<p class=\"lead\">The first minute matters.</p>"))
        #expect(html.contains("<p>Arrive early.</p><p>Smile.</p>"))
        #expect(html.contains("action=\"\(SiteURL.curriculumComplete.path)\"") && html.contains(csrfField(Layout.Member.mock.csrfToken)))
        #expect(html.contains("name=\"chapter\" value=\"1\"") && html.contains("Mark complete"))
        #expect(html.contains("href=\"\(SiteURL.chapter(2))\">Next: "))

        let done = CurriculumChapter.view(.mockCompleted).raw
        #expect(done.contains("You completed this chapter.") && !done.contains("Mark complete") && !done.contains("Next:"))
    }

    @Test("interviews: question sets to start, the member's interviews")
    func interviews() {
        let html = Interviews.view(.mock).raw
        #expect(html.contains("<h3>Common Interview Questions</h3><p class=\"meta\">general · 6 questions</p>"))
        #expect(html.contains("action=\"\(SiteURL.interviews.path)\"") && html.contains(csrfField(Layout.Member.mock.csrfToken)))
        #expect(html.contains("name=\"question_set\" value=\"general-interview-questions\""))
        #expect(html.contains("href=\"\(SiteURL.interview(.value(Interviews.Row.mock.id)).path)\">Common Interview Questions</a>"))
        #expect(Interviews.view(.mockEmpty).raw.contains("<p>None yet.</p>"))
    }

    @Test("one interview: answered, current (with the answer form) and open questions; completing and rating")
    func interview() {
        let model = InterviewDetail.Model.mock
        let html = InterviewDetail.view(model).raw
        #expect(html.contains("<li class=\"answered\"><p class=\"q\">Tell me about yourself.</p><blockquote>I like puzzles.</blockquote></li>"))
        #expect(html.contains("<li class=\"current\"><p class=\"q\">Why do you want to work here?</p><p class=\"tip\">Tip: Know the company.</p>"))
        #expect(html.contains("action=\"\(SiteURL.interviewAnswer(.value(model.id)).path)\""))
        #expect(html.contains("name=\"question\" value=\"2\""))
        #expect(html.contains("<li class=\"open\"><p class=\"q\">What are your greatest strengths?</p></li>"))
        #expect(html.contains("1 of 3 answered · in progress"))
        #expect(html.contains("action=\"\(SiteURL.interviewComplete(.value(model.id)).path)\"") && html.contains("Complete interview"))
        #expect(html.components(separatedBy: csrfField(Layout.Member.mock.csrfToken)).count == 3, "both forms")

        #expect(!InterviewDetail.view(.mockNew).raw.contains("Complete interview"), "nothing to complete before an answer")

        let completed = InterviewDetail.view(.mockCompleted).raw
        #expect(completed.contains("Completed. How did it go?") && completed.contains("value=\"4\" checked>"))
        #expect(!completed.contains("class=\"current\"") && completed.contains("1 of 3 answered · completed"))
    }

    @Test("classroom: lessons, progress, a form for each lesson not completed")
    func classroom() {
        let model = Classroom.Model.mock
        let html = Classroom.view(model).raw
        #expect(html.contains("<h1>Resume Essentials</h1><p class=\"lead\">Write a resume that gets read.</p>"))
        #expect(html.contains("<progress max=\"100\" value=\"50\"") && html.contains("1 of 2 lessons</p>"))
        #expect(html.contains("<article class=\"card lesson\" id=\"lesson-1\"><h2>1. One page</h2><p>Keep it short.</p><p>Lead with results.</p><p class=\"done\">Completed ✓</p></article>"))
        #expect(html.contains("action=\"\(SiteURL.lessonComplete(.value(model.enrollmentID), .value(2)).path)\""))
        #expect(html.contains(csrfField(Layout.Member.mock.csrfToken)))
        #expect(Classroom.view(.mockHostile).raw.contains("2 of 2 lessons · course completed"))
    }

    @Test("member pages escape hostile names and content")
    func memberPagesEscape() {
        let pages: [(String, HTML)] = [
            ("dashboard", MemberDashboard.view(.mockHostile)),
            ("curriculum", CurriculumIndex.view(.mockHostile)),
            ("chapter", CurriculumChapter.view(.mockHostile)),
            ("interviews", Interviews.view(.mockHostile)),
            ("interview", InterviewDetail.view(.mockHostile)),
            ("classroom", Classroom.view(.mockHostile)),
        ]
        for (name, html) in pages {
            expectEscaped(html, "\(name)")
            #expect(html.raw.contains("<span class=\"who\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Neil &amp; &lt;b&gt;</span>"), "\(name)")
        }
        #expect(InterviewDetail.view(.mockHostile).raw.contains("<blockquote>&lt;/blockquote&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;q&#39;</blockquote>"))
        #expect(Classroom.view(.mockHostile).raw.contains("<p>&lt;img src=x onerror=alert(1)&gt;</p>"))
        let dashboard = MemberDashboard.view(.mockHostile).raw
        #expect(dashboard.contains("href=\"/launch/x%22%3E%3Cscript%3E\""), "a slug in a link is percent-encoded")
        #expect(Interviews.view(.mockHostile).raw.contains("name=\"question_set\" value=\"x&quot;&gt;&lt;script&gt;\""), "no attribute broken out of")
    }

    @Test("member pages in no-chrome mode have no header and no navigation, and keep their forms")
    func noChrome() {
        func noChrome<M>(_ model: M, _ member: WritableKeyPath<M, Layout.Member>) -> M {
            var model = model
            model[keyPath: member] = .mockNoChrome
            return model
        }
        let pages: [(String, HTML)] = [
            ("dashboard", MemberDashboard.view(noChrome(.mock, \.member))),
            ("curriculum", CurriculumIndex.view(noChrome(.mock, \.member))),
            ("chapter", CurriculumChapter.view(noChrome(.mock, \.member))),
            ("interviews", Interviews.view(noChrome(.mock, \.member))),
            ("interview", InterviewDetail.view(noChrome(.mock, \.member))),
            ("classroom", Classroom.view(noChrome(.mock, \.member))),
        ]
        for (name, html) in pages {
            #expect(!hasChrome(html), "\(name)")
            #expect(html.raw.contains("<body class=\"no-chrome\">"), "\(name)")
        }
        #expect(pages[2].1.raw.contains(csrfField(Layout.Member.mockNoChrome.csrfToken)))
    }

    // MARK: - Messages

    @Test("message pages: heading, text, an optional link; no member navigation")
    func messages() {
        let signedOut = Message.view(.signedOut).raw
        #expect(signedOut.contains("<section class=\"card narrow\"><h1>You are signed out</h1><p>You can close this window, or sign in again from your organization&#39;s site.</p></section>"))
        #expect(signedOut.contains("<header") && !signedOut.contains("<nav"))
        let withLink = Message.view(.init(title: "Please sign in", text: "Your admin session has ended.", link: .init(text: "Sign in", url: SiteURL.adminLogin.path))).raw
        #expect(withLink.contains("<p>Your admin session has ended. <a href=\"\(SiteURL.adminLogin.path)\">Sign in</a>.</p>"))
        for model in [Message.Model.tokenUsed, .tokenExpired, .tokenUnknown, .notFound, .badRequest, .internalError] {
            #expect(Message.view(model).raw.contains("<h1>\(HTML.escape(model.title))</h1>"))
        }
        expectEscaped(Message.view(.mockHostile))
    }

    // MARK: - Admin pages

    @Test("admin sign-in: the form with its double-submit token, the email kept, the error shown")
    func adminLogin() {
        let html = AdminLogin.view(.mock).raw
        #expect(html.contains("action=\"\(SiteURL.adminLogin.path)\"") && html.contains(csrfField(AdminLogin.Model.mock.csrfToken)))
        #expect(!html.contains("role=\"alert\"") && !html.contains("<nav"))
        let wrong = AdminLogin.view(.mockWrong).raw
        #expect(wrong.contains("<p class=\"error\" role=\"alert\">Wrong email or password.</p>"))
        #expect(wrong.contains("name=\"email\" value=\"admin@demo.example\""))
        expectEscaped(AdminLogin.view(.mockHostile))
        #expect(AdminLogin.view(.mockHostile).raw.contains("name=\"email\" value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""), "no attribute broken out of")
    }

    @Test("admin pages carry the admin navigation with a CSRF-protected sign-out, and no member navigation")
    func adminChrome() {
        let pages: [(String, HTML)] = [
            ("dashboard", AdminDashboard.view(.mock)),
            ("keys", AdminKeys.view(.mock)),
            ("audit", AdminAudit.view(.mock)),
        ]
        for (name, page) in pages {
            let html = page.raw
            #expect(html.contains("<header"), "\(name)")
            for (label, url) in Layout.adminPages {
                #expect(html.contains("href=\"\(url.path)\">\(label)</a>"), "\(name): \(label)")
            }
            #expect(html.contains("action=\"\(SiteURL.adminLogout.path)\" class=\"inline\">\(Layout.csrf(Layout.Admin.mock.csrfToken).raw)"), "\(name)")
            #expect(!html.contains("href=\"\(SiteURL.curriculum.path)\""), "\(name)")
        }
    }

    @Test("admin dashboard: org, admin, permissions")
    func adminDashboard() {
        let html = AdminDashboard.view(.mock).raw
        #expect(html.contains("<h1>Demo University</h1>") && html.contains("This page is about <code>demo</code>."))
        #expect(html.contains("signed in as admin@demo.example"))
        #expect(html.contains("<li>manage_keys: yes</li><li>manage_webhooks: no</li>"))
        #expect(html.contains("<li><a href=\"/admin?org=demo-nursing\">School of Nursing</a> <code>demo-nursing</code></li>"))
        // An admin of several orgs gets the switcher, with the page's org selected; links keep ?org=.
        var model = AdminDashboard.Model.mock
        model.admin.orgs = [.init(slug: "demo", name: "Demo University"), .init(slug: "demo-nursing", name: "School of Nursing")]
        model.admin.orgQuery = "demo-nursing"
        model.admin.orgSlug = "demo-nursing"
        let tree = AdminDashboard.view(model).raw
        #expect(tree.contains("<option value=\"demo-nursing\" selected>School of Nursing (demo-nursing)</option>"))
        #expect(tree.contains("href=\"/admin/keys?org=demo-nursing\">API keys</a>"))
        #expect(!html.contains("<select name=\"org\">"))
    }

    @Test("admin keys: the list, revoke and create forms with manage_keys, the new key shown once")
    func adminKeys() {
        let html = AdminKeys.view(.mock).raw
        #expect(html.contains("<tr><td><code>a1b2c3d4</code></td><td>LMS production</td><td>admin:admin@demo.example</td><td>\(Layout.time(Date(timeIntervalSince1970: 1_767_225_600)).raw)</td><td>\(Layout.time(Date(timeIntervalSince1970: 1_767_312_000)).raw)</td>"))
        #expect(html.contains("title=\"2026-01-01T00:00:00Z\">1 Jan 2026, 00:00 UTC</time>"))
        #expect(html.contains("action=\"\(SiteURL.adminKeyRevoke(.value("a1b2c3d4")).path)\""))
        #expect(html.contains("<td>never</td><td>revoked \(Layout.time(Date(timeIntervalSince1970: 1_767_225_600)).raw)</td>"))
        #expect(html.contains("action=\"\(SiteURL.adminKeys.path)\" class=\"inline-form\"") && !html.contains("class=\"secret\""))

        let created = AdminKeys.view(.mockCreated).raw
        #expect(created.contains("<h2>New key: LMS production</h2>") && created.contains("<code class=\"secret\" data-copy>a1b2c3d4e5f60718293a4b5c6d7e8f90</code>"))
        #expect(created.contains("<script src=\"/static/copy.js\"></script>") && created.contains("data-copy-button hidden>Copy</button>"))

        let readOnly = AdminKeys.view(.mockReadOnly).raw
        #expect(readOnly.contains("takes the manage_keys permission") && readOnly.contains("<td>active</td>"))
        #expect(!readOnly.contains("/revoke") && !readOnly.contains("Create key"))
    }

    @Test("admin audit: entries newest first, with their count")
    func adminAudit() {
        let html = AdminAudit.view(.mock).raw
        #expect(html.contains("title=\"2026-01-02T00:00:00Z\">2 Jan 2026, 00:00 UTC</time>"))
        #expect(html.contains("admin:admin@demo.example") && html.contains("<code>apikey.create</code>") && html.contains("a1b2c3d4"))
        #expect(html.contains("<td>127.0.0.1</td>"))
        let table = String(html[(html.range(of: "<tbody>")?.upperBound ?? html.startIndex)...])
        #expect(table.range(of: "apikey.create")!.lowerBound < table.range(of: "sso.login")!.lowerBound, "newest first")
    }

    @Test("admin pages escape hostile names")
    func adminPagesEscape() {
        for (name, html) in [("dashboard", AdminDashboard.view(.mockHostile)), ("keys", AdminKeys.view(.mockHostile)), ("audit", AdminAudit.view(.mockHostile))] {
            expectEscaped(html, "\(name)")
        }
        #expect(AdminDashboard.view(.mockHostile).raw.contains("Signed in as &quot;&lt;b&gt;&quot;@demo.example"))
    }
}
