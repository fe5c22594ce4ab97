import Crypto
import FluentKit
import Foundation
import JWTKit
import Logging
import NIOConcurrencyHelpers
import SQLKit
import CryptoExtras

/// The provider's ID-token signing keys (SPEC §10 "Signing keys"): RSA 2048, generated
/// at first start, stored AES-GCM-encrypted under HKDF-SHA256(`PORTICO_SECRET`, info
/// "portico-oidc-keys-v1"), `kid` = the RFC 7638 thumbprint. The current key signs; a
/// retired one stays published (after it) for 24 hours. Every instance reads the keys
/// from the database and keeps them at most 10 seconds.
public final class OIDCKeys: Sendable {
    public static let retiredKeyLifetime: TimeInterval = 24 * 3600
    public static let cacheLifetime: TimeInterval = 10

    /// One key, decrypted.
    public struct Key: Sendable {
        public var kid: String
        /// swift-crypto's key, which `sign` uses; the key collection gets jwt-kit's wrapper of it.
        public var privateKey: _RSA.Signing.PrivateKey
        public var createdAt: Date
        public var retiredAt: Date?

        /// The public half as the JWKS publishes it.
        public var publicJWK: PublicJWK {
            get throws {
                let primitives = try privateKey.publicKey.getKeyPrimitives()
                return PublicJWK(kid: kid, n: Base64URL.encode(primitives.modulus), e: Base64URL.encode(primitives.publicExponent))
            }
        }
    }

    /// A published key: `{kty, use, alg, kid, n, e}`, never a private member.
    public struct PublicJWK: Codable, Sendable, Equatable {
        public var kty = "RSA"
        public var use = "sig"
        public var alg = "RS256"
        public var kid: String
        public var n: String
        public var e: String
    }

    /// The keys as of one read: the signer and every key the JWKS shows (current first).
    public struct KeySet: Sendable {
        public var current: Key
        public var published: [Key]
        public var collection: JWTKeyCollection
        public var jwks: [PublicJWK]
    }

    private let configuredSecret: String?
    private let store: PorticoStore
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let cached = NIOLockedValueBox<(set: KeySet, loadedAt: Date)?>(nil)
    /// The read in progress: concurrent callers wait for the same one (on a cold start a
    /// burst of token requests would otherwise each read, and each make a first key).
    private let loading = NIOLockedValueBox<Task<KeySet, any Error>?>(nil)

    public init(
        configuredSecret: String?, store: PorticoStore, clock: @escaping @Sendable () -> Date, logger: Logger = Logger(label: "portico.oidc")
    ) {
        self.configuredSecret = configuredSecret
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    /// The current keys: from memory when read less than 10 seconds ago.
    public func keySet() async throws -> KeySet {
        let now = clock()
        if let (set, loadedAt) = cached.withLockedValue({ $0 }), now.timeIntervalSince(loadedAt) < Self.cacheLifetime, now >= loadedAt {
            return set
        }
        let task = loading.withLockedValue { current in
            if let current { return current }
            let started = Task { try await self.load(now: now) }
            current = started
            return started
        }
        do {
            let set = try await task.value
            cached.withLockedValue { $0 = (set, now) }
            loading.withLockedValue { if $0 == task { $0 = nil } }
            return set
        } catch {
            loading.withLockedValue { if $0 == task { $0 = nil } }
            throw error
        }
    }

    /// Forgets what was read (after this process rotated the key).
    public func invalidate() {
        cached.withLockedValue { $0 = nil }
        loading.withLockedValue { $0 = nil }
    }

    /// Signs `payload` with the current key: a compact JWS, header `alg: RS256`, `kid`,
    /// `typ: JWT`. Made here with swift-crypto rather than by `JWTKeyCollection.sign`, which
    /// is an actor: a request that visits it carries on on the thread that runs the actor,
    /// and with Swift's tasks on NIO's event loops (`EventLoopGlobalExecutor`) that pulled the
    /// token answers of both loops onto one (p99 1.3–1.7 s against p50 35 ms). The
    /// collection still verifies (`id_token_hint`), and the tests check every token
    /// against the published JWKS with jwt-kit.
    public func sign(_ payload: some JWTPayload) async throws -> String {
        try Self.jws(payload, key: try await keySet().current)
    }

    private struct JWSHeader: Encodable {
        var alg = "RS256"
        var kid: String
        var typ = "JWT"
    }

    static func jws(_ payload: some Encodable, key: Key) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970  // as jwt-kit's encoder
        let input = Base64URL.encode(try encoder.encode(JWSHeader(kid: key.kid))) + "." + Base64URL.encode(try encoder.encode(payload))
        let signature = try key.privateKey.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + Base64URL.encode(signature.rawRepresentation)
    }

    /// Makes a new signing key and retires the current one (kept in the JWKS for 24 hours).
    public func rotate() async throws -> (kid: String, previousKID: String?) {
        let sealing = try await sealingKey()
        let now = clock()
        let (der, kid) = try Self.generate()
        let sealed = try Self.seal(der, kid: kid, key: sealing)
        let previous = try await store.write { db -> String? in
            let previous = try await db.sql.raw("SELECT kid FROM oidc_keys WHERE retired_at IS NULL").first()?.decode(column: "kid", as: String.self)
            try await db.sql.raw("UPDATE oidc_keys SET retired_at = \(bind: now) WHERE retired_at IS NULL").run()
            try await Self.insert(kid: kid, sealed: sealed, now: now, on: db.sql)
            return previous
        }
        invalidate()
        return (kid, previous)
    }

    // MARK: - Reading and making keys

    private func load(now: Date) async throws -> KeySet {
        let sealing = try await sealingKey()
        var (keys, unreadable) = try await read(now: now, sealing: sealing)
        if !unreadable.isEmpty {
            logger.warning("OpenID Connect signing keys sealed under another PORTICO_SECRET are left out of the JWKS", metadata: [
                "kids": .string(unreadable.joined(separator: ",")),
            ])
        }
        if !keys.contains(where: { $0.retiredAt == nil }) {
            // First start, or the current key cannot be read (PORTICO_SECRET changed): make one,
            // retiring the unreadable current key by its kid (never "whatever is current": that
            // would retire the key another instance made a moment ago). Two instances doing
            // this at once meet at the unique index on the current key; the loser reads the
            // winner's.
            let (der, kid) = try Self.generate()
            let sealed = try Self.seal(der, kid: kid, key: sealing)
            let unreadableKIDs = unreadable
            do {
                try await store.write { db in
                    if !unreadableKIDs.isEmpty {
                        try await db.sql.raw("""
                            UPDATE oidc_keys SET retired_at = \(bind: now) \
                            WHERE retired_at IS NULL AND kid IN \(SQLGroupExpression(unreadableKIDs.map { SQLBind($0) }))
                            """).run()
                    }
                    try await Self.insert(kid: kid, sealed: sealed, now: now, on: db.sql)
                }
            } catch {
                guard try await read(now: now, sealing: sealing).keys.contains(where: { $0.retiredAt == nil }) else { throw error }
            }
            keys = try await read(now: now, sealing: sealing).keys
        }
        guard let current = keys.first(where: { $0.retiredAt == nil }) else { throw OIDCKeyError.noCurrentKey }
        let published = [current] + keys.filter { $0.retiredAt != nil }
        let collection = JWTKeyCollection()
        for key in published {
            await collection.add(rsa: try JWTKit.Insecure.RSA.PrivateKey(backing: key.privateKey), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.kid))
        }
        return KeySet(current: current, published: published, collection: collection, jwks: try published.map { try $0.publicJWK })
    }

    /// The current key and the keys retired less than 24 hours ago, newest first; and the
    /// kids of those that do not open under this `PORTICO_SECRET`.
    private func read(now: Date, sealing: SymmetricKey) async throws -> (keys: [Key], unreadable: [String]) {
        let since = now.addingTimeInterval(-Self.retiredKeyLifetime)
        let rows = try await store.sql.raw("""
            SELECT kid, sealed_private_key, created_at, retired_at FROM oidc_keys \
            WHERE retired_at IS NULL OR retired_at > \(bind: since) ORDER BY created_at DESC
            """).all()
        var keys: [Key] = []
        var unreadable: [String] = []
        for row in rows {
            let kid = try row.decode(column: "kid", as: String.self)
            guard let der = try? Self.open(try row.decode(column: "sealed_private_key", as: String.self), kid: kid, key: sealing) else {
                unreadable.append(kid)
                continue
            }
            keys.append(Key(
                kid: kid, privateKey: try _RSA.Signing.PrivateKey(derRepresentation: der),
                createdAt: try row.decode(column: "created_at", as: Date.self), retiredAt: try row.decode(column: "retired_at", as: Date?.self)
            ))
        }
        return (keys, unreadable)
    }

    private static func insert(kid: String, sealed: String, now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO oidc_keys (id, kid, sealed_private_key, created_at) VALUES (\(bind: UUID()), \(bind: kid), \(bind: sealed), \(bind: now))
            """).run()
    }

    /// A new RSA 2048 key: its PKCS#8 DER and its thumbprint.
    static func generate() throws -> (der: Data, kid: String) {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let primitives = try key.publicKey.getKeyPrimitives()
        return (key.derRepresentation, thumbprint(n: primitives.modulus, e: primitives.publicExponent))
    }

    /// RFC 7638: SHA-256 of `{"e":…,"kty":"RSA","n":…}` (members in that order, no spaces), base64url.
    public static func thumbprint(n: Data, e: Data) -> String {
        let canonical = #"{"e":"\#(Base64URL.encode(e))","kty":"RSA","n":"\#(Base64URL.encode(n))"}"#
        return Base64URL.encode(Data(SHA256.hash(data: Data(canonical.utf8))))
    }

    // MARK: - Encryption at rest

    private func sealingKey() async throws -> SymmetricKey {
        let secret = try await RootSecret.resolve(configured: configuredSecret, store: store).secret
        return Self.sealingKey(rootSecret: secret)
    }

    static func sealingKey(rootSecret: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(rootSecret.utf8)), info: Data("portico-oidc-keys-v1".utf8), outputByteCount: 32
        )
    }

    /// AES-GCM with the `kid` as associated data, so a sealed key cannot be moved to another row.
    static func seal(_ der: Data, kid: String, key: SymmetricKey) throws -> String {
        guard let combined = try AES.GCM.seal(der, using: key, authenticating: Data(kid.utf8)).combined else { throw OIDCKeyError.sealing }
        return combined.base64EncodedString()
    }

    static func open(_ sealed: String, kid: String, key: SymmetricKey) throws -> Data {
        guard let combined = Data(base64Encoded: sealed) else { throw OIDCKeyError.unreadable(kid) }
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key, authenticating: Data(kid.utf8))
        } catch {
            throw OIDCKeyError.unreadable(kid)
        }
    }
}

public enum OIDCKeyError: Error, CustomStringConvertible {
    case noCurrentKey
    case sealing
    case unreadable(String)

    public var description: String {
        switch self {
        case .noCurrentKey: "no current OpenID Connect signing key"
        case .sealing: "could not encrypt the OpenID Connect signing key"
        case .unreadable(let kid): "the OpenID Connect signing key \(kid) cannot be decrypted under this PORTICO_SECRET"
        }
    }
}
