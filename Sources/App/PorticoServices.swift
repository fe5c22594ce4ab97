import Foundation
import PorticoCore
import Vapor

/// What every handler, command and background job of one Portico process shares.
public struct PorticoServices: Sendable {
    public let config: PorticoConfig
    public let store: PorticoStore
    public let hotPaths: any HotPathStore
    public let clock: any PorticoClock
    public let curriculum: Curriculum
    public let rateLimiter: RateLimiter<UUID>?
    /// Failed sign-ins (`/login/sso`) and failed launch-code exchanges, per client address.
    public let failureLimiter: RateLimiter<String>?
    public let metrics: PorticoMetrics
    public let keyUse: KeyUseThrottle
    public let launchKeys: LaunchKeys
    /// The OpenID Connect signing keys (read from the database, kept at most 10 s).
    public let oidcKeys: OIDCKeys
    public let loginThrottle: LoginThrottle
    /// bcrypt for sign-ins, on its own bounded pool (never the database's).
    let passwords: BcryptVerifier
    /// Name lookups for webhook targets (checked against the SSRF rules).
    public let webhookResolver: any HostResolver
    let webhookClients: WebhookClients

    /// A delivery worker of this process's services (`serve`, `worker`, tests).
    func webhookWorker(logger: Logger) -> WebhookWorker {
        WebhookWorker(portico: self, clients: webhookClients, resolver: webhookResolver, logger: logger)
    }

    /// `PORTICO_PUBLIC_URL` + `path` (which starts with `/`).
    public func url(_ path: String) -> String { config.publicURL + path }
}

extension Application {
    private struct PorticoKey: StorageKey {
        typealias Value = PorticoServices
    }

    public var portico: PorticoServices {
        get {
            guard let services = storage[PorticoKey.self] else { fatalError("configure(_:) has not run") }
            return services
        }
        set { storage[PorticoKey.self] = newValue }
    }
}

extension Request {
    public var portico: PorticoServices { application.portico }
}
