import Crypto
import Foundation
@testable import PorticoCore
import Testing

@Suite("Launch-code crypto")
struct LaunchCodeCryptoTests {
    @Test("seal and open round-trip; another app's id or key does not open it")
    func roundTrip() throws {
        let appA = UUID(), appB = UUID()
        let keyA = LaunchCodes.key(rootSecret: "root-secret-of-at-least-32-characters", appID: appA)
        let keyB = LaunchCodes.key(rootSecret: "root-secret-of-at-least-32-characters", appID: appB)
        let contents = LaunchCodes.Contents(launchID: UUID(), userID: UUID(), issuedAt: Date(timeIntervalSince1970: 1_790_000_000.25))
        let code = try LaunchCodes.seal(contents, appID: appA, key: keyA)
        #expect(LaunchCodes.open(code, appID: appA, key: keyA) == contents)
        #expect(LaunchCodes.open(code, appID: appB, key: keyA) == nil, "the app id is associated data")
        #expect(LaunchCodes.open(code, appID: appA, key: keyB) == nil)
        #expect(try LaunchCodes.seal(contents, appID: appA, key: keyA) != code, "a random nonce each time")
        let otherRoot = LaunchCodes.key(rootSecret: "another-root-secret-of-32-characters", appID: appA)
        #expect(LaunchCodes.open(code, appID: appA, key: otherRoot) == nil)
    }
}
