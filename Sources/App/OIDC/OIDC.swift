import Foundation
import JWTKit
import PorticoCore
import Vapor

/// Portico as an OpenID Provider for its partner apps (SPEC §10). Handlers read the
/// request and write the answer; `OpenIDConnect` decides, the stores read and write.
enum OIDC {}

// MARK: - Discovery and keys

extension OIDC {
    struct Discovery: Encodable {
        var issuer: String
        var authorizationEndpoint: String
        var tokenEndpoint: String
        var userinfoEndpoint: String
        var jwksURI: String
        var revocationEndpoint: String
        var endSessionEndpoint: String
        var responseTypesSupported = ["code"]
        var responseModesSupported = ["query"]
        var grantTypesSupported = ["authorization_code", "refresh_token"]
        var subjectTypesSupported = ["public"]
        var idTokenSigningAlgValuesSupported = ["RS256"]
        var scopesSupported = OpenIDConnect.supportedScopes
        var tokenEndpointAuthMethodsSupported = ["client_secret_basic", "client_secret_post", "none"]
        var revocationEndpointAuthMethodsSupported = ["client_secret_basic", "client_secret_post", "none"]
        var codeChallengeMethodsSupported = ["S256"]
        var claimsSupported = OpenIDConnect.claimsSupported
        var promptValuesSupported = ["none", "login"]
        var authorizationResponseIssParameterSupported = true
        var requestParameterSupported = false
        var requestURIParameterSupported = false
        var claimsParameterSupported = false

        enum CodingKeys: String, CodingKey {
            case issuer
            case authorizationEndpoint = "authorization_endpoint", tokenEndpoint = "token_endpoint"
            case userinfoEndpoint = "userinfo_endpoint", jwksURI = "jwks_uri", revocationEndpoint = "revocation_endpoint"
            case endSessionEndpoint = "end_session_endpoint", responseTypesSupported = "response_types_supported"
            case responseModesSupported = "response_modes_supported", grantTypesSupported = "grant_types_supported"
            case subjectTypesSupported = "subject_types_supported"
            case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
            case scopesSupported = "scopes_supported", tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
            case revocationEndpointAuthMethodsSupported = "revocation_endpoint_auth_methods_supported"
            case codeChallengeMethodsSupported = "code_challenge_methods_supported", claimsSupported = "claims_supported"
            case promptValuesSupported = "prompt_values_supported"
            case authorizationResponseIssParameterSupported = "authorization_response_iss_parameter_supported"
            case requestParameterSupported = "request_parameter_supported"
            case requestURIParameterSupported = "request_uri_parameter_supported"
            case claimsParameterSupported = "claims_parameter_supported"
        }
    }

    /// `GET /.well-known/openid-configuration`.
    static func discovery(req: Request) async throws -> Response {
        let portico = req.portico
        let body = Discovery(
            issuer: portico.config.publicURL, authorizationEndpoint: portico.url(SiteURL.oauthAuthorize.path),
            tokenEndpoint: portico.url(SiteURL.oauthToken.path), userinfoEndpoint: portico.url(SiteURL.oauthUserInfo.path),
            jwksURI: portico.url(SiteURL.oauthJWKS.path), revocationEndpoint: portico.url(SiteURL.oauthRevoke.path),
            endSessionEndpoint: portico.url(SiteURL.oauthLogout.path)
        )
        return try json(body, cache: "public, max-age=300")
    }

    /// `GET /oauth/jwks`: the current key, then keys retired less than 24 hours ago.
    static func jwks(req: Request) async throws -> Response {
        struct Keys: Encodable { var keys: [OIDCKeys.PublicJWK] }
        return try json(Keys(keys: try await req.portico.oidcKeys.keySet().jwks), cache: "public, max-age=300")
    }

    // MARK: - Answers

    static func json(_ value: some Encodable, status: HTTPResponseStatus = .ok, cache: String = "no-store") throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .cacheControl, value: cache)
        if cache == "no-store" { headers.replaceOrAdd(name: .pragma, value: "no-cache") }
        return Response(status: status, headers: headers, body: .init(data: try PorticoJSON.encoder().encode(value)))
    }

    /// `{"error", "error_description"}` (RFC 6749 §5.2), no-store; `invalid_client` is 401
    /// with `WWW-Authenticate: Basic`.
    static func error(_ e: OpenIDConnect.TokenError) -> Response {
        struct Body: Encodable {
            var error: String
            var errorDescription: String
            enum CodingKeys: String, CodingKey {
                case error
                case errorDescription = "error_description"
            }
        }
        let response = (try? json(Body(error: e.error, errorDescription: e.description), status: HTTPResponseStatus(statusCode: e.status)))
            ?? Response(status: .badRequest)
        if e.status == 401 { response.headers.replaceOrAdd(name: .wwwAuthenticate, value: #"Basic realm="portico""#) }
        return response
    }

    /// The parameters of an authorization or logout request: the query of a GET, the
    /// form body of a POST.
    static func parameters(_ req: Request) -> OpenIDConnect.Parameters {
        if req.method == .POST {
            guard hasFormBody(req) else { return .init([]) }
            return .init(formEncoded: req.body.string ?? "")
        }
        return .init(formEncoded: req.url.query ?? "")
    }

    /// Whether the body is `application/x-www-form-urlencoded` (media types are
    /// case-insensitive, RFC 9110 §8.3.1; parameters such as `charset` do not matter).
    static func hasFormBody(_ req: Request) -> Bool {
        guard let type = req.headers.contentType else { return false }
        return type.type.lowercased() == "application" && type.subType.lowercased() == "x-www-form-urlencoded"
    }

    /// The form body of a token or revocation request (RFC 6749 §3.2: never the query).
    static func formBody(_ req: Request) -> Result<OpenIDConnect.Parameters, OpenIDConnect.TokenError> {
        guard hasFormBody(req) else { return .failure(.invalidRequest("send the parameters as application/x-www-form-urlencoded")) }
        let p = OpenIDConnect.Parameters(formEncoded: req.body.string ?? "")
        if p.malformed { return .failure(.invalidRequest("the body is not valid URL encoding")) }
        if let name = p.repeated() { return .failure(.invalidRequest("the parameter \(name) was given more than once")) }
        return .success(p)
    }

    /// The client a request names, if its id has the shape of one.
    static func client(_ clientID: String, _ req: Request) async throws -> OpenIDConnect.Client? {
        guard OpenIDConnect.isClientIDShape(clientID) else { return nil }
        return try await req.portico.hotPaths.oidcClient(clientID: clientID)
    }

    /// Client authentication for the token and revocation endpoints.
    static func authenticatedClient(_ req: Request, _ p: OpenIDConnect.Parameters) async throws -> Result<OpenIDConnect.Client, OpenIDConnect.TokenError> {
        if req.headers[.authorization].count > 1 { return .failure(.invalidRequest("send one Authorization header")) }
        let credentials: OpenIDConnect.Credentials
        switch OpenIDConnect.credentials(authorization: req.headers.first(name: .authorization), p) {
        case .failure(let e): return .failure(e)
        case .success(let c): credentials = c
        }
        let client = try await client(credentials.clientID, req)
        if let e = OpenIDConnect.authenticate(credentials, client: client) { return .failure(e) }
        return client.map { .success($0) } ?? .failure(.invalidClient("unknown client"))
    }
}
