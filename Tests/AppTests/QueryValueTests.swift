@testable import App
import Testing
import Vapor

@Suite("Query parameters")
struct QueryValueTests {
    static let queries = [
        "token=abc", "token=a%20b", "token=a+b", "token=a&token=b", "x=1&token=", "token", "token[x]=1",
        "tok%65n=v", "tok+en=v", "token=%zz", "token=a=b", "", "&&token=c&&", "token=%E2%9C%93", "TOKEN=x",
        "token=%2B%26%3D", "x=token&y=token=1",
    ]

    @Test("reads a parameter as Vapor's URL query decoder reads a String")
    func matchesVaporDecoder() async throws {
        let app = try await Application.make(.testing)
        for query in Self.queries {
            let request = Request(application: app, method: .GET, url: URI(string: "/x?" + query), on: app.eventLoopGroup.next())
            #expect(request.queryValue("token") == request.query[String.self, at: "token"], "query: \(query)")
        }
        let plain = Request(application: app, method: .GET, url: URI(string: "/x"), on: app.eventLoopGroup.next())
        #expect(plain.queryValue("token") == nil)
        let spaced = Request(application: app, method: .GET, url: URI(string: "/x?tok+en=v&token=a+b%21"), on: app.eventLoopGroup.next())
        #expect(spaced.queryValue("tok en") == "v")
        #expect(spaced.queryValue("token") == "a b!")
        try await app.asyncShutdown()
    }
}
