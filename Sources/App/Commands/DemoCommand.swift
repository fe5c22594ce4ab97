import ArgumentParser
import Foundation
import PorticoCore

/// `portico demo`: an org "demo" with an admin, an API key, a partner app and a
/// sample member with progress, to try Portico in five minutes.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Create the demo organization with sample data.")

    @Flag(help: "Print one JSON object.") var json = false

    struct DemoJSON: Encodable {
        var org: OrgCommand.OrgJSON
        var admin: AdminCommand.AdminJSON
        var adminPassword: String
        var apiKey: APIKeyCommand.CreatedJSON
        var app: AppCommand.AppJSON
        var sampleUser: String

        enum CodingKeys: String, CodingKey {
            case org, admin, app
            case adminPassword = "admin_password"
            case apiKey = "apikey"
            case sampleUser = "sample_user"
        }
    }

    func run() async throws {
        try await reportingFailures {
            let password = Secrets.alphanumeric(count: 16)
            let hash = try Passwords.hash(password)
            let result = try await withPortico { portico in
                try await Self.seed(portico: portico, adminPassword: password, passwordHash: hash)
            }
            if json { try Output.json(result) } else {
                Output.line("""
                    demo organization ready
                      org:        \(result.org.slug) (\(result.org.id.uuidString.lowercased()))
                      admin:      \(result.admin.email) / \(result.adminPassword)
                      API key:    \(result.apiKey.key)
                      app:        \(result.app.slug), key \(result.app.key), launches to \(result.app.launchURL)
                      sample user partner_id: \(result.sampleUser)
                    """)
            }
        }
    }

    static func seed(portico: PorticoServices, adminPassword: String, passwordHash: String) async throws -> DemoJSON {
        let now = portico.clock.now()
        let store = portico.store
        guard try await Organizations.find(slug: "demo", on: store.db) == nil else {
            throw PorticoError.conflict("the demo organization already exists; create another key with `portico apikey create --org demo`")
        }
        let org = try await Organizations.create(
            slug: "demo", name: "Demo University", parentSlug: nil,
            settings: .init(anonymousUsersEnabled: true, allowedReturnHosts: ["127.0.0.1", "localhost"]),
            actor: "system", now: now, store: store
        )
        let admin = try await Credentials.createAdmin(
            org: org, email: "admin@demo.example", passwordHash: passwordHash, permissions: nil, actor: "system", now: now, store: store
        )
        let (key, record) = try await Credentials.createAPIKey(org: org, name: "demo", createdBy: "demo", now: now, store: store)
        let app = try await PartnerApps.register(
            org: org,
            .init(
                slug: "demo-app", name: "Demo Tutoring", launchURL: "http://127.0.0.1:9000/launch",
                redirectURIs: ["http://127.0.0.1:9000/callback"], postLogoutRedirectURIs: ["http://127.0.0.1:9000/"]
            ),
            actor: "demo", now: now, store: store
        )
        let sample = try await SampleData.member(
            org: org, partnerID: "demo-student", curriculum: portico.curriculum, hotPaths: portico.hotPaths, now: now, store: store
        )
        return DemoJSON(
            org: .init(org), admin: .init(admin), adminPassword: adminPassword,
            apiKey: .init(key: key, prefix: record.prefix, orgID: record.orgID),
            app: .init(app.app, key: app.key, clientSecret: app.clientSecret),
            sampleUser: sample.partnerID
        )
    }
}
