import Crypto
import Foundation

/// The Standard Webhooks signature (SPEC §7): `v1,<base64 HMAC-SHA256 over
/// "{id}.{timestamp}.{body}">`, keyed with the UTF-8 bytes of the endpoint's 32-hex
/// key, so receivers can verify with the `standardwebhooks` / `svix` libraries.
public enum WebhookSignature {
    /// One `v1,…` signature.
    public static func sign(id: String, timestamp: Int, body: String, key: String) -> String {
        let message = Data("\(id).\(timestamp).".utf8) + Data(body.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(key.utf8)))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header: one signature per key, space-separated (the
    /// current key first, then the previous one while a rotation overlaps).
    public static func header(id: String, timestamp: Int, body: String, keys: [String]) -> String {
        keys.map { sign(id: id, timestamp: timestamp, body: body, key: $0) }.joined(separator: " ")
    }

    /// The key as the admin area shows it, in the `whsec_` form of the Standard Webhooks libraries.
    public static func whsec(_ key: String) -> String { "whsec_" + Data(key.utf8).base64EncodedString() }
}
