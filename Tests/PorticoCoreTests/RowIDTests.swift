import Foundation
@testable import PorticoCore
import Testing

@Suite("Row ids")
struct RowIDTests {
    @Test("a version 7 UUID: the time in milliseconds first, version and variant bits set, the rest random")
    func layout() {
        let now = Date(timeIntervalSince1970: 1_800_000_000.25)
        let id = UUID.timeOrdered(now: now)
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        let milliseconds = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        // A Date counts seconds since 2001 in a Double: 250 ms may read as 249.99….
        #expect((1_800_000_000_249...1_800_000_000_250).contains(milliseconds))
        #expect(bytes[6] >> 4 == 7)
        #expect(bytes[8] >> 6 == 0b10)
        #expect(UUID.timeOrdered(now: now) != id)
    }

    @Test("ids sort by the time they were made, in their text form too")
    func ordering() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        // 100 µs apart: within one millisecond the fraction bits keep the order.
        let ids = (0..<50).map { UUID.timeOrdered(now: start.addingTimeInterval(Double($0) * 0.000_1)) }
        #expect(ids.map(\.uuidString) == ids.map(\.uuidString).sorted())
        #expect(ids.map { $0.uuidString.lowercased() } == ids.map { $0.uuidString.lowercased() }.sorted())
    }

    @Test("event ids: evt_, 9 base-36 digits of the time in milliseconds, 15 random letters and digits; they sort by time")
    func eventIDs() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let id = Outbox.newEventID(at: start)
        #expect(id.hasPrefix("evt_"))
        #expect(id.count == 28)
        #expect(id.dropFirst(4).allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) })
        #expect(id.dropFirst(4).prefix(9) == "0mywpiww0")  // 1,800,000,000,000 in base 36
        #expect(Outbox.newEventID(at: start) != id)
        // A millisecond apart and a year apart, across a carry: the text order is the time order.
        let times = [0, 0.001, 0.035, 0.036, 1, 1_296, 86_400, 31_536_000].map { start.addingTimeInterval($0) }
        let ids = times.map { Outbox.newEventID(at: $0) }
        #expect(ids == ids.sorted())
        // The extremes: before 1970, the far future, and no time at all.
        #expect(Outbox.timePrefix(Date(timeIntervalSince1970: 0)) == "000000000")
        #expect(Outbox.timePrefix(Date(timeIntervalSince1970: -1)) == "000000000")
        #expect(Outbox.timePrefix(.distantPast) == "000000000")
        #expect(Outbox.timePrefix(Date(timeIntervalSince1970: 1e12)) == "zzzzzzzzz")
        #expect(Outbox.timePrefix(Date(timeIntervalSinceReferenceDate: .infinity)) == "000000000")
        #expect(Outbox.timePrefix(Date(timeIntervalSinceReferenceDate: .nan)) == "000000000")
    }
}
