import Crypto
import Foundation

/// Random secrets and their hashes. Every key, token and session id comes from the
/// system CSPRNG and is stored only as its SHA-256 (hex) where it only needs verifying.
public enum Secrets {
    /// `count` bytes from the system CSPRNG, taken 8 at a time (asking the generator
    /// for single bytes costs a `getrandom` system call per byte, which the hot paths felt).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return Array(bytes.prefix(count))
    }

    /// `byteCount` random bytes as lowercase hex (16 bytes → 32 hex characters).
    public static func hex(byteCount: Int = 16) -> String {
        var out = ""
        out.reserveCapacity(byteCount * 2)
        for byte in randomBytes(byteCount) {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return out
    }

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    /// Random characters from `[a-z0-9]`, each equally likely (bytes of 252 and up are
    /// drawn again, so `% 36` has no bias).
    public static func alphanumeric(count: Int) -> String {
        var out = ""
        out.reserveCapacity(count)
        while out.count < count {
            for byte in randomBytes(count + 8) where byte < 252 && out.count < count {
                out.append(alphabet[Int(byte) % 36])
            }
        }
        return out
    }

    /// Lowercase hex SHA-256 of the UTF-8 bytes of `secret`.
    public static func sha256Hex(_ secret: String) -> String {
        let digest = SHA256.hash(data: Data(secret.utf8))
        var out = ""
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return out
    }

    /// Compares two strings without an early exit, so the time taken says nothing
    /// about where they differ.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// True for exactly 32 lowercase hex characters (the shape of keys and Partner API tokens).
    public static func isHex32(_ s: String) -> Bool { isLowercaseHex(s, count: 32) }

    /// True for exactly 64 lowercase hex characters (session secrets).
    public static func isHex64(_ s: String) -> Bool { isLowercaseHex(s, count: 64) }

    private static func isLowercaseHex(_ s: String, count: Int) -> Bool {
        s.utf8.count == count && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    private static let hexDigits: [Character] = Array("0123456789abcdef")
}
