@testable import App
import Foundation
import PorticoCore
import Testing

@Suite("Store: the hot paths' writes and the other writes share one database")
struct StoreTests {
    @Test("hot-path writes and store writes interleave under load; every one commits")
    func hotPathAndStoreWritesInterleave() async throws {
        try await TestApp.run { t in
            let (org, _) = try await t.org("acme")
            let orgID = try org.requireID()
            let portico = t.portico
            let now = t.clock.now()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<300 {
                    group.addTask {
                        let result = try await portico.hotPaths.createOrRefreshUser(UserUpsert(
                            orgID: orgID, partnerID: "load-\(i)", email: nil, firstName: nil, lastName: nil,
                            tokenHash: Secrets.sha256Hex(Secrets.hex()), tokenTTL: 300, tokenSingleUse: true, now: now
                        ))
                        #expect(result?.created == true)
                    }
                }
                for i in 0..<30 {
                    group.addTask {
                        try await portico.store.write { db in
                            try await db.sql.raw("UPDATE organizations SET name = \(bind: "Acme \(i)") WHERE id = \(bind: orgID)").run()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await t.count("users") == 300)
            #expect(try await t.count("sso_tokens") == 300)
            #expect(try await t.count("events", where: "type = 'user.created'") == 300)
        }
    }
}
