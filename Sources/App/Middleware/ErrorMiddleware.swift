import Foundation
import PorticoCore
import Vapor

/// How a route reports errors: chosen per route group in `routes.swift` (kept in the
/// route's `userInfo`), never guessed from a path.
enum ErrorFormat: Sendable {
    /// `{"error": {"status", "code", "message"}}`: the Partner API, the operational
    /// endpoints and the launch-code exchange.
    case json
    /// `{"api_error_entity": {...}}`: the SSO API.
    case ssoAPI
    /// An HTML page: sign-in, the member area, the admin area.
    case page
    /// `{"error", "error_description"}` (RFC 6749 §5.2): the OpenID Connect endpoints clients call.
    case oauth
    /// The fallback route for paths no other route has: the SSO API's any-case paths
    /// are the SSO API's, other `/api/` paths JSON, the rest pages.
    case unmatched

    static let userInfoKey = "portico.error_format"

    /// The OpenID Connect endpoints clients call: another method there is answered in OAuth's JSON.
    static let oauthPaths: Set<String> = Set([SiteURL.oauthToken, .oauthRevoke, .oauthUserInfo, .oauthJWKS, .openIDConfiguration].map(\.path))

    /// The format for this request, resolved for the fallback route.
    static func of(_ request: Request) -> ErrorFormat {
        switch request.route?.userInfo[userInfoKey] as? ErrorFormat ?? .unmatched {
        case .unmatched:
            let path = request.url.path.lowercased()
            if SSOAPI.isSSOAPIPath(path) { return .ssoAPI }
            if oauthPaths.contains(path) { return .oauth }
            return path.hasPrefix("/api/") || path == "/api" ? .json : .page
        case let format:
            return format
        }
    }
}

/// Turns every error into the error format of the route it happened on, and never
/// lets a detail of an unexpected error reach the client.
struct PorticoErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch is RouteNotFound {
            // A method no route has at all (TRACE, QUERY, an invented one): on a path
            // Portico has, 405 with `Allow`, as for the methods the fallback route takes.
            let allowed = MethodNotAllowed.methods(for: request.url.path, in: request.application.routes.all)
            return Self.response(for: allowed.isEmpty ? Abort(.notFound) : MethodNotAllowed(allowed: allowed), request: request)
        } catch {
            return Self.response(for: error, request: request)
        }
    }

    static func response(for error: any Error, request: Request) -> Response {
        let response = formatted(error, request: request)
        if let notAllowed = error as? MethodNotAllowed {
            response.headers.replaceOrAdd(name: .allow, value: notAllowed.allowHeader)
        }
        return response
    }

    private static func formatted(_ error: any Error, request: Request) -> Response {
        switch ErrorFormat.of(request) {
        case .ssoAPI:
            let failure = SSOAPI.Failure.from(error)
            if failure.status == .internalServerError { request.logger.report(error: error) }
            return failure.response()
        case .page, .unmatched:
            return page(for: error, request: request)
        case .oauth:
            let apiError = APIError(error)
            if apiError.status == .internalServerError { request.logger.report(error: error) }
            let description = apiError.status == .unsupportedMediaType ? "send application/x-www-form-urlencoded" : apiError.message
            let response = OIDC.error(.init(apiError.status == .internalServerError ? "server_error" : "invalid_request", description))
            // RFC 6749 §5.2: a request the endpoint cannot take is a 400 `invalid_request`
            // (a NUL in the body, a multipart body), whatever the shared guard's status.
            let keeps: Set<UInt> = [401, 405, 413, 500]
            response.status = keeps.contains(apiError.status.code) ? apiError.status : .badRequest
            return response
        case .json:
            let apiError = APIError(error)
            if apiError.status == .internalServerError {
                request.logger.report(error: error)
            }
            let response = apiError.response()
            if let retryAfter = apiError.retryAfter {
                response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter))
            }
            return response
        }
    }
}

extension PorticoErrorMiddleware {
    /// An error as an HTML page, without chrome or details of unexpected errors.
    static func page(for error: any Error, request: Request) -> Response {
        if StoreFailure.kind(of: error) == .referencedRowGone {
            return Layout.message(.notFound, status: .notFound)
        }
        if let pageError = error as? PageError {
            return Layout.message(title: pageError.title, text: pageError.message, status: pageError.status)
        }
        if let adminError = error as? AdminPageError {
            let link: Message.Model.Link? = if case .signInRequired = adminError { .init(text: "Sign in", url: SiteURL.adminLogin.path) } else { nil }
            return Layout.message(.init(title: adminError.title, text: adminError.message, link: link), status: adminError.status)
        }
        if let abort = error as? any AbortError, abort.status.code < 500 {
            let status = abort.status
            if status == .notFound { return Layout.message(.notFound, status: status) }
            if status == .payloadTooLarge { return Layout.message(.tooMuchData, status: status) }
            return Layout.message(.badRequest, status: status)
        }
        request.logger.report(error: error)
        return Layout.message(.internalError, status: .internalServerError)
    }
}

/// The Partner API's error object (SPEC §3), also used by the operational endpoints:
/// `{"error": {"status", "code", "message"}}`.
struct APIError: Error {
    var status: HTTPResponseStatus
    var code: String
    var message: String
    var retryAfter: Int?

    init(_ status: HTTPResponseStatus, _ code: String, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    static let unauthorized = APIError(.unauthorized, "unauthorized", "a valid API key is required (Authorization: Bearer <key>)")
    static let userNotFound = APIError(.notFound, "user_not_found", "no such user")
    static let invalidPartnerID = APIError(.unprocessableEntity, "invalid_partner_id", PartnerID.invalidMessage)

    static func invalidRequest(_ message: String) -> APIError { APIError(.unprocessableEntity, "invalid_request", message) }
    static func invalidJSON(_ message: String) -> APIError { APIError(.badRequest, "invalid_json", message) }
    static func notFound(_ message: String = "not found") -> APIError { APIError(.notFound, "not_found", message) }

    /// Any error as the client should see it.
    init(_ error: any Error) {
        if StoreFailure.kind(of: error) == .referencedRowGone {
            // The user was deleted while this request for them ran.
            self = .userNotFound
            return
        }
        switch error {
        case let e as APIError:
            self = e
        case let e as PorticoError:
            switch e {
            case .invalid(let m): self = .invalidRequest(m)
            case .notFound(let m): self = .notFound(m)
            case .conflict(let m): self = APIError(.conflict, "conflict", m)
            }
        case is DecodingError:
            self = .invalidJSON("the body is not valid JSON for this endpoint")
        case let e as any AbortError:
            switch e.status {
            case .payloadTooLarge:
                // A refusal with a reason of its own (too many form fields) keeps it.
                let message = e.reason == e.status.reasonPhrase ? "the body is larger than 1 MiB" : e.reason
                self = APIError(.payloadTooLarge, "payload_too_large", message)
            case .notFound: self = .notFound()
            case .unauthorized: self = .unauthorized
            case .methodNotAllowed: self = APIError(.methodNotAllowed, "method_not_allowed", "method not allowed")
            case .unsupportedMediaType, .badRequest: self = .invalidJSON(e.status == .badRequest ? e.reason : "send application/json")
            default:
                if e.status.code >= 500 {
                    self = APIError(.internalServerError, "internal", "something went wrong on our side")
                } else {
                    self = APIError(e.status, "invalid_request", e.reason)
                }
            }
        default:
            self = APIError(.internalServerError, "internal", "something went wrong on our side")
        }
    }

    struct Body: Encodable {
        struct Inner: Encodable {
            var status: UInt
            var code: String
            var message: String
        }
        var error: Inner
    }

    func response() -> Response {
        let body = Body(error: .init(status: status.code, code: code, message: message))
        let data = (try? PorticoJSON.encoder().encode(body)) ?? Data()
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.cacheControl = .init(noStore: true)
        return Response(status: status, headers: headers, body: .init(data: data))
    }
}

/// A path Portico has, asked with a method it does not answer there: 405 with `Allow`
/// (RFC 9110 §15.5.6), in the route's error format.
struct MethodNotAllowed: AbortError {
    var allowed: [HTTPMethod]
    var status: HTTPResponseStatus { .methodNotAllowed }
    var reason: String { "method not allowed; allowed: " + allowHeader }
    var allowHeader: String { allowed.map(\.rawValue).joined(separator: ", ") }

    /// The methods of the routes whose pattern matches `path` (the fallback route left out).
    static func methods(for path: String, in routes: [Route]) -> [HTTPMethod] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var found: [HTTPMethod] = []
        for route in routes where route.path.count == segments.count && !route.path.contains(where: { $0 == .catchall }) {
            let matches = zip(route.path, segments).allSatisfy { component, segment in
                switch component {
                case .constant(let text): text == segment
                case .parameter, .anything: true
                case .catchall: false
                }
            }
            if matches, !found.contains(route.method) { found.append(route.method) }
        }
        if found.contains(.GET), !found.contains(.HEAD) { found.append(.HEAD) }
        return found.sorted { $0.rawValue < $1.rawValue }
    }
}
