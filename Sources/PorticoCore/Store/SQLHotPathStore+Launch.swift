import FluentKit
import Foundation
import SQLKit

extension SQLHotPathStore {
    public func insertLaunch(id: UUID, appID: UUID, userID: UUID, issuedAt: Date) async throws {
        try await store.write { db in
            try await db.sql.raw("""
                INSERT INTO launch_codes (id, app_id, user_id, issued_at, expires_at) VALUES (\(bind: id), \(bind: appID), \
                \(bind: userID), \(bind: issuedAt), \(bind: issuedAt.addingTimeInterval(LaunchCodes.lifetime)))
                """).run()
        }
    }

    public func partnerApp(keyHash: String) async throws -> PartnerAppContext? {
        guard let row = try await store.sql.raw("""
            SELECT id, org_id, key_hash FROM partner_apps WHERE key_hash = \(bind: keyHash) AND enabled = \(bind: true)
            """).first()
        else { return nil }
        return PartnerAppContext(
            id: try row.decode(column: "id", as: UUID.self),
            orgID: try row.decode(column: "org_id", as: UUID.self),
            keyHash: try row.decode(column: "key_hash", as: String.self)
        )
    }

    public func redeemLaunch(id: UUID, appID: UUID, userID: UUID, now: Date) async throws -> LaunchRedemption {
        try await store.write { db -> LaunchRedemption in
            guard let user = try await Self.user(id: userID, on: db.sql), user.isLive(at: now) else { return .userGone }
            let used = try await db.sql.raw("""
                UPDATE launch_codes SET used_at = \(bind: now) WHERE id = \(bind: id) AND app_id = \(bind: appID) \
                AND user_id = \(bind: userID) AND used_at IS NULL AND expires_at >= \(bind: now) RETURNING id
                """).first()
            return used == nil ? .notValid : .redeemed(user)
        }
    }
}
