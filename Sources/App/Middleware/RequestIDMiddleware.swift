import Foundation
import Vapor

/// Gives every request an id (`X-Request-Id`): the client's when it is sane, a new one
/// otherwise. It is in every log line of the request and echoed in the response.
struct RequestIDMiddleware: AsyncMiddleware {
    static let header = "X-Request-Id"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let id = request.headers.first(name: Self.header).flatMap(Self.sane) ?? UUID().uuidString.lowercased()
        request.logger[metadataKey: "request-id"] = .string(id)
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: Self.header, value: id)
        return response
    }

    /// 1-128 characters of letters, digits, `-`, `_`, `.`, `:`.
    static func sane(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count),
              value.utf8.allSatisfy({ b in
                  (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 95 || b == 46 || b == 58
              })
        else { return nil }
        return value
    }
}
