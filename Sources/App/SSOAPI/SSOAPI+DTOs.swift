import Foundation
import PorticoCore
import Vapor

/// The SSO API (seed 002, SPEC §5): `/api/v1/AdminApi/*` and `/api/v1/SsoApi/*`.
enum SSOAPI {}

extension SSOAPI {
    /// `api_error_entity`: on success `error_code` 0 and any warnings.
    struct ErrorEntity: Encodable {
        var errorCode: Int
        @NullEncoded var errorMessage: String?
        var warningMessages: [String]

        enum CodingKeys: String, CodingKey {
            case errorCode = "error_code"
            case errorMessage = "error_message"
            case warningMessages = "warning_messages"
        }

        static func success(_ warnings: [String] = []) -> ErrorEntity {
            ErrorEntity(errorCode: 0, errorMessage: nil, warningMessages: warnings)
        }
    }

    /// An SSO API failure: a status of the reference (403, 409, 422, 429) and a stable code.
    struct Failure: Error {
        var status: HTTPResponseStatus
        var code: Int
        var message: String
        var retryAfter: Int?

        // The stable error codes, also listed in /openapi.json.
        static func badCredentials() -> Failure { Failure(status: .forbidden, code: 1001, message: "the username or password is not correct") }
        static func grantType() -> Failure { Failure(status: .unprocessableEntity, code: 1002, message: "grant_type is required and must be \"password\"") }
        static func throttled(_ seconds: Int) -> Failure {
            Failure(status: .tooManyRequests, code: 1003, message: "too many failed attempts; retry in \(seconds) s", retryAfter: seconds)
        }
        /// Too many password checks queued (SPEC §9): refused at once, retry in a second.
        static func busy() -> Failure {
            Failure(status: .tooManyRequests, code: 1004, message: "too many sign-ins at once; retry in 1 s", retryAfter: 1)
        }
        static func badAccessToken(_ why: String) -> Failure { Failure(status: .forbidden, code: 1101, message: why) }
        static func forbidden() -> Failure {
            Failure(status: .forbidden, code: 1102, message: "the admin lacks the use_sso_api permission in this subscription's organization")
        }
        static func validation(_ message: String) -> Failure { Failure(status: .unprocessableEntity, code: 1201, message: message) }
        static func notFound(_ message: String) -> Failure { Failure(status: .conflict, code: 1301, message: message) }
        static func methodNotAllowed() -> Failure { Failure(status: .methodNotAllowed, code: 1401, message: "method not allowed") }
        static func unknownPath() -> Failure { Failure(status: .notFound, code: 1404, message: "no such SSO API method") }
        static func internalError() -> Failure { Failure(status: .internalServerError, code: 1500, message: "something went wrong on our side") }

        func response() -> Response {
            struct Body: Encodable {
                var apiErrorEntity: ErrorEntity
                enum CodingKeys: String, CodingKey { case apiErrorEntity = "api_error_entity" }
            }
            let response = (try? JSONBody.response(Body(apiErrorEntity: .init(errorCode: code, errorMessage: message, warningMessages: [])), status: status))
                ?? Response(status: status)
            if let retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
            return response
        }

        /// Any error as the SSO API reports it.
        static func from(_ error: any Error) -> Failure {
            if StoreFailure.kind(of: error) == .referencedRowGone { return .notFound("the user or subscription no longer exists") }
            switch error {
            case let f as Failure: return f
            case let e as PorticoError:
                switch e {
                case .invalid(let m): return .validation(m)
                case .notFound(let m), .conflict(let m): return .notFound(m)
                }
            case let e as any AbortError:
                switch e.status {
                case .payloadTooLarge: return Failure(status: .payloadTooLarge, code: 1202, message: "the body is larger than 1 MiB")
                case .notFound: return .unknownPath()
                case .methodNotAllowed: return .methodNotAllowed()
                default: return e.status.code >= 500 ? .internalError() : .validation(e.reason)
                }
            default: return .internalError()
            }
        }
    }

    struct AuthenticateResponse: Encodable {
        var accessToken: String
        var tokenType = "bearer"
        var expiresIn: Int?
        var apiErrorEntity: ErrorEntity

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case tokenType = "token_type"
            case expiresIn = "expires_in"
            case apiErrorEntity = "api_error_entity"
        }
    }

    struct ValidateResponse: Encodable {
        @NullEncoded var utcExpirationDate: Date?
        @NullEncoded var errorMessage: String?
        var apiErrorEntity: ErrorEntity

        enum CodingKeys: String, CodingKey {
            case utcExpirationDate = "utc_expiration_date"
            case errorMessage = "error_message"
            case apiErrorEntity = "api_error_entity"
        }
    }

    struct SignInResponse: Encodable {
        var url: String
        var accessToken: String
        var tokenType = "bearer"
        var expiresIn: Int
        var apiErrorEntity: ErrorEntity

        enum CodingKeys: String, CodingKey {
            case url
            case accessToken = "access_token"
            case tokenType = "token_type"
            case expiresIn = "expires_in"
            case apiErrorEntity = "api_error_entity"
        }
    }
}

/// A request body as loose JSON (or form fields): the SSO API's clients send typed
/// nil UUIDs, integers or enum names, so fields are read one by one.
struct LooseBody {
    let fields: [String: Any]

    static func read(_ request: Request, allowForm: Bool) throws -> LooseBody {
        let data = request.body.data.map { Data($0.readableBytesView) } ?? Data()
        guard data.count <= JSONBody.maxBodyBytes else { throw Abort(.payloadTooLarge) }
        if allowForm, request.headers.contentType == .urlEncodedForm {
            var fields: [String: Any] = [:]
            for pair in String(decoding: data, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
            }
            return LooseBody(fields: fields)
        }
        if data.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { return LooseBody(fields: [:]) }
        guard let object = try? JSONSerialization.jsonObject(with: data), let fields = object as? [String: Any] else {
            throw SSOAPI.Failure.validation("the body must be a JSON object")
        }
        return LooseBody(fields: fields)
    }

    /// A string field; absent and null are nil; any other type is a validation error.
    func string(_ name: String) throws -> String? {
        guard let value = fields[name], !(value is NSNull) else { return nil }
        guard let s = value as? String else { throw SSOAPI.Failure.validation("\(name) must be a string") }
        return s
    }

    /// A UUID field where absent, null, "" and the nil UUID all mean "not given".
    func uuid(_ name: String) throws -> UUID? {
        guard let s = try string(name), !s.isEmpty else { return nil }
        guard let id = UUID(uuidString: s) else { throw SSOAPI.Failure.validation("\(name) must be a UUID") }
        return id == UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) ? nil : id
    }

    /// `display`: 0/1, or "Normal"/"NoChrome"; absent or null is 0.
    func display() throws -> Int {
        guard let value = fields["display"], !(value is NSNull) else { return 0 }
        if let s = value as? String {
            switch s.lowercased() {
            case "normal", "0": return 0
            case "nochrome", "1": return 1
            default: throw SSOAPI.Failure.validation("display must be 0 (Normal) or 1 (NoChrome)")
            }
        }
        if let n = value as? NSNumber, !isBoolean(n), n.doubleValue == 0 || n.doubleValue == 1 { return n.intValue }
        throw SSOAPI.Failure.validation("display must be 0 (Normal) or 1 (NoChrome)")
    }

    /// `redirect_entity_request`, when present.
    func redirectEntity() throws -> SSOAPIService.RedirectEntityChange? {
        guard let value = fields["redirect_entity_request"], !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else { throw SSOAPI.Failure.validation("redirect_entity_request must be an object") }
        let nested = LooseBody(fields: object)
        return SSOAPIService.RedirectEntityChange(
            logoutURL: try nested.string("logout_url"),
            invalidTokenURL: try nested.string("invalid_token_url"),
            expiredTokenURL: try nested.string("expired_token_url")
        )
    }
}

/// Booleans arrive from JSONSerialization as NSNumbers too; they are not integers here.
private func isBoolean(_ n: NSNumber) -> Bool {
    String(cString: n.objCType) == "c"
}
