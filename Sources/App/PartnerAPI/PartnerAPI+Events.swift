import Foundation
import PorticoCore
import Vapor

extension PartnerAPI {
    /// `GET /api/events?after_sequence=N&limit=L`: the org's events in sequence order.
    static func events(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        var after: Int64 = 0
        if let raw = req.queryValue("after_sequence") {
            guard let value = Int64(raw), value >= 0 else { throw APIError.invalidRequest("after_sequence must be a whole number, 0 or more") }
            after = value
        }
        var limit = 100
        if let raw = req.queryValue("limit") {
            guard let value = Int(raw), (1...1000).contains(value) else { throw APIError.invalidRequest("limit must be a whole number from 1 to 1000") }
            limit = value
        }
        let page: EventFeed.Page
        do {
            page = try await EventFeed.page(orgID: key.orgID, afterSequence: after, limit: limit, on: req.portico.store.db)
        } catch EventFeed.Failure.expired {
            throw APIError(.gone, "events_expired", "events after sequence \(after) are older than the retention window and were purged")
        }
        return rawJSON("{\"events\":[" + page.events.map(\.json).joined(separator: ",") + "],\"next_after_sequence\":\(page.nextAfterSequence)}")
    }
}
