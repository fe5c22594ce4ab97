import Foundation

/// The OpenID Connect hot paths on SQLite: `OIDCStatements`' SQL on a reader, writes in
/// the group writer.
extension SQLiteHotPathStore {
    private enum SQL {
        static let client = OIDCStatements.sqlite(OIDCStatements.client)
        static let code = OIDCStatements.sqlite(OIDCStatements.code)
        static let token = OIDCStatements.sqlite(OIDCStatements.token)
        static let useCode = OIDCStatements.sqlite(OIDCStatements.useCode)
        static let insertToken = OIDCStatements.sqlite(OIDCStatements.insertToken)
        static let revokeFamily = OIDCStatements.sqlite(OIDCStatements.revokeFamily)
    }

    public func oidcClient(clientID: String) async throws -> OpenIDConnect.Client? {
        try read { try $0.first(SQL.client, [.text(clientID)], OpenIDConnect.Client.init(row:)) }
    }

    public func oidcCode(hash: String) async throws -> OpenIDConnect.StoredCode? {
        try read { try $0.first(SQL.code, [.text(hash)], OpenIDConnect.StoredCode.init(row:)) }
    }

    public func redeemOIDCCode(id: UUID, now: Date, tokens: [OpenIDConnect.NewToken]) async throws -> Bool {
        try await writer.write { db -> Bool in
            try db.query(SQL.useCode, [.uuid(id), .date(now)])
            guard db.changes == 1 else { return false }
            for token in tokens {
                try db.query(SQL.insertToken, [
                    .uuid(token.id), .text(token.tokenHash), .text(token.kind.rawValue), .uuid(token.appID), .uuid(token.userID),
                    .uuid(token.familyID), .text(token.scope), .date(token.authTime), .date(token.createdAt), .date(token.expiresAt),
                ])
            }
            return true
        }
    }

    public func oidcToken(hash: String) async throws -> OpenIDConnect.StoredToken? {
        try read { try $0.first(SQL.token, [.text(hash)], OpenIDConnect.StoredToken.init(row:)) }
    }

    public func revokeOIDCFamily(_ familyID: UUID, now: Date) async throws {
        try await writer.write { db in try db.query(SQL.revokeFamily, [.uuid(familyID), .date(now)]) }
    }
}
