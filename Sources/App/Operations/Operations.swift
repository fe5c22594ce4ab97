import Foundation
import PorticoCore
import Vapor

/// The operational endpoints (SPEC §2): liveness, readiness, metrics and API docs.
enum Operations {
    /// `GET /healthz`: the process is up.
    static func health(req: Request) async throws -> Response {
        try JSONBody.response(["status": "ok"])
    }

    /// `GET /readyz`: the database answers and every migration is applied.
    static func ready(req: Request) async throws -> Response {
        guard await migrationsApplied(req.application) else {
            return try JSONBody.response(["status": "unavailable"], status: .serviceUnavailable)
        }
        return try JSONBody.response(["status": "ready"])
    }

    /// `GET /metrics`: Prometheus text, behind `PORTICO_METRICS_TOKEN` when it is set.
    static func metrics(req: Request) async throws -> Response {
        if let token = req.portico.config.metricsToken {
            let given = req.headers.bearerAuthorization?.token ?? ""
            guard Secrets.constantTimeEquals(Secrets.sha256Hex(given), Secrets.sha256Hex(token)) else {
                throw APIError(.unauthorized, "unauthorized", "metrics require Authorization: Bearer <PORTICO_METRICS_TOKEN>")
            }
        }
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return Response(status: .ok, headers: headers, body: .init(string: req.portico.metrics.text()))
    }

    /// `GET /openapi.json`: the OpenAPI 3.1 document of every JSON endpoint.
    static func openAPI(req: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: try OpenAPIDocument.data()))
    }

    /// `GET /docs`: a page that renders the OpenAPI document, with no external CDN.
    static func docs(req: Request) async throws -> Response {
        let path = publicDirectory() + "docs.html"
        guard let data = FileManager.default.contents(atPath: path) else { throw Abort(.notFound) }
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.replaceOrAdd(
            name: "Content-Security-Policy",
            value: "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline' 'self'; frame-ancestors 'none'"
        )
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}

extension Operations {
    /// `GET /static/portico.css`: the one stylesheet of every page.
    static func stylesheet(req: Request) async throws -> Response {
        guard let data = FileManager.default.contents(atPath: publicDirectory() + "portico.css") else { throw Abort(.notFound) }
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "css", parameters: ["charset": "utf-8"])
        headers.cacheControl = .init(isPublic: true, maxAge: 3600)
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }

    /// `GET /static/copy.js`: the admin area's copy buttons (a page works without it).
    static func copyScript(req: Request) async throws -> Response {
        guard let data = FileManager.default.contents(atPath: publicDirectory() + "copy.js") else { throw Abort(.notFound) }
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "javascript", parameters: ["charset": "utf-8"])
        headers.cacheControl = .init(isPublic: true, maxAge: 3600)
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}

/// The hand-written OpenAPI document shipped with Portico.
enum OpenAPIDocument {
    static func data() throws -> Data {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Public"),
              let data = FileManager.default.contents(atPath: url.path)
        else { throw Abort(.internalServerError, reason: "openapi.json is missing from the bundle") }
        return data
    }
}
