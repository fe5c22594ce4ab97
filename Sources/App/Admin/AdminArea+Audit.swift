import Foundation
import PorticoCore
import Vapor

extension AdminArea {
    /// `GET /admin/audit`: the organization's latest 200 audit entries, newest first.
    static func audit(req: Request) async throws -> Response {
        let context = try await req.requireAdmin()
        let model = try await AdminAudit.Model.query(org: context.org, admin: context.layout, on: req.portico.store.db)
        return Layout.response(AdminAudit.view(model))
    }
}
