import FluentKit
import Foundation

/// The root secret from which launch-code keys and other keys are derived:
/// `PORTICO_SECRET` when set, else one generated on first start and kept in the database.
public enum RootSecret {
    static let settingKey = "root_secret"

    /// The secret to use, and whether it lives in the database (worth a warning: whoever
    /// reads the database can then forge launch codes).
    public static func resolve(configured: String?, store: PorticoStore) async throws -> (secret: String, storedInDatabase: Bool) {
        if let configured { return (configured, false) }
        if let existing = try await SystemSetting.find(settingKey, on: store.db) { return (existing.value, true) }
        let generated = Secrets.hex(byteCount: 32)
        do {
            return try await store.write { db in
                if let existing = try await SystemSetting.find(settingKey, on: db) { return (existing.value, true) }
                try await SystemSetting(key: settingKey, value: generated).create(on: db)
                return (generated, true)
            }
        } catch {
            // On PostgreSQL another instance can make it between that read and this insert
            // (its insert wins the primary key): theirs is the secret.
            if let existing = try await SystemSetting.find(settingKey, on: store.db) { return (existing.value, true) }
            throw error
        }
    }
}
