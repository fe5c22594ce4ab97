import Foundation
import PorticoCore
import Vapor

extension PartnerAPI {
    /// API-key authentication for `/api` (SPEC §3): the key from `Authorization`
    /// (`Bearer <key>`, `Token <key>` or `Token token="<key>"`), looked up by its
    /// SHA-256 on the unique index, compared in constant time, then rate-limited.
    struct KeyAuthenticator: AsyncMiddleware {
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            let portico = request.portico
            guard let key = Self.key(from: request.headers.first(name: .authorization)) else { throw APIError.unauthorized }
            let hash = Secrets.sha256Hex(key)
            guard let context = try await portico.hotPaths.apiKey(hash: hash),
                  Secrets.constantTimeEquals(context.keyHash, hash)
            else { throw APIError.unauthorized }
            let now = portico.clock.now()
            guard context.isUsable(at: now) else { throw APIError.unauthorized }
            if let limiter = portico.rateLimiter, let wait = limiter.take(key: context.keyID, now: now) {
                throw APIError(.tooManyRequests, "rate_limited", "too many requests for this API key; retry in \(wait) s", retryAfter: wait)
            }
            if portico.keyUse.shouldRecord(key: context.keyID, storedLastUse: context.lastUsedAt, now: now) {
                try await portico.hotPaths.markAPIKeyUsed(id: context.keyID, at: now)
            }
            request.logger[metadataKey: "api-key"] = .string(context.prefix)
            request.apiKey = context
            return try await next.respond(to: request)
        }

        /// The key of an `Authorization` header in one of its three forms, when it has a key's shape.
        static func key(from header: String?) -> String? {
            guard let header else { return nil }
            let value = header.trimmingCharacters(in: .whitespaces)
            var candidate: Substring
            if value.lowercased().hasPrefix("bearer ") {
                candidate = value.dropFirst(7)
            } else if value.lowercased().hasPrefix("token ") {
                candidate = value.dropFirst(6)
                let trimmed = candidate.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("token=") {
                    var quoted = trimmed.dropFirst(6)
                    guard quoted.hasPrefix("\""), quoted.hasSuffix("\""), quoted.count >= 2 else { return nil }
                    quoted = quoted.dropFirst().dropLast()
                    candidate = quoted
                }
            } else {
                return nil
            }
            let key = candidate.trimmingCharacters(in: .whitespaces)
            return Secrets.isHex32(key) ? key : nil
        }
    }
}

extension Request {
    private struct APIKeyStorageKey: StorageKey {
        typealias Value = APIKeyContext
    }

    /// The authenticated API key (set by `PartnerAPI.KeyAuthenticator`).
    var apiKey: APIKeyContext? {
        get { storage[APIKeyStorageKey.self] }
        set { storage[APIKeyStorageKey.self] = newValue }
    }

    func requireAPIKey() throws -> APIKeyContext {
        guard let key = apiKey else { throw APIError.unauthorized }
        return key
    }

    /// The audit actor for this request's key.
    var apiActor: String { "key:" + (apiKey?.prefix ?? "?") }

    /// The client's address, believing `X-Forwarded-For` only from trusted proxies.
    var clientIP: String? {
        guard let peer = remoteAddress?.ipAddress else { return nil }
        let proxies = portico.config.trustedProxies
        guard !proxies.isEmpty, let address = IPAddress(peer), proxies.contains(where: { $0.contains(address) }),
              headers.contains(name: "X-Forwarded-For")
        else { return peer }
        // Every line, in order: a proxy may add its own line instead of appending.
        let forwarded = headers["X-Forwarded-For"].joined(separator: ",")
        // The right-most address that is not itself a trusted proxy.
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard let hopAddress = IPAddress(hop) else { return peer }
            if !proxies.contains(where: { $0.contains(hopAddress) }) { return hop }
        }
        return hops.first ?? peer
    }
}
