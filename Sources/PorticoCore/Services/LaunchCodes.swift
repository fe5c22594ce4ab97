import Crypto
import FluentKit
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// Launch codes (seed 003, SPEC §6): Portico is the identity provider. A code is
/// ChaCha20-Poly1305 of (launch id, user id, issue time) under the app's key,
/// HKDF-SHA256(root secret, salt: app id, info: "portico-launch-v1"), with the app id
/// as associated data, in base64url without padding. Valid 60 seconds, once.
public enum LaunchCodes {
    public static let lifetime: TimeInterval = 60

    /// The exchange's failures, in the order they are checked, with the seed's texts.
    public enum Failure: String, Error, Sendable, CaseIterable {
        case missingCode = "don't have launchCode"
        case missingKey = "don't have key"
        case wrongKey = "key is not correct"
        case undecryptable = "code can not be decrypted"
        case expired = "Time limit passed for Token"
        case userGone = "user doesn't exist"
        case notValid = "code is not correct"

        public var status: Int { self == .userGone ? 404 : 400 }
    }

    /// What is sealed inside a code.
    public struct Contents: Sendable, Equatable {
        public var launchID: UUID
        public var userID: UUID
        public var issuedAt: Date
    }

    // MARK: Crypto

    public static func key(rootSecret: String, appID: UUID) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(rootSecret.utf8)),
            salt: Data(appID.uuidString.lowercased().utf8),
            info: Data("portico-launch-v1".utf8),
            outputByteCount: 32
        )
    }

    public static func seal(_ contents: Contents, appID: UUID, key: SymmetricKey) throws -> String {
        var plain = Data()
        plain.append(contentsOf: bytes(of: contents.launchID))
        plain.append(contentsOf: bytes(of: contents.userID))
        let millis = UInt64(max(0, contents.issuedAt.timeIntervalSince1970 * 1000).rounded(.down))
        withUnsafeBytes(of: millis.bigEndian) { plain.append(contentsOf: $0) }
        let box = try ChaChaPoly.seal(plain, using: key, authenticating: Data(appID.uuidString.lowercased().utf8))
        return Base64URL.encode(box.combined)
    }

    public static func open(_ code: String, appID: UUID, key: SymmetricKey) -> Contents? {
        guard code.utf8.count <= 200, let data = Base64URL.decode(code),
              let box = try? ChaChaPoly.SealedBox(combined: data),
              let plain = try? ChaChaPoly.open(box, using: key, authenticating: Data(appID.uuidString.lowercased().utf8)),
              plain.count == 40
        else { return nil }
        let bytes = Array(plain)
        let millis = bytes[32..<40].reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        return Contents(
            launchID: uuid(bytes[0..<16]), userID: uuid(bytes[16..<32]),
            issuedAt: Date(timeIntervalSince1970: Double(millis) / 1000)
        )
    }

    private static func bytes(of id: UUID) -> [UInt8] {
        withUnsafeBytes(of: id.uuid) { Array($0) }
    }

    private static func uuid(_ slice: ArraySlice<UInt8>) -> UUID {
        let b = Array(slice)
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}

/// The per-app launch keys, derived once from the root secret and kept in memory.
public final class LaunchKeys: Sendable {
    private let rootSecret: NIOLockedValueBox<String?> = .init(nil)
    private let keys = NIOLockedValueBox<[UUID: Data]>([:])
    private let configured: String?
    private let store: PorticoStore

    public init(configuredSecret: String?, store: PorticoStore) {
        self.configured = configuredSecret
        self.store = store
    }

    public func key(appID: UUID) async throws -> SymmetricKey {
        if let bytes = keys.withLockedValue({ $0[appID] }) { return SymmetricKey(data: bytes) }
        let secret: String
        if let known = rootSecret.withLockedValue({ $0 }) {
            secret = known
        } else {
            secret = try await RootSecret.resolve(configured: configured, store: store).secret
            rootSecret.withLockedValue { $0 = secret }
        }
        let key = LaunchCodes.key(rootSecret: secret, appID: appID)
        let bytes = key.withUnsafeBytes { Data($0) }
        keys.withLockedValue { $0[appID] = bytes }
        return key
    }
}

extension LaunchCodes {
    /// A launch as the stores read it by id.
    public struct StoredLaunch: Sendable {
        public var appID: UUID
        public var userID: UUID
        public var expiresAt: Date
        public var used: Bool

        public init(appID: UUID, userID: UUID, expiresAt: Date, used: Bool) {
            self.appID = appID
            self.userID = userID
            self.expiresAt = expiresAt
            self.used = used
        }
    }

    public enum Decision: Sendable {
        case answer(LaunchRedemption)
        /// Mark the launch used (only if no one else has) and answer `.redeemed(user)`.
        case consume(UserRecord)
    }

    /// The stored half of SPEC §6's order, for a code that decrypted in time: the user
    /// deleted or expired first (`user doesn't exist`, even though their launches are
    /// gone), then a launch that is unknown, used, expired, or another app's or user's.
    public static func decide(user: UserRecord?, launch: StoredLaunch?, appID: UUID, userID: UUID, now: Date) -> Decision {
        guard let user, user.id == userID, user.isLive(at: now) else { return .answer(.userGone) }
        guard let launch, !launch.used, launch.appID == appID, launch.userID == userID, launch.expiresAt >= now else {
            return .answer(.notValid)
        }
        return .consume(user)
    }

    /// Records a launch of `userID` to the app and returns its code.
    public static func issue(
        appID: UUID, userID: UUID, now: Date, hotPaths: any HotPathStore, keys: LaunchKeys
    ) async throws -> (code: String, expiresAt: Date) {
        let launchID = UUID.timeOrdered()
        let key = try await keys.key(appID: appID)
        let code = try seal(Contents(launchID: launchID, userID: userID, issuedAt: now), appID: appID, key: key)
        try await hotPaths.insertLaunch(id: launchID, appID: appID, userID: userID, issuedAt: now)
        return (code, now.addingTimeInterval(lifetime))
    }

    /// The partner's exchange of code `t` and app key `k` for the user's identity,
    /// checked in the order of SPEC §6.
    public static func exchange(
        code: String?, key: String?, now: Date, hotPaths: any HotPathStore, keys: LaunchKeys
    ) async throws -> Result<UserRecord, Failure> {
        guard let code, !code.isEmpty else { return .failure(.missingCode) }
        guard let key, !key.isEmpty else { return .failure(.missingKey) }
        let keyHash = Secrets.sha256Hex(key)
        guard Secrets.isHex32(key), let app = try await hotPaths.partnerApp(keyHash: keyHash),
              Secrets.constantTimeEquals(app.keyHash, keyHash)
        else { return .failure(.wrongKey) }
        guard let contents = open(code, appID: app.id, key: try await keys.key(appID: app.id)) else { return .failure(.undecryptable) }
        let age = now.timeIntervalSince(contents.issuedAt)
        guard age <= lifetime, age >= -5 else { return .failure(.expired) }
        switch try await hotPaths.redeemLaunch(id: contents.launchID, appID: app.id, userID: contents.userID, now: now) {
        case .redeemed(let user): return .success(user)
        case .userGone: return .failure(.userGone)
        case .notValid: return .failure(.notValid)
        }
    }
}
