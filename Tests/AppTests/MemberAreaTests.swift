@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("Member area: pages, progress, interviews, classroom")
struct MemberAreaTests {
    @Test("member pages need a session: 401 page without one")
    func needsSession() async throws {
        try await TestApp.run { t in
            for path in ["/members/dashboard", "/members/curriculum?chapter=1", "/members/interviews", "/classroom/\(UUID())"] {
                let r = try await t.send(.GET, path)
                #expect(r.status == .unauthorized, "\(path)")
                #expect(r.headers.contentType == .html)
            }
        }
    }

    @Test("marking a chapter complete shows in the Partner API, with the same numbers as the dashboard")
    func chapterProgress() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            let cookie = try await t.member(key: key, partnerID: "u1", query: "&redirect_to=%2Fmembers%2Fcurriculum%3Fchapter%3D1")
            let chapter = try await t.page("/members/curriculum?chapter=1", cookie: cookie)
            #expect(chapter.status == .ok)
            #expect(chapter.text.contains("Mark complete"))
            let done = try await t.form("/members/curriculum/complete", cookie: cookie, fields: ["chapter": "1"])
            #expect(done.status == .seeOther)
            let again = try await t.form("/members/curriculum/complete", cookie: cookie, fields: ["chapter": "1"])
            #expect(again.status == .seeOther, "completing twice is harmless")

            let api = try await t.send(.GET, "/api/users/u1/tracks", key: key)
            let track = api.json["tracks"][0]
            #expect(track["chapters_completed"].int == 1)
            #expect(track["chapters"][0]["completed_at"].date == t.clock.now().flooredToSecond)
            let total = try #require(track["chapters_total"].int)
            let dashboard = try await t.page("/members/dashboard", cookie: cookie).text
            #expect(dashboard.contains("1 of \(total) chapters · \(track["percent_complete"].int!)%"))
            #expect(dashboard.contains("value=\"\(track["percent_complete"].int!)\""))
            #expect(try await t.eventTypes(org: org) == ["user.created", "user.signed_in", "track.chapter_completed"])

            // And the other way: progress recorded elsewhere appears on the dashboard.
            let user = try #require(try await User.query(on: t.store.db).first())
            for n in 2...total {
                try await Learning.completeChapter(n, user: try #require(try await Users.record(id: user.id!, on: t.sql)),
                                                   curriculum: t.portico.curriculum, now: t.clock.now(), store: t.store)
            }
            #expect(try await t.page("/members/dashboard", cookie: cookie).text.contains("\(total) of \(total) chapters · 100%"))
            let types = try await t.eventTypes(org: org)
            #expect(types.filter { $0 == "track.completed" }.count == 1)
            #expect(types.last == "track.completed")
        }
    }

    @Test("forms without the session's CSRF token are refused and change nothing")
    func csrf() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let cookie = try await t.member(key: key, partnerID: "u1")
            let forged = try await t.form("/members/curriculum/complete", cookie: cookie, fields: ["chapter": "1"], csrf: "0000")
            #expect(forged.status == .forbidden)
            let missing = try await t.form("/members/interviews", cookie: cookie, fields: ["question_set": "general-interview-questions"], csrf: "")
            #expect(missing.status == .forbidden)
            #expect(try await t.count("track_progress") == 0)
            #expect(try await t.count("interviews") == 0)
        }
    }

    @Test("practice interviews: start, answer, complete, rate; the Partner API's list follows, newest change first")
    func interviews() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            let cookie = try await t.member(key: key, partnerID: "u1")
            let sets = t.portico.curriculum.questionSets
            let a = try await t.form("/members/interviews", cookie: cookie, fields: ["question_set": sets[0].id])
            #expect(a.status == .seeOther)
            let pathA = try #require(a.headers.first(name: .location)?.replacingOccurrences(of: "http://127.0.0.1:8080", with: ""))
            t.clock.advance(by: 60)
            let b = try await t.form("/members/interviews", cookie: cookie, fields: ["question_set": sets[1].id])
            let pathB = try #require(b.headers.first(name: .location)?.replacingOccurrences(of: "http://127.0.0.1:8080", with: ""))
            let idA = String(pathA.split(separator: "/").last!), idB = String(pathB.split(separator: "/").last!)

            var list = try await t.send(.GET, "/api/users/u1/interviews", key: key)
            #expect(list.json["interviews"].array.compactMap { $0["id"].string } == [idB, idA])

            t.clock.advance(by: 60)
            #expect(try await t.page(pathA, cookie: cookie).text.contains(sets[0].questions[0].text.replacingOccurrences(of: "'", with: "&#39;")))
            let answered = try await t.form(pathA + "/answer", cookie: cookie, fields: ["question": "1", "answer": "I led a team of four <b>students</b>."])
            #expect(answered.status == .seeOther)
            #expect(try await t.page(pathA, cookie: cookie).text.contains("&lt;b&gt;students&lt;/b&gt;"), "answers are escaped")
            list = try await t.send(.GET, "/api/users/u1/interviews", key: key)
            #expect(list.json["interviews"].array.compactMap { $0["id"].string } == [idA, idB])
            #expect(list.json["interviews"][0]["questions_answered"].int == 1)

            t.clock.advance(by: 60)
            let completed = try await t.form(pathA + "/complete", cookie: cookie, fields: ["rating": "4"])
            #expect(completed.status == .seeOther)
            list = try await t.send(.GET, "/api/users/u1/interviews", key: key)
            #expect(list.json["interviews"][0]["status"].string == "completed")
            #expect(list.json["interviews"][0]["rating"].int == 4)
            #expect(list.json["interviews"][0]["completed_at"].date != nil)
            let badRating = try await t.form(pathA + "/complete", cookie: cookie, fields: ["rating": "9"])
            #expect(badRating.status == .unprocessableEntity)
            #expect(try await t.eventTypes(org: org).filter { $0.hasPrefix("interview.") } == ["interview.created", "interview.created", "interview.completed"])

            // Someone else's interview is not there for them.
            let other = try await t.member(key: key, partnerID: "u2")
            #expect(try await t.page(pathA, cookie: other).status == .notFound)
        }
    }

    @Test("the classroom: only the enrollment's owner sees it; the last lesson completes it")
    func classroom() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            _ = try await t.send(.POST, "/api/users/u1", key: key)
            let enrolled = try await t.send(.POST, "/api/users/u1/enrollments", key: key, body: #"{"course_id":"resume-essentials"}"#)
            let id = try #require(enrolled.json["enrollment"]["id"].string)
            let total = try #require(enrolled.json["enrollment"]["lessons_total"].int)
            let owner = try await t.member(key: key, partnerID: "u1")
            let stranger = try await t.member(key: key, partnerID: "u2")
            #expect(try await t.page("/classroom/\(id)", cookie: owner).status == .ok)
            #expect(try await t.page("/classroom/\(id)", cookie: stranger).status == .notFound)
            #expect(try await t.form("/classroom/\(id)/lessons/1/complete", cookie: stranger, fields: [:]).status == .notFound)
            for n in 1...total {
                #expect(try await t.form("/classroom/\(id)/lessons/\(n)/complete", cookie: owner, fields: [:]).status == .seeOther)
            }
            let list = try await t.send(.GET, "/api/users/u1/enrollments", key: key)
            #expect(list.json["enrollments"][0]["status"].string == "completed")
            #expect(list.json["enrollments"][0]["lessons_completed"].int == total)
            #expect(try await t.eventTypes(org: org).last == "enrollment.completed")
        }
    }

    @Test("display=1 renders member pages without header and navigation, for the whole session")
    func noChrome() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let cookie = try await t.member(key: key, partnerID: "u1", query: "&display=1")
            for path in ["/members/dashboard", "/members/curriculum?chapter=2", "/members/interviews"] {
                let html = try await t.page(path, cookie: cookie).text
                #expect(!html.contains("<header") && !html.contains("<nav"), "\(path)")
            }
        }
    }

    @Test("member pages may be framed by Portico and the org's allowed hosts; other pages by no one")
    func framing() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme", returnHosts: ["lms.example.edu"])
            let cookie = try await t.member(key: key, partnerID: "u1")
            let csp = try #require(try await t.page("/members/dashboard", cookie: cookie).headers.first(name: "Content-Security-Policy"))
            #expect(csp.contains("frame-ancestors 'self' https://lms.example.edu"))
            for path in ["/signed-out", "/login/sso?token=x", "/healthz", "/docs"] {
                let header = try await t.send(.GET, path).headers.first(name: "Content-Security-Policy")
                #expect(header?.contains("frame-ancestors 'none'") == true, "\(path)")
            }
            #expect(try await t.send(.GET, "/healthz").headers.first(name: "X-Content-Type-Options") == "nosniff")
        }
    }
}

extension Date {
    var flooredToSecond: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
