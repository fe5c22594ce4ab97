@testable import App
import Foundation
import NIOConcurrencyHelpers
import PorticoCore
import Testing
import Vapor

/// Lines a `JSONLogHandler` wrote, kept for checks.
final class JSONLines: Sendable {
    private let box = NIOLockedValueBox<[String]>([])

    var all: [String] { box.withLockedValue { $0 } }

    /// Each line parsed as a JSON object (a line that is not one is a failed expectation).
    var objects: [[String: Any]] {
        all.compactMap { line in
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(object != nil, "not one JSON object: \(line)")
            return object
        }
    }

    func handler(label: String, level: Logger.Level = .trace) -> JSONLogHandler {
        JSONLogHandler(label: label, level: level) { [box] line in box.withLockedValue { $0.append(line) } }
    }

    func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { self.handler(label: $0) }
        logger.logLevel = .trace
        return logger
    }
}

@Suite("LoggingTests")
struct LoggingTests {
    static let rfc3339Z = #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#

    @Test("JSON lines: one object per line with timestamp, level, message, label, source and each metadata key as a field")
    func jsonShape() throws {
        let lines = JSONLines()
        var logger = lines.logger(label: "portico.test")
        logger[metadataKey: "request-id"] = "abc-123"
        logger.info("hello", metadata: [
            "status": .stringConvertible(UInt(201)), "duration-ms": .stringConvertible(3.25), "ok": .stringConvertible(true),
            "route": "/api/users/:partner_id", "list": .array(["a", .stringConvertible(2)]), "nested": .dictionary(["k": "v"]),
            "message": "shadowing", "nan": .stringConvertible(Double.nan),
        ])
        let all = lines.all
        #expect(all.count == 1)
        let line = try #require(all.first)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try #require(lines.objects.first)
        #expect(object["message"] as? String == "hello")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "portico.test")
        #expect(object["source"] as? String == "AppTests")
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.range(of: Self.rfc3339Z, options: .regularExpression) != nil, "\(timestamp)")
        #expect((try? Date(timestamp, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))).map { abs($0.timeIntervalSinceNow) < 60 } == true)
        #expect(object["request_id"] as? String == "abc-123", "kebab keys become snake_case fields")
        #expect((object["status"] as? NSNumber)?.intValue == 201, "numbers stay numbers")
        #expect((object["duration_ms"] as? NSNumber)?.doubleValue == 3.25)
        #expect((object["ok"] as? NSNumber)?.boolValue == true)
        #expect(object["route"] as? String == "/api/users/:partner_id")
        #expect((object["list"] as? [Any])?.count == 2)
        #expect((object["nested"] as? [String: Any])?["k"] as? String == "v")
        #expect(object["meta_message"] as? String == "shadowing", "a metadata key never replaces a fixed field")
        #expect(object["nan"] as? String == "nan", "a number JSON cannot hold is a string")
    }

    @Test("JSON timestamps are RFC 3339 UTC with milliseconds")
    func timestamps() {
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 0.5)) == "1970-01-01T00:00:00.500Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 1_777_638_896.789)) == "2026-05-01T12:34:56.789Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 1_777_638_896.9999)) == "2026-05-01T12:34:56.999Z")
    }

    @Test("hostile messages and metadata (quotes, newlines, NUL, escapes, U+2028, C1, invalid UTF-8) stay one parseable line, unchanged")
    func hostile() throws {
        let invalidUTF8 = String(decoding: [0x41, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x42] as [UInt8], as: UTF8.self)
        let hostile = [
            #"a "quoted" \ back\slash"#, "line\nFORGED {\"level\":\"critical\"}\r\n", "nul\u{0}byte", "esc\u{1b}[31mred\u{7f}",
            "sep\u{2028}\u{2029}c1\u{85}\u{9f}", "tab\tbell\u{7}", invalidUTF8, "", "ünïcödé ✓ 😀",
        ]
        let lines = JSONLines()
        var logger = lines.logger()
        logger[metadataKey: "handler\nkey"] = .string(hostile[1])
        for value in hostile {
            logger.warning("\(value)", metadata: ["value": .string(value), "key\"\n": .array([.string(value)]), "in": .dictionary(["x\u{0}": .string(value)])])
        }
        let all = lines.all
        #expect(all.count == hostile.count)
        for line in all {
            #expect(line.last == "\n" && line.dropLast().allSatisfy { $0 != "\n" && $0 != "\r" && $0 != "\u{2028}" && $0 != "\u{2029}" })
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no raw control character")
        }
        let objects = lines.objects
        #expect(objects.count == hostile.count)
        for (object, value) in zip(objects, hostile) {
            #expect(object["message"] as? String == value, "escaped once, so it reads back as logged")
            #expect(object["value"] as? String == value)
            #expect((object["key\"\n"] as? [String])?.first == value)
            #expect((object["in"] as? [String: String])?["x\u{0}"] == value)
            #expect(object["handler\nkey"] as? String == hostile[1])
        }
        #expect(invalidUTF8.contains("\u{FFFD}"), "invalid bytes arrive as U+FFFD")
    }

    @Test("JSON mode is the JSON handler alone; text mode escapes under the stream handler")
    func handlerComposition() {
        #expect(LogSetup.handler(label: "x", level: .info, format: .json) is JSONLogHandler, "never under the EscapingLogHandler: no double escape")
        let text = LogSetup.handler(label: "x", level: .notice, format: .text)
        #expect(text is EscapingLogHandler)
        #expect(text.logLevel == .notice)
    }

    @Test("access log: one line per request with method, route pattern, status, duration and request id; no raw path or query")
    func accessLine() async throws {
        let lines = JSONLines()
        try await TestApp.run(adjust: { $0.logLevel = .info }, prepare: { app in
            app.logger = Logger(label: "access") { lines.handler(label: $0) }
        }) { t in
            let (_, key) = try await t.org("acme")
            let created = try await t.send(.POST, "/api/users/person-4711?note=querysecret", key: key, body: #"{"first_name":"Ann"}"#,
                                           headers: [("X-Request-Id", "log-test-1")])
            #expect(created.status == .ok || created.status == .created)
            let missing = try await t.send(.GET, "/no/such/person-4711?token=querysecret", headers: [("X-Request-Id", "log-test-2")])
            #expect(missing.status == .notFound)
            let health = try await t.send(.GET, "/healthz")
            let healthID = try #require(health.headers.first(name: "X-Request-Id"))
            // The SSO API in another letter case goes through the fallback route; it is
            // named by its operation.
            _ = try await t.send(.GET, "/api/v1/adminapi/validateaccesstoken/?access_token=querysecret", headers: [("X-Request-Id", "log-test-3")])

            let objects = lines.objects
            let access = objects.filter { $0["route"] != nil }
            #expect(access.count == 4, "one access line per request, not two")
            let first = try #require(access.first { $0["request_id"] as? String == "log-test-1" })
            #expect(first["method"] as? String == "POST")
            #expect(first["route"] as? String == "/api/users/:partner_id")
            #expect((first["status"] as? NSNumber)?.uintValue == created.status.code)
            let duration = try #require((first["duration_ms"] as? NSNumber)?.doubleValue)
            #expect(duration >= 0 && duration < 60_000)
            #expect(first["message"] as? String == "POST /api/users/:partner_id \(created.status.code)")
            #expect(first["level"] as? String == "info")
            #expect(first["api_key"] as? String == String(key.prefix(8)), "the key's prefix, never the key")

            let second = try #require(access.first { $0["request_id"] as? String == "log-test-2" })
            #expect(second["route"] as? String == "unmatched" && (second["status"] as? NSNumber)?.intValue == 404)
            #expect(second["method"] as? String == "GET")
            #expect(access.contains { $0["request_id"] as? String == healthID && $0["route"] as? String == "/healthz" })
            let sso = try #require(access.first { $0["request_id"] as? String == "log-test-3" })
            #expect(sso["route"] as? String == "/api/v1/AdminApi/ValidateAccessToken")

            let text = lines.all.joined()
            #expect(!text.contains("person-4711"), "partner ids are personal: the raw path is never logged")
            #expect(!text.contains("querysecret"), "the query is never logged")
            #expect(!text.contains(key))
        }
    }

    @Test("text mode: the access line reads method, route and status, with the fields as metadata")
    func accessLineText() async throws {
        let captured = NIOLockedValueBox<[String]>([])
        try await TestApp.run(adjust: { $0.logLevel = .info }, prepare: { app in
            app.logger = Logger(label: "access") { _ in EscapingLogHandler(wrapped: CapturingLogHandler(lines: captured)) }
        }) { t in
            _ = try await t.send(.GET, "/healthz", headers: [("X-Request-Id", "text-1")])
            let line = try #require(captured.withLockedValue { $0 }.first { $0.contains("request-id=text-1") })
            #expect(line.hasPrefix("GET /healthz 200 "))
            #expect(line.contains("route=/healthz") && line.contains("method=GET") && line.contains("status=200") && line.contains("duration-ms="))
        }
    }

    @Test("LOG_FORMAT: text by default, json when asked, anything else stops the process with the variable named")
    func configuration() throws {
        #expect(try PorticoConfig.from(environment: [:]).logFormat == .text)
        #expect(try PorticoConfig.from(environment: ["LOG_FORMAT": "json"]).logFormat == .json)
        #expect(try PorticoConfig.from(environment: ["LOG_FORMAT": " JSON "]).logFormat == .json)
        #expect(try PorticoConfig.from(environment: ["LOG_FORMAT": "text"]).logFormat == .text)
        for bad in ["xml", "logfmt", "json5", "1"] {
            do {
                _ = try PorticoConfig.from(environment: ["LOG_FORMAT": bad, "LOG_LEVEL": "loud"])
                Issue.record("accepted LOG_FORMAT=\(bad)")
            } catch let invalid as PorticoConfig.Invalid {
                #expect(invalid.problems.contains("LOG_FORMAT must be text or json"))
                #expect(invalid.problems.count == 2, "every problem named at once")
            }
        }
    }
}
