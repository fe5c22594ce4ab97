import Foundation
@testable import PorticoCore
import Testing

@Suite("Webhook targets: the SSRF guard of SPEC §7")
struct WebhookTargetTests {
    /// A resolver with fixed answers; a name it does not know fails to resolve.
    struct FixedResolver: HostResolver {
        struct Failure: Error {}
        let table: [String: [String]]

        func addresses(of host: String) async throws -> [IPAddress] {
            guard let texts = table[host] else { throw Failure() }
            return texts.compactMap(WebhookTargets.parseAddress)
        }
    }

    let dns = FixedResolver(table: [
        "loop.example": ["127.0.0.1"],
        "public.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
        "mixed.example": ["93.184.216.34", "10.0.0.1"],
        "empty.example": [],
    ])
    /// Knows no name: an address host must be judged without it.
    let noDNS = FixedResolver(table: [:])

    func ip(_ text: String) -> IPAddress? { WebhookTargets.parseAddress(text) }

    func validate(_ url: String, allowPrivate: Bool = false, resolver: (any HostResolver)? = nil) async throws -> String {
        try await WebhookTargets.validate(url, allowPrivate: allowPrivate, resolver: resolver ?? dns)
    }

    func resolve(_ url: String, allowPrivate: Bool = false, resolver: (any HostResolver)? = nil) async throws -> WebhookTarget {
        try await WebhookTargets.resolve(url, allowPrivate: allowPrivate, resolver: resolver ?? dns)
    }

    /// The error `body` throws, or nil when it returns.
    func failure(_ body: () async throws -> Any) async -> WebhookTargetError? {
        do {
            _ = try await body()
            return nil
        } catch let error as WebhookTargetError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("IPv4 ranges: first and last address refused, neighbours allowed", arguments: [
        // (first address, last address, an address just outside)
        ("0.0.0.0", "0.255.255.255", "1.0.0.0"),
        ("10.0.0.0", "10.255.255.255", "11.0.0.0"),
        ("100.64.0.0", "100.127.255.255", "100.128.0.0"),
        ("127.0.0.0", "127.255.255.255", "128.0.0.0"),
        ("169.254.0.0", "169.254.255.255", "169.255.0.0"),
        ("172.16.0.1", "172.31.255.255", "172.32.0.0"),
        ("192.168.0.0", "192.168.255.255", "192.169.0.0"),
        ("198.18.0.0", "198.19.255.255", "198.20.0.0"),
        ("224.0.0.0", "255.255.255.255", "223.255.255.255"),
    ])
    func ipv4Ranges(first: String, last: String, outside: String) throws {
        #expect(WebhookTargets.isRefused(try #require(ip(first))))
        #expect(WebhookTargets.isRefused(try #require(ip(last))))
        #expect(!WebhookTargets.isRefused(try #require(ip(outside))))
    }

    @Test("IPv4 neighbours below each range are allowed")
    func ipv4Below() throws {
        for text in ["9.255.255.255", "100.63.255.255", "126.255.255.255", "169.253.255.255", "172.15.255.255",
                     "192.167.255.255", "198.17.255.255", "93.184.216.34", "8.8.8.8"] {
            #expect(!WebhookTargets.isRefused(try #require(ip(text))), "\(text)")
        }
        for text in ["240.0.0.1", "239.255.255.255"] {
            #expect(WebhookTargets.isRefused(try #require(ip(text))), "\(text)")
        }
    }

    @Test("IPv6: only global unicast outside special blocks; IPv4 carried in mapped, NAT64 and 6to4 forms judged as IPv4")
    func ipv6Ranges() throws {
        let refused = ["::1", "::", "fc00::1", "fdff:ffff::1", "fe80::1", "febf::1", "ff02::1",
                       "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.1.2.3", "::127.0.0.1", "::a00:1",
                       "64:ff9b::a00:1", "64:ff9b::127.0.0.1", "64:ff9b:1::a00:1", "2002:7f00:1::", "2002:c0a8:101::1"]
            // not global unicast (the review's gaps first), or a special block inside 2000::/3
            + ["::ffff:0:127.0.0.1", "::ffff:0:5db8:d822", "fec0::1", "feff::1", "fbff::1", "fe7f::1", "::5db8:d822", "100::1",
               "2001::1", "2001:1ff:ffff::1", "2001:db8::1", "3fff::1", "3fff:fff::1", "4000::1", "1fff::1"]
        let allowed = ["2606:2800:220:1:248:1893:25c8:1946", "2001:4860:4860::8888", "2001:200::1", "2a00:1450:4001::1",
                       "3fff:1000::1", "3fff:ffff::1", "2000::1",
                       "::ffff:93.184.216.34", "64:ff9b::5db8:d822", "2002:5db8:d822::1"]
        for text in refused { #expect(WebhookTargets.isRefused(try #require(ip(text))), "\(text)") }
        for text in allowed { #expect(!WebhookTargets.isRefused(try #require(ip(text))), "\(text)") }
    }

    @Test("numeric host forms are parsed as the addresses they are")
    func numericForms() {
        let loopback = ip("127.0.0.1")
        for text in ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "127.0.1", "0x7f000001", "127.0.0.1."] {
            #expect(ip(text) == loopback, "\(text)")
        }
        #expect(ip("4294967295")?.description == "255.255.255.255")
        #expect(ip("1.16777215")?.description == "1.255.255.255")
        #expect(ip("[::1]")?.description == "::1")
        #expect(ip("::ffff:7f00:1")?.description == "::ffff:127.0.0.1")
        #expect(ip("2001:DB8:0:0:0:0:0:1")?.description == "2001:db8::1")
        for bad in ["256.0.0.1", "1.2.3.4.5", "08.0.0.1", "0x", "1..2", "4294967296", "1.16777216", "1.2.65536",
                    "example.com", "", "+1", "1.2.3.-4", "１２７.0.0.1", "[::1", "::1]", "[1.2.3.4]", "fe80::1%eth0",
                    "::g", "1:2:3:4:5:6:7:8:9"] {
            #expect(ip(bad) == nil, "\(bad)")
        }
    }

    @Test("an address host in a refused range is refused, in any form, without a lookup")
    func refusedAddressHosts() async throws {
        let hosts = ["https://127.0.0.1/", "https://2130706433/", "https://0x7f.1/", "https://0177.0.0.1/", "https://127.1/",
                     "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/", "https://[64:ff9b::a00:1]/",
                     "https://10.0.0.1:8443/x", "https://[fe80::1]/", "https://0.0.0.0/",
                     "https://[::ffff:0:127.0.0.1]/", "https://[fec0::1]/"]
        for url in hosts {
            let error = await failure { try await validate(url, resolver: noDNS) }
            guard case .forbiddenAddress = error else {
                Issue.record("\(url): \(String(describing: error))")
                continue
            }
            // allowed when private targets are
            #expect(try await validate(url, allowPrivate: true).hasPrefix("https://"), "\(url)")
        }
    }

    @Test("a public address is accepted")
    func publicAddress() async throws {
        #expect(try await validate("https://93.184.216.34/hook", resolver: noDNS) == "https://93.184.216.34/hook")
    }

    @Test("https only, unless private targets are allowed")
    func schemes() async throws {
        #expect(await failure { try await validate("http://93.184.216.34/") } == .schemeNotAllowed)
        #expect(try await validate("http://93.184.216.34/", allowPrivate: true) == "http://93.184.216.34/")
        #expect(try await validate("http://localhost:8080/x", allowPrivate: true) == "http://localhost:8080/x")
        #expect(await failure { try await validate("ftp://93.184.216.34/", allowPrivate: true) } == .schemeNotAllowed)
    }

    @Test("no user name or password")
    func userinfo() async {
        for url in ["https://user:pw@93.184.216.34/", "https://user@public.example/", "https://@public.example/",
                    "https://public.example\\@evil/"] {
            #expect(await failure { try await validate(url) } == .invalidURL("the URL must not contain a user name or password"), "\(url)")
        }
    }

    @Test("a host label may not start or end with a hyphen (RFC 1123); inside one it may")
    func hyphenLabels() async {
        for url in ["https://-a.com/", "https://a-.com/", "https://x.-b.com/", "http://-a.com/"] {
            #expect(await failure { try await validate(url, allowPrivate: true) } == .invalidURL("the host is not a valid domain name"), "\(url)")
        }
        #expect(await failure { try await validate("https://my-host.public.example/", allowPrivate: true) } == nil)
    }

    @Test("localhost names are refused, with or without a trailing dot")
    func localhostNames() async {
        #expect(await failure { try await validate("https://localhost/") } == .forbiddenAddress("localhost"))
        #expect(await failure { try await validate("https://LocalHost./") } == .forbiddenAddress("localhost"))
        #expect(await failure { try await validate("https://api.localhost/") } == .forbiddenAddress("api.localhost"))
    }

    @Test("a name is judged by every address it resolves to")
    func resolvedNames() async throws {
        #expect(await failure { try await validate("https://loop.example/hook") } == .forbiddenAddress("127.0.0.1"))
        #expect(await failure { try await validate("https://mixed.example/hook") } == .forbiddenAddress("10.0.0.1"))
        #expect(try await validate("https://public.example/hook") == "https://public.example/hook")
    }

    @Test("registration accepts a name that does not resolve yet")
    func unresolvedAtRegistration() async throws {
        #expect(try await validate("https://unknown.example/hook") == "https://unknown.example/hook")
    }

    @Test("the stored URL is normalized")
    func normalization() async throws {
        #expect(try await validate("HTTPS://Public.Example./hook?a=1#frag") == "https://public.example/hook?a=1")
        #expect(try await validate("https://0x5db8d822:8443/h") == "https://93.184.216.34:8443/h")
        #expect(try await validate("https://[2606:2800:220:1:248:1893:25C8:1946]/h") == "https://[2606:2800:220:1:248:1893:25c8:1946]/h")
    }

    @Test("malformed URLs and hosts are invalid")
    func invalidURLs() async {
        for url in ["not a url", "/relative", "//public.example/x", "https:///x", "https:host", "https://%6c%6fcalhost/",
                    "https://bücher.de/", "https://[fe80::1%25eth0]/", "https://256.0.0.1/", "https://example.123/",
                    "https://a..b/", "https://public.example:0/", "https://public.example:99999/", "https://[1.2.3.4]/",
                    "https://ho$t/"] {
            let error = await failure { try await validate(url) }
            guard case .invalidURL = error else {
                Issue.record("\(url): \(String(describing: error))")
                continue
            }
        }
    }

    @Test("delivery: one lookup, every address checked, the checked address returned")
    func delivery() async throws {
        let target = try await resolve("https://public.example/hook")
        #expect(target.address == ip("93.184.216.34"))
        #expect(!target.hostIsAddress)
        #expect(target.host == "public.example")
        #expect(target.port == 443)
        #expect(target.scheme == "https")

        let literal = try await resolve("https://0x5db8d822:8443/h", resolver: noDNS)
        #expect(literal.address == ip("93.184.216.34"))
        #expect(literal.hostIsAddress)
        #expect(literal.host == "93.184.216.34")
        #expect(literal.port == 8443)

        let local = try await resolve("http://[::1]:8080/x", allowPrivate: true)
        #expect(local.address == ip("::1"))
        #expect(local.host == "::1")
        #expect(local.url.absoluteString == "http://[::1]:8080/x")

        #expect(await failure { try await resolve("https://mixed.example/") } == .forbiddenAddress("10.0.0.1"))
        #expect(await failure { try await resolve("https://loop.example/") } == .forbiddenAddress("127.0.0.1"))
        #expect(try await resolve("http://loop.example/", allowPrivate: true).address == ip("127.0.0.1"))
    }

    @Test("delivery: a name that does not resolve is unresolvable")
    func unresolvedAtDelivery() async {
        #expect(await failure { try await resolve("https://unknown.example/") } == .unresolvable("unknown.example"))
        #expect(await failure { try await resolve("https://empty.example/") } == .unresolvable("empty.example"))
    }

    @Test("the system resolver finds localhost on loopback")
    func systemResolver() async throws {
        let addresses = try await SystemHostResolver().addresses(of: "localhost")
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy(WebhookTargets.isRefused))
        #expect(await failure { try await validate("https://localhost.", resolver: SystemHostResolver()) } == .forbiddenAddress("localhost"))
    }

    @Test("error messages do not repeat a refused address")
    func messages() {
        #expect(!WebhookTargetError.forbiddenAddress("10.0.0.1").message.contains("10.0.0.1"))
        #expect(WebhookTargetError.unresolvable("x.example").message == "the host x.example could not be resolved")
        #expect(WebhookTargetError.invalidURL("the URL must name a host").message == "the URL must name a host")
    }
}
