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
}
