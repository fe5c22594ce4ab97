import Foundation

/// Paths of Portico's pages, for links and redirects (routes are registered in routes.swift).
enum SiteURL {
    static let dashboard = "/members/dashboard"
    static let signedOut = "/signed-out"
    static let docs = "/docs"
    static let openAPI = "/openapi.json"

    static func chapter(_ number: Int) -> String { "/members/curriculum?chapter=\(number)" }
    static func classroom(_ enrollmentID: String) -> String { "/classroom/\(enrollmentID)" }
    static func interview(_ id: UUID) -> String { "/members/interviews/\(id.uuidString.lowercased())" }
}
