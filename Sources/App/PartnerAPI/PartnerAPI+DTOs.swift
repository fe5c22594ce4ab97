import Foundation
import PorticoCore
import Vapor

/// The Partner API (seed 000, SPEC §3): handlers in `PartnerAPI+*.swift`, wire
/// shapes here.
enum PartnerAPI {}

extension PartnerAPI {
    /// The user object with its token: `{"user": {..., "token": {...}}}`.
    struct UserWithToken: Encodable {
        var user: UserSnapshot
        var token: TokenDTO?

        func encode(to encoder: any Encoder) throws {
            try user.encode(to: encoder)
            if let token {
                var c = encoder.container(keyedBy: TokenKey.self)
                try c.encode(token, forKey: .token)
            }
        }

        enum TokenKey: String, CodingKey { case token }
    }

    struct TokenDTO: Encodable, JSONTextEncodable {
        var token: String
        var expiresAt: Date
        var ssoURL: String

        var jsonText: String {
            "{\"expires_at\":" + JSONText.time(expiresAt) + ",\"sso_url\":" + JSONText.quoted(ssoURL)
                + ",\"token\":" + JSONText.quoted(token) + "}"
        }

        enum CodingKeys: String, CodingKey {
            case token
            case expiresAt = "expires_at"
            case ssoURL = "sso_url"
        }
    }

    struct UserResponse: Encodable, JSONTextEncodable {
        var user: UserWithToken
        var created: Bool?

        var jsonText: String {
            let created = self.created.map { "\"created\":" + ($0 ? "true" : "false") + "," } ?? ""
            return "{" + created + "\"user\":" + user.user.json(token: user.token?.jsonText) + "}"
        }

        enum CodingKeys: String, CodingKey { case user, created }
    }

    /// `POST /api/users/{partner_id}` and `PATCH`: profile fields, each absent, null or a string.
    struct ProfileBody: Decodable {
        var email: String??
        var firstName: String??
        var lastName: String??

        enum CodingKeys: String, CodingKey {
            case email
            case firstName = "first_name"
            case lastName = "last_name"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func field(_ key: CodingKeys) throws -> String?? {
                guard c.contains(key) else { return .none }
                if try c.decodeNil(forKey: key) { return .some(nil) }
                return .some(try c.decode(String.self, forKey: key))
            }
            email = try field(.email)
            firstName = try field(.firstName)
            lastName = try field(.lastName)
        }

        init() {}

        /// Checks the values that are present; nil clears a field.
        func validated() throws -> ProfileBody {
            if case .some(.some(let email)) = email, !Credentials.isPlausibleEmail(email) {
                throw APIError.invalidRequest("email must be an email address")
            }
            for (value, name) in [(firstName, "first_name"), (lastName, "last_name")] {
                if case .some(.some(let v)) = value, v.count > 255 {
                    throw APIError.invalidRequest("\(name) must be at most 255 characters")
                }
            }
            return self
        }
    }

    struct EnrollmentBody: Decodable {
        var courseID: String?
        enum CodingKeys: String, CodingKey { case courseID = "course_id" }
    }

    struct SubscriptionBody: Decodable {
        var org: String?
    }

    struct TracksResponse: Encodable, JSONTextEncodable {
        var tracks: [TrackSnapshot]

        var jsonText: String { "{\"tracks\":[" + tracks.map(\.jsonText).joined(separator: ",") + "]}" }
    }

    struct InterviewsResponse: Encodable {
        var interviews: [InterviewSnapshot]
        @NullEncoded var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case interviews
            case nextCursor = "next_cursor"
        }
    }

    struct EnrollmentsResponse: Encodable {
        var enrollments: [EnrollmentSnapshot]
    }

    struct EnrollmentResponse: Encodable {
        var enrollment: EnrollmentSnapshot
        var created: Bool
    }

    struct SubscriptionResponse: Encodable {
        struct Inner: Encodable {
            var id: UUID
            var orgID: UUID
            var userID: UUID
            enum CodingKeys: String, CodingKey {
                case id
                case orgID = "org_id"
                case userID = "user_id"
            }
        }
        var subscription: Inner
        var created: Bool
    }

    struct CoursesResponse: Encodable {
        struct Course: Encodable {
            var id: String
            var title: String
            var description: String
            var lessonsTotal: Int
            enum CodingKeys: String, CodingKey {
                case id, title, description
                case lessonsTotal = "lessons_total"
            }
        }
        var courses: [Course]
    }
}

/// JSON bodies and responses in Portico's one JSON style.
enum JSONBody {
    /// The largest body any JSON endpoint accepts (the server refuses larger ones before they are read).
    static let maxBodyBytes = 1024 * 1024

    /// Decodes a body the operation requires (a `PATCH`: the fields to change): a missing
    /// or empty body is a 400 `invalid_json`, as the document says (`{}` changes nothing).
    static func decodeRequired<T: Decodable>(_ type: T.Type, from request: Request) throws -> T {
        let data = request.body.data.map { Data($0.readableBytesView) } ?? Data()
        guard data.contains(where: { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }) else {
            throw APIError.invalidJSON("a JSON object body is required (the fields to change)")
        }
        return try decode(type, from: request)
    }

    /// Decodes the request body as `T`. An empty body counts as `{}`. Anything that is
    /// not a JSON object with the right field types is a 400 `invalid_json`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) throws -> T {
        var data = Data()
        if let buffer = request.body.data { data = Data(buffer.readableBytesView) }
        guard data.count <= maxBodyBytes else {
            throw APIError(.payloadTooLarge, "payload_too_large", "the body is larger than 1 MiB")
        }
        if data.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) { data = Data("{}".utf8) }
        guard let first = data.first(where: { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }), first == UInt8(ascii: "{") else {
            throw APIError.invalidJSON("the body must be a JSON object")
        }
        do {
            return try PorticoJSON.decoder().decode(T.self, from: data)
        } catch let DecodingError.typeMismatch(_, context) {
            throw APIError.invalidJSON("\(fieldName(context)) has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw APIError.invalidJSON("\(fieldName(context)) must not be null")
        } catch {
            throw APIError.invalidJSON("the body is not valid JSON")
        }
    }

    private static func fieldName(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? "the body" : path
    }

    static func response(_ value: some Encodable, status: HTTPResponseStatus = .ok) throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.cacheControl = .init(noStore: true)
        if let text = value as? any JSONTextEncodable {
            return Response(status: status, headers: headers, body: .init(string: text.jsonText))
        }
        return Response(status: status, headers: headers, body: .init(data: try PorticoJSON.encoder().encode(value)))
    }
}
