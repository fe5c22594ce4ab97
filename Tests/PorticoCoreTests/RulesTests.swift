import Foundation
@testable import PorticoCore
import Testing

@Suite("Core rules")
struct RulesTests {
    @Test("hand-written JSON strings escape what JSON requires and read back as the same string")
    func jsonQuoting() throws {
        let tricky = "a\"b\\c\nd\re\tf\u{1}g\u{1F}é/✓"
        let quoted = JSONText.quoted(tricky)
        #expect(quoted == #""a\"b\\c\nd\re\tf\u0001g\u001fé/✓""#)
        let decoded = try JSONSerialization.jsonObject(with: Data(quoted.utf8), options: [.fragmentsAllowed]) as? String
        #expect(decoded == tricky)
    }

    @Test("partner_id: letters, digits, '-' and '_', 1 to 255 characters")
    func partnerID() {
        #expect(PartnerID("abc123") != nil)
        #expect(PartnerID("A-b_9") != nil)
        #expect(PartnerID(String(repeating: "x", count: 255)) != nil)
        for bad in ["", String(repeating: "x", count: 256), "a b", "é", "../", "a/b", "a%2Fb", "a.b", "a\u{0}b", "ａ"] {
            #expect(PartnerID(bad) == nil, "\(bad)")
        }
        #expect(PartnerID("anonymous")?.isReserved == true)
    }

    @Test("secrets: 32 hex characters, SHA-256, constant-time equality")
    func secrets() {
        let key = Secrets.hex()
        #expect(Secrets.isHex32(key))
        #expect(Secrets.hex() != key)
        #expect(Secrets.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Secrets.constantTimeEquals("abc", "abc"))
        #expect(!Secrets.constantTimeEquals("abc", "abd"))
        #expect(!Secrets.constantTimeEquals("abc", "abcd"))
        #expect(!Secrets.isHex32(key.uppercased()))
    }

    @Test("org slugs")
    func slugs() {
        #expect(Organization.isValidSlug("acme"))
        #expect(Organization.isValidSlug("a1-b2"))
        for bad in ["a", "-acme", "Acme", "ac_me", String(repeating: "a", count: 64), "acmé"] {
            #expect(!Organization.isValidSlug(bad), "\(bad)")
        }
    }

    @Test("return hosts: normalized entries, IDNA, wildcards never match the bare domain")
    func returnHosts() {
        #expect(ReturnHosts.normalizedEntry("Example.EDU.") == "example.edu")
        #expect(ReturnHosts.normalizedEntry("*.example.edu") == "*.example.edu")
        #expect(ReturnHosts.normalizedEntry("*") == nil)
        #expect(ReturnHosts.normalizedEntry("https://x.example") == nil)
        #expect(ReturnHosts.normalizedEntry("bücher.example") == "xn--bcher-kva.example")
        #expect(ReturnHosts.isAllowed(host: "a.b.example.edu", entries: ["*.example.edu"]))
        #expect(!ReturnHosts.isAllowed(host: "example.edu", entries: ["*.example.edu"]))
        #expect(ReturnHosts.allowedURL("https://allowed.example:8443/x", entries: ["allowed.example"]) != nil)
        #expect(ReturnHosts.allowedURL("https://allowed.example@evil.example/", entries: ["allowed.example"]) == nil)
        #expect(ReturnHosts.allowedURL("javascript:alert(1)", entries: ["allowed.example"]) == nil)
    }

    @Test("OpenID Connect redirect URIs: https (http on loopback), no fragment, userinfo, odd host, port, encoding, dot segment or response parameter")
    func redirectURIs() {
        for good in [
            "https://notes.example/cb", "https://notes.example:8443/cb?from=portico", "http://127.0.0.1:9000/callback",
            "http://[::1]/cb", "http://localhost:3000/cb", "https://notes.example/a%2Fb?q=%C3%A9", "https://Notes.example/cb",
        ] {
            #expect(OpenIDConnect.isValidRedirectURI(good), "\(good)")
        }
        for bad in [
            "http://notes.example/cb", "https://notes.example/cb#x", "https://notes.example/cb#", "https://u:p@notes.example/cb",
            "https://notés.example/cb", "https://xn--nots-fpa.example./cb", "https://notes.example:0/cb", "https://notes.example:65536/cb",
            "https://notes.example/%zz", "https://notes.example/%C3%28", "https://notes.example/a/../cb", "https://notes.example/./cb",
            "https://notes.example/cb?code=1", "https://notes.example/cb?a=1&state=x", "https://notes.example/cb?iss", "https://notes.example/cb?error=x",
            "https://notes.example/cb?q=%zz", "https://notes.example/c b", "https://notes.example/a%20b", "https://notes.example/cb\r\n", "https://notes.example/cb\u{0}",
            "ftp://notes.example/cb", "https:///cb", "https://notes.example/" + String(repeating: "a", count: 2048), "",
            "http://127.0.0.1.evil.example/cb",
        ] {
            #expect(!OpenIDConnect.isValidRedirectURI(bad), "\(bad)")
        }
    }

    @Test("OpenID Connect parameters: empty values count as absent but still count twice; undecodable names and values are told apart")
    func oauthParameters() {
        let p = OpenIDConnect.Parameters(formEncoded: "client_id=&client_id=app_1&max_age=&state=%FF&a+b=c%20d")
        #expect(p["client_id"] == "app_1" && p["max_age"] == nil && p["a b"] == "c d")
        #expect(p.repeated() == "client_id" && p.repeated(among: ["max_age"]) == nil)
        #expect(p.malformed && p.malformedNames == ["state"])
        #expect(OpenIDConnect.Parameters(formEncoded: "%zz=1").malformedNames == nil)
        #expect(!OpenIDConnect.Parameters(formEncoded: "a=1&&b=2").malformed)
        #expect(OpenIDConnect.redirect("https://x.example/login#top", adding: [("return_to", "/p?q=1")]) == "https://x.example/login?return_to=%2Fp%3Fq%3D1#top")
        #expect(OpenIDConnect.redirect("https://x.example/cb?a=1", adding: [("code", "c"), ("state", nil)]) == "https://x.example/cb?a=1&code=c")
        #expect(OpenIDConnect.echoable("ok") == "ok" && OpenIDConnect.echoable("a\u{7f}") == nil)
        #expect(OpenIDConnect.echoable(String(repeating: "s", count: 4097)) == nil)
    }

    @Test("interview cursors survive encoding and reject garbage")
    func cursor() throws {
        let snapshot = InterviewSnapshotFixture.make(updatedAt: Date(timeIntervalSince1970: 1_790_000_123.456789))
        let cursor = InterviewCursor(snapshot)
        let decoded = try #require(InterviewCursor(encoded: cursor.encoded))
        #expect(decoded == cursor)
        #expect(InterviewCursor(encoded: "%%%") == nil)
        #expect(InterviewCursor(encoded: "bm9wZQ") == nil)
    }

    @Test("the bundled curriculum: two tracks, numbering continued, courses and question sets")
    func curriculum() throws {
        let curriculum = try Curriculum.bundled()
        #expect(curriculum.tracks.count == 2)
        let numbers = curriculum.tracks.flatMap { $0.chapters.map(\.number) }
        #expect(numbers == Array(1...numbers.count))
        #expect(!curriculum.courses.isEmpty)
        #expect(Set(curriculum.questionSets.map(\.kind)) == Set(Interview.Kind.allCases))
    }
}

enum InterviewSnapshotFixture {
    static func make(updatedAt: Date) -> InterviewSnapshot {
        let interview = Interview()
        interview.id = UUID()
        interview.title = "x"
        interview.kind = .general
        interview.status = .inProgress
        interview.questionsTotal = 1
        interview.questionsAnswered = 0
        interview.createdAt = updatedAt
        interview.updatedAt = updatedAt
        return InterviewSnapshot(interview)
    }
}

@Suite("Hand-written JSON of the hot paths")
struct HandWrittenJSONTests {
    static func snapshot(email: String?, first: String?, expires: Date?) -> UserSnapshot {
        UserSnapshot(UserRecord(
            id: UUID(), orgID: UUID(), subscriptionID: UUID(), partnerID: "stu-1_A", email: email,
            firstName: first, lastName: nil, anonymous: expires != nil, expiresAt: expires,
            createdAt: Date(timeIntervalSince1970: 1_700_000_000), updatedAt: Date(timeIntervalSince1970: 1_700_000_123.9)
        ))
    }

    @Test("the user object and user event data are byte for byte what the JSON encoder writes")
    func userObjectMatchesEncoder() throws {
        for user in [
            Self.snapshot(email: "a@b.example", first: "Zoë", expires: nil),
            Self.snapshot(email: nil, first: nil, expires: Date(timeIntervalSince1970: 1_800_000_000)),
            Self.snapshot(email: "x/y@z.example", first: "O'Brien \"Bob\"", expires: nil),
        ] {
            let encoded = String(decoding: try PorticoJSON.encoder().encode(user), as: UTF8.self)
            #expect(user.jsonText == encoded)
            let event = UserEventData(user: user)
            #expect(event.jsonText == String(decoding: try PorticoJSON.encoder().encode(event), as: UTF8.self))
            #expect(try Outbox.payload(event) == "{\"user\":\(encoded)}")
        }
    }

    @Test("tracks are byte for byte what the JSON encoder writes, with no, some and all chapters done")
    func tracksMatchEncoder() throws {
        let curriculum = try Curriculum.bundled()
        let chapters = curriculum.tracks.flatMap(\.chapters).map(\.number)
        let at = Date(timeIntervalSince1970: 1_700_000_000)
        for completed in [
            [:], [chapters[0]: at, chapters[2]: at.addingTimeInterval(61)],
            Dictionary(uniqueKeysWithValues: chapters.enumerated().map { ($1, at.addingTimeInterval(Double($0))) }),
        ] as [[Int: Date]] {
            let tracks = TrackSnapshot.all(curriculum: curriculum, completed: completed) { "https://sso.example/members/curriculum?chapter=\($0)" }
            #expect(!tracks.isEmpty)
            for track in tracks {
                #expect(track.jsonText == String(decoding: try PorticoJSON.encoder().encode(track), as: UTF8.self))
            }
        }
    }

    @Test("control characters in names still read back as the same strings")
    func userObjectEscapes() throws {
        let user = Self.snapshot(email: "a@b.example", first: "line\nbreak\ttab\u{1}\\", expires: nil)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(user.jsonText.utf8)) as? [String: Any])
        #expect(parsed["first_name"] as? String == "line\nbreak\ttab\u{1}\\")
        #expect(parsed["last_name"] is NSNull)
        #expect(parsed["id"] as? String == user.id.uuidString.lowercased())
        #expect(parsed["updated_at"] as? String == "2023-11-14T22:15:23Z")
    }
}

@Suite("RFC 3339 timestamps")
struct RFC3339Tests {
    @Test("whole seconds in UTC, as ISO8601DateFormatter writes them, and read back")
    func format() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        for seconds in [0.0, 1.5, 951_782_400, 1_800_000_000.999, 4_102_444_799, 253_402_300_799] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = RFC3339.string(from: date)
            #expect(text == formatter.string(from: date), "\(seconds)")
            #expect(RFC3339.date(from: text) == Date(timeIntervalSince1970: seconds.rounded(.down)))
        }
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_000_000_000)) == "2001-09-09T01:46:40Z")
    }
}
