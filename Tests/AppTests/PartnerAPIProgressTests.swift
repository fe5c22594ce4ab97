@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

@Suite("Partner API: tracks, interviews, enrollments, subscriptions")
struct PartnerAPIProgressTests {
    @Test("tracks report progress with the curriculum's numbers")
    func tracks() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let created = try await t.send(.POST, "/api/users/u1", key: key)
            let userID = try #require(UUID(uuidString: created.json["user"]["id"].string ?? ""))
            let curriculum = t.portico.curriculum
            let firstTrack = curriculum.tracks[0]
            for chapter in firstTrack.chapters.prefix(2) {
                let p = TrackProgress()
                p.userID = userID
                p.chapterNumber = chapter.number
                p.completedAt = t.clock.now()
                try await p.create(on: t.store.db)
            }
            let r = try await t.send(.GET, "/api/users/u1/tracks", key: key)
            #expect(r.status == .ok)
            let tracks = r.json["tracks"].array
            #expect(tracks.count == curriculum.tracks.count)
            let track = tracks[0]
            #expect(track["id"].string == firstTrack.id)
            #expect(track["chapters_total"].int == firstTrack.chapters.count)
            #expect(track["chapters_completed"].int == 2)
            #expect(track["percent_complete"].int == 200 / firstTrack.chapters.count)
            #expect(track["completed_at"].isNull)
            let next = firstTrack.chapters[2]
            #expect(track["next_chapter"]["number"].int == next.number)
            #expect(track["next_chapter"]["url"].string == "http://127.0.0.1:8080/members/curriculum?chapter=\(next.number)")
            #expect(track["chapters"][0]["completed_at"].date != nil)
            #expect(track["chapters"][2]["completed_at"].isNull)
            #expect(tracks[1]["chapters"][0]["number"].int == firstTrack.chapters.count + 1, "numbering continues across tracks")
        }
    }

    @Test("interviews: all by default, newest update first; limit pages without gaps or duplicates")
    func interviews() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("acme")
            let created = try await t.send(.POST, "/api/users/u1", key: key)
            let userID = try #require(UUID(uuidString: created.json["user"]["id"].string ?? ""))
            let base = t.clock.now()
            var expectedOrder: [(Date, UUID)] = []
            for i in 0..<7 {
                let interview = Interview()
                interview.id = UUID()
                interview.userID = userID
                interview.title = "Interview \(i)"
                interview.kind = .general
                interview.questionSet = "general-interview-questions"
                interview.status = i % 2 == 0 ? .completed : .inProgress
                interview.questionsTotal = 6
                interview.questionsAnswered = i % 6
                interview.createdAt = base
                // Two pairs share an updated_at, so the id decides between them.
                interview.updatedAt = base.addingTimeInterval(Double(i / 2) * 60)
                try await interview.create(on: t.store.db)
                expectedOrder.append((interview.updatedAt, interview.id!))
            }
            expectedOrder.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1.uuidString.lowercased() > $1.1.uuidString.lowercased() }
            let expectedIDs = expectedOrder.map { $0.1.uuidString.lowercased() }

            let all = try await t.send(.GET, "/api/users/u1/interviews", key: key)
            #expect(all.status == .ok)
            #expect(all.json["interviews"].array.compactMap { $0["id"].string } == expectedIDs)
            #expect(all.json["next_cursor"].isNull)
            #expect(all.json["interviews"][0]["questions_total"].int == 6)

            var paged: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let path = "/api/users/u1/interviews?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await t.send(.GET, path, key: key)
                #expect(page.status == .ok)
                paged += page.json["interviews"].array.compactMap { $0["id"].string }
                cursor = page.json["next_cursor"].string
                pages += 1
            } while cursor != nil && pages < 10
            #expect(paged == expectedIDs)
            #expect(pages == 3)

            for bad in ["limit=0", "limit=201", "limit=x", "cursor=%25%25"] {
                let r = try await t.send(.GET, "/api/users/u1/interviews?\(bad)", key: key)
                #expect(r.status == .unprocessableEntity, "\(bad)")
                #expect(r.errorCode == "invalid_request")
            }
        }
    }

    @Test("courses, and enrollments that are idempotent per course")
    func enrollments() async throws {
        try await TestApp.run { t in
            let (org, key) = try await t.org("acme")
            _ = try await t.send(.POST, "/api/users/u1", key: key)
            let courses = try await t.send(.GET, "/api/courses", key: key)
            let courseID = try #require(courses.json["courses"][0]["id"].string)
            #expect(courses.json["courses"][0]["lessons_total"].int ?? 0 > 0)

            let first = try await t.send(.POST, "/api/users/u1/enrollments", key: key, body: "{\"course_id\":\"\(courseID)\"}")
            let again = try await t.send(.POST, "/api/users/u1/enrollments", key: key, body: "{\"course_id\":\"\(courseID)\"}")
            #expect(first.status == .ok && again.status == .ok)
            #expect(first.json["enrollment"]["id"].string == again.json["enrollment"]["id"].string)
            #expect(first.json["created"].bool == true && again.json["created"].bool == false)
            #expect(first.json["enrollment"]["status"].string == "active")
            let list = try await t.send(.GET, "/api/users/u1/enrollments", key: key)
            #expect(list.json["enrollments"].array.count == 1)
            #expect(try await t.eventTypes(org: org) == ["user.created", "enrollment.created"])

            let unknown = try await t.send(.POST, "/api/users/u1/enrollments", key: key, body: #"{"course_id":"no-such-course"}"#)
            #expect(unknown.status == .unprocessableEntity)
            #expect(unknown.json["error"]["message"].string?.contains("course_id") == true)
            let missing = try await t.send(.POST, "/api/users/u1/enrollments", key: key, body: "{}")
            #expect(missing.errorCode == "invalid_request")
        }
    }

    @Test("subscriptions in descendant orgs only")
    func subscriptions() async throws {
        try await TestApp.run { t in
            let (_, key) = try await t.org("parent-org")
            let (child, _) = try await t.org("child-org", parent: "parent-org")
            try await t.org("grandchild", parent: "child-org")
            try await t.org("sibling")
            _ = try await t.send(.POST, "/api/users/u1", key: key)
            let r = try await t.send(.POST, "/api/users/u1/subscriptions", key: key, body: #"{"org":"child-org"}"#)
            #expect(r.status == .ok)
            #expect(r.json["subscription"]["org_id"].string == child.id!.uuidString.lowercased())
            let again = try await t.send(.POST, "/api/users/u1/subscriptions", key: key, body: #"{"org":"child-org"}"#)
            #expect(again.json["subscription"]["id"].string == r.json["subscription"]["id"].string)
            #expect(try await t.send(.POST, "/api/users/u1/subscriptions", key: key, body: #"{"org":"grandchild"}"#).status == .ok)
            let sibling = try await t.send(.POST, "/api/users/u1/subscriptions", key: key, body: #"{"org":"sibling"}"#)
            #expect(sibling.status == .notFound)
            #expect(sibling.errorCode == "not_found")
            #expect(try await t.count("subscriptions") == 3)
        }
    }
}
