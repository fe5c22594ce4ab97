@testable import App
import FluentKit
import Foundation
import PorticoCore
import Testing
import Vapor

/// The audit log page (any admin), SPEC §8: the org and its descendants, filters,
/// pages, CSV export.
@Suite("AdminAuditTests")
struct AdminAuditTests {
    /// 2026-03-10T12:00:00Z.
    static let day = Date(timeIntervalSince1970: 1_773_144_000)

    static func record(_ t: TestApp, _ org: Organization, actor: String = "system", action: String, target: String? = nil, at: Date, ip: String? = nil) async throws {
        try await t.store.write { db in
            try await Audit.record(orgID: org.requireID(), actor: actor, action: action, target: target, at: at, ip: ip, on: db)
        }
    }

    /// The number of entry rows on an audit page.
    static func rows(_ page: TestResponse) -> Int {
        page.text.components(separatedBy: "<tr><td><time").count - 1
    }

    @Test("the log of an org holds its descendants' entries, never a parent's or a sibling's; tenancy 404s")
    func descendants() async throws {
        try await TestApp.run { t in
            let (root, _) = try await t.org("root")
            let (uni, _) = try await t.org("uni", parent: "root")
            let (law, _) = try await t.org("law", parent: "uni")
            let (poly, _) = try await t.org("poly", parent: "root")
            let (other, _) = try await t.org("other")
            for (org, action) in [(root, "x.root"), (uni, "x.uni"), (law, "x.law"), (poly, "x.poly"), (other, "x.other")] {
                try await Self.record(t, org, action: action, at: Self.day)
            }
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [])
            let page = try await ada.get("/admin/audit")
            #expect(page.status == .ok)
            #expect(page.text.contains("x.uni") && page.text.contains("x.law"))
            #expect(!page.text.contains("x.root") && !page.text.contains("x.poly") && !page.text.contains("x.other"))
            #expect(page.text.contains("<td><code>law</code></td>"), "each row names its org")
            #expect(page.text.contains("<time datetime=\"2026-03-10T12:00:00Z\" title=\"2026-03-10T12:00:00Z\">"))

            let child = try await ada.get("/admin/audit?org=law")
            #expect(child.status == .ok && child.text.contains("x.law") && !child.text.contains("x.uni"))
            #expect(try await ada.get("/admin/audit?org=root").status == .notFound)
            #expect(try await ada.get("/admin/audit?org=poly").status == .notFound)
            #expect(try await ada.get("/admin/audit?org=other&format=csv").status == .notFound)
            let carol = try await AdminBrowser.signIn(t, org: law, email: "carol@law.example", permissions: [])
            #expect(try await carol.get("/admin/audit?org=uni").status == .notFound)
            let lawOnly = try await carol.get("/admin/audit")
            #expect(lawOnly.text.contains("x.law") && !lawOnly.text.contains("x.uni"))
            #expect(try await t.send(.GET, "/admin/audit").status == .unauthorized)
        }
    }

    @Test("filters: actor exact or prefix, action, date range; the form keeps its values")
    func filters() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let day = Self.day
            try await Self.record(t, uni, actor: "admin:ada@uni.example", action: "apikey.create", target: "t-ada", at: day)
            try await Self.record(t, uni, actor: "admin:ada@uni.example.evil", action: "apikey.revoke", target: "t-evil", at: day.addingTimeInterval(86_400))
            try await Self.record(t, uni, actor: "user:Alice", action: "sso.login", target: "t-alice", at: day.addingTimeInterval(2 * 86_400))
            try await Self.record(t, uni, actor: "user:alice", action: "sso.login", target: "t-lower", at: day.addingTimeInterval(3 * 86_400))
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "viewer@uni.example", permissions: [])

            let exact = try await ada.get("/admin/audit?actor=admin%3Aada%40uni.example")
            #expect(exact.status == .ok)
            #expect(exact.text.contains("t-ada") && !exact.text.contains("t-evil") && !exact.text.contains("t-alice"))
            #expect(exact.text.contains("name=\"actor\" type=\"text\" value=\"admin:ada@uni.example\""))

            let prefix = try await ada.get("/admin/audit?actor=admin%3Aada*")
            #expect(prefix.text.contains("t-ada") && prefix.text.contains("t-evil") && !prefix.text.contains("t-alice"))
            let cased = try await ada.get("/admin/audit?actor=user%3AA*")
            #expect(cased.text.contains("t-alice") && !cased.text.contains("t-lower"), "prefixes are case-sensitive on both engines")
            let wildcard = try await ada.get("/admin/audit?actor=user%3A%25*")
            #expect(!wildcard.text.contains("t-alice") && !wildcard.text.contains("t-lower"), "% is no wildcard")

            let action = try await ada.get("/admin/audit?action=sso.login")
            #expect(action.text.contains("t-alice") && action.text.contains("t-lower") && !action.text.contains("t-ada"))
            #expect(action.text.contains("name=\"action\" type=\"text\" value=\"sso.login\""))

            // 2026-03-11 and 2026-03-12, both days included.
            let range = try await ada.get("/admin/audit?from=2026-03-11&to=2026-03-12")
            #expect(range.text.contains("t-evil") && range.text.contains("t-alice") && !range.text.contains("t-ada") && !range.text.contains("t-lower"))
            #expect(range.text.contains("name=\"from\" type=\"date\" value=\"2026-03-11\"") && range.text.contains("value=\"2026-03-12\""))
            #expect(range.text.contains("href=\"/admin/audit?from=2026-03-11&amp;to=2026-03-12&amp;format=csv\""))
            let combined = try await ada.get("/admin/audit?actor=user%3A*&action=sso.login&to=2026-03-12")
            #expect(combined.text.contains("t-alice") && !combined.text.contains("t-lower"))
        }
    }

    @Test("bad filter values are a 4xx page with the error beside the field, never a 5xx")
    func badValues() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [])
            let fieldErrors: [(String, String)] = [
                ("from=2026-13-01", "f-from-error"), ("from=2026-02-30", "f-from-error"), ("to=yesterday", "f-to-error"),
                ("from=2026-03-12&to=2026-03-11", "f-to-error"), ("from=9223372036854775808", "f-from-error"),
                ("to=-1", "f-to-error"), ("from=%3Cscript%3E", "f-from-error"), ("from=0001-01-01", "f-from-error"),
                ("actor=a%00b", "f-actor-error"), ("actor=a%0D%0Ab", "f-actor-error"),
                ("actor=" + String(repeating: "a", count: 10_000), "f-actor-error"),
                ("action=" + String(repeating: "b", count: 10_000), "f-action-error"), ("action=x%00", "f-action-error"),
            ]
            for (query, errorID) in fieldErrors {
                let r = try await ada.get("/admin/audit?" + query)
                #expect(r.status == .unprocessableEntity, "\(query.prefix(40))")
                #expect(r.text.contains("id=\"\(errorID)\""), "\(query.prefix(40))")
                #expect(!r.text.contains("<script>"))
            }
            let csv = try await ada.get("/admin/audit?format=csv&from=nope")
            #expect(csv.status == .unprocessableEntity && csv.headers.contentType == .html)
            for query in ["page=0", "page=-1", "page=abc", "page=9223372036854775808", "page=1001", "page=1.5", "format=xml", "format=%00"] {
                let r = try await ada.get("/admin/audit?" + query)
                #expect((400..<500).contains(r.status.code), "\(query)")
            }
            #expect(try await ada.get("/admin/audit?page=1000").status == .ok)
            #expect(try await ada.get("/admin/audit?actor=%3Cb%3E&action=%22%3E").status == .ok)
        }
    }

    @Test("pages of 100, newest first, the links keeping the filter and the org")
    func paging() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let (law, _) = try await t.org("law", parent: "uni")
            try await t.store.write { db in
                for i in 0..<205 {
                    try await Audit.record(
                        orgID: law.requireID(), actor: "system", action: "bulk.thing", target: "n\(i)-", at: Self.day.addingTimeInterval(Double(i)), ip: nil, on: db
                    )
                }
            }
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [])
            let first = try await ada.get("/admin/audit?org=law&action=bulk.thing")
            #expect(first.status == .ok)
            #expect(Self.rows(first) == 100)
            #expect(first.text.contains("n204-") && first.text.contains("n105-") && !first.text.contains("n104-"))
            let n204 = try #require(first.text.range(of: "n204-"))
            let n203 = try #require(first.text.range(of: "n203-"))
            #expect(n204.lowerBound < n203.lowerBound, "newest first")
            #expect(first.text.contains("href=\"/admin/audit?org=law&amp;action=bulk.thing&amp;page=2\" rel=\"next\""))
            #expect(first.text.contains("<input type=\"hidden\" name=\"org\" value=\"law\">"), "the filter form keeps the org")

            let second = try await ada.get("/admin/audit?org=law&action=bulk.thing&page=2")
            #expect(Self.rows(second) == 100 && second.text.contains("n104-") && second.text.contains("n5-") && !second.text.contains("n4-"))
            #expect(second.text.contains("href=\"/admin/audit?org=law&amp;action=bulk.thing\" rel=\"prev\""))
            let third = try await ada.get("/admin/audit?org=law&action=bulk.thing&page=3")
            #expect(Self.rows(third) == 5 && third.text.contains("n0-") && !third.text.contains("rel=\"next\""))
            let beyond = try await ada.get("/admin/audit?org=law&action=bulk.thing&page=4")
            #expect(beyond.status == .ok && Self.rows(beyond) == 0 && beyond.text.contains("No entries match."))
        }
    }

    @Test("CSV: header row, RFC 3339 times, every page, filters and descendants applied, hostile fields escaped and defused")
    func csv() async throws {
        try await TestApp.run { t in
            let (uni, _) = try await t.org("uni")
            let (law, _) = try await t.org("law", parent: "uni")
            let (other, _) = try await t.org("other")
            try await Self.record(t, uni, actor: "admin:a@uni.example", action: "hostile", target: "=HYPERLINK(\"x\"),\"q\"\nnext", at: Self.day, ip: "10.0.0.1")
            try await Self.record(t, law, actor: "+cmd", action: "hostile", target: "@SUM(1)", at: Self.day.addingTimeInterval(1), ip: nil)
            try await Self.record(t, law, actor: "-2", action: "hostile", target: "\ttab", at: Self.day.addingTimeInterval(2), ip: nil)
            try await Self.record(t, other, actor: "admin:eve@other.example", action: "hostile", target: "secret", at: Self.day, ip: nil)
            try await t.store.write { db in
                for i in 0..<150 {
                    try await Audit.record(orgID: law.requireID(), actor: "system", action: "bulk", target: "b\(i)", at: Self.day.addingTimeInterval(10 + Double(i)), ip: nil, on: db)
                }
            }
            let ada = try await AdminBrowser.signIn(t, org: uni, email: "ada@uni.example", permissions: [])
            let r = try await ada.get("/admin/audit?format=csv&action=hostile")
            #expect(r.status == .ok)
            #expect(r.headers.first(name: .contentType)?.hasPrefix("text/csv") == true)
            #expect(r.headers.first(name: .contentDisposition) == "attachment; filename=\"audit-uni.csv\"")
            let lines = r.text.components(separatedBy: "\r\n")
            #expect(lines[0] == "time,actor,action,target,address")
            #expect(lines[1] == "2026-03-10T12:00:02Z,'-2,hostile,'\ttab,")
            #expect(lines[2] == "2026-03-10T12:00:01Z,'+cmd,hostile,'@SUM(1),")
            #expect(lines[3] == "2026-03-10T12:00:00Z,admin:a@uni.example,hostile,\"'=HYPERLINK(\"\"x\"\"),\"\"q\"\"\nnext\",10.0.0.1")
            #expect(lines.count == 5 && lines[4].isEmpty)
            #expect(!r.text.contains("secret"))

            let all = try await ada.get("/admin/audit?format=csv&org=law&actor=system")
            #expect(all.headers.first(name: .contentDisposition) == "attachment; filename=\"audit-law.csv\"")
            let allLines = all.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(allLines.count == 1 + 150, "every page of law's 150 bulk entries")
            #expect(allLines[1] == "2026-03-10T12:02:39Z,system,bulk,b149,")
            #expect(allLines[150] == "2026-03-10T12:00:10Z,system,bulk,b0,")
            let lawAll = try await ada.get("/admin/audit?format=csv&org=law")
            #expect(lawAll.text.contains("'+cmd") && !lawAll.text.contains("HYPERLINK"), "uni's entry is not law's")

            let empty = try await ada.get("/admin/audit?format=csv&action=none")
            #expect(empty.status == .ok && empty.text == "time,actor,action,target,address\r\n")
        }
    }

    @Test("CSV fields: quotes doubled, commas and line breaks quoted, formulas defused")
    func csvFields() {
        #expect(AdminAudit.csvField("plain") == "plain")
        #expect(AdminAudit.csvField("a,b") == "\"a,b\"")
        #expect(AdminAudit.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(AdminAudit.csvField("a\r\nb") == "\"a\r\nb\"")
        #expect(AdminAudit.csvField("=1+2") == "'=1+2")
        #expect(AdminAudit.csvField("\rx") == "\"'\rx\"")
        #expect(AdminAudit.csvField("") == "")
        let row = AdminAudit.csvRow(.init(orgID: nil, actor: "a", action: "b", target: nil, at: Self.day, ip: nil))
        #expect(row == "2026-03-10T12:00:00Z,a,b,,\r\n")
    }

    @Test("views: the mocks render with filter values kept, pager links, and hostile text escaped")
    func views() {
        let html = AdminAudit.view(.mock).raw
        #expect(html.contains("<time datetime=\"2026-01-02T00:00:00Z\""))
        #expect(html.contains("<td><code>demo-law</code></td><td>user:demo-student</td><td><code>sso.login</code></td><td>demo-student</td><td>127.0.0.1</td></tr>"))
        let filtered = AdminAudit.view(.mockFiltered).raw
        #expect(filtered.contains("value=\"admin:*\"") && filtered.contains("value=\"apikey.create\""))
        #expect(filtered.contains("href=\"/admin/audit?actor=admin%3A%2A&amp;action=apikey.create&amp;from=2026-01-01&amp;to=2026-01-31&amp;page=3\" rel=\"next\""))
        #expect(filtered.contains("href=\"/admin/audit?actor=admin%3A%2A&amp;action=apikey.create&amp;from=2026-01-01&amp;to=2026-01-31\" rel=\"prev\""))
        let hostile = AdminAudit.view(.mockHostile).raw
        #expect(!hostile.contains("<script") && hostile.contains("&lt;script&gt;"))
        #expect(!hostile.contains("<b>") && !hostile.contains("<i>") && !hostile.contains("<u>"))
    }
}
