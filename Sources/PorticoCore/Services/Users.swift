import FluentKit
import Foundation
import SQLKit

/// Users of an organization, as the Partner API (and later the admin area) changes them.
/// Every change and its event commit together.
public enum Users {
    /// The user with this id, with its subscription in its own org, live or not.
    public static func record(id: UUID, on sql: any SQLDatabase) async throws -> UserRecord? {
        try await sql.raw("""
            SELECT \(unsafeRaw: StoredColumns.user) FROM users u \
            JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id WHERE u.id = \(bind: id)
            """).first().map { try UserRecord(row: SQLKitRow($0)) }
    }

    public struct ProfileChange: Sendable {
        public var email: String??
        public var firstName: String??
        public var lastName: String??

        public init(email: String?? = nil, firstName: String?? = nil, lastName: String?? = nil) {
            self.email = email
            self.firstName = firstName
            self.lastName = lastName
        }
    }

    /// Anonymous users live 24 hours.
    public static let anonymousLifetime: TimeInterval = 24 * 3600

    /// A partner_id for an anonymous user: `anon-` and 20 random characters.
    public static func anonymousPartnerID() -> String { "anon-" + Secrets.alphanumeric(count: 20) }

    /// Applies the fields present in `change`; writes `user.updated` when anything changed.
    public static func update(
        _ user: UserRecord, change: ProfileChange, actor: String, ip: String?, now: Date, store: PorticoStore
    ) async throws -> UserRecord {
        var updated = user
        if let email = change.email { updated.email = email }
        if let first = change.firstName { updated.firstName = first }
        if let last = change.lastName { updated.lastName = last }
        guard updated != user else { return user }
        updated.updatedAt = now
        let result = updated
        try await store.write { db in
            try await db.sql.raw("""
                UPDATE users SET email = \(bind: result.email), first_name = \(bind: result.firstName), \
                last_name = \(bind: result.lastName), updated_at = \(bind: now) WHERE id = \(bind: result.id)
                """).run()
            try await Outbox.append(
                .userUpdated, orgID: result.orgID, userID: result.id,
                data: UserEventData(user: UserSnapshot(result)), at: now, on: db
            )
            try await Audit.record(orgID: result.orgID, actor: actor, action: "user.update", target: result.partnerID, at: now, ip: ip, on: db)
        }
        return result
    }

    /// Deletes the user and everything of theirs (the foreign keys cascade to progress,
    /// interviews, enrollments, subscriptions, sessions, tokens and launch codes) and
    /// writes `user.deleted` with their last state.
    public static func delete(_ user: UserRecord, actor: String, ip: String?, now: Date, store: PorticoStore) async throws {
        try await store.write { db in
            try await removeUser(user, event: .userDeleted, now: now, on: db)
            try await Audit.record(orgID: user.orgID, actor: actor, action: "user.delete", target: user.partnerID, at: now, ip: ip, on: db)
        }
    }

    /// Deletes every anonymous user whose 24 hours have passed, each with its data and a
    /// `user.expired` event. Returns how many were removed.
    @discardableResult
    public static func expireAnonymous(now: Date, store: PorticoStore, batchSize: Int = 200) async throws -> Int {
        var removed = 0
        while true {
            let ids = try await store.sql.raw("""
                SELECT id FROM users WHERE anonymous = \(bind: true) AND expires_at <= \(bind: now) LIMIT \(unsafeRaw: String(batchSize))
                """).all().map { try $0.decode(column: "id", as: UUID.self) }
            if ids.isEmpty { return removed }
            for id in ids {
                try await store.write { db in
                    // Read again inside the transaction: the user may be gone already.
                    guard let user = try await Users.record(id: id, on: db.sql) else { return }
                    try await removeUser(user, event: .userExpired, now: now, on: db)
                }
                removed += 1
            }
        }
    }

    static func removeUser(_ user: UserRecord, event: Outbox.EventType, now: Date, on db: any Database) async throws {
        let sql = db.sql
        // Foreign keys cascade; the explicit deletes keep the outcome the same on a
        // database where cascading was switched off.
        try await sql.raw("DELETE FROM sso_tokens WHERE user_id = \(bind: user.id)").run()
        try await sql.raw("DELETE FROM launch_codes WHERE user_id = \(bind: user.id)").run()
        try await sql.raw("DELETE FROM oidc_codes WHERE user_id = \(bind: user.id)").run()
        try await sql.raw("DELETE FROM oidc_tokens WHERE user_id = \(bind: user.id)").run()
        try await sql.raw("DELETE FROM sessions WHERE user_id = \(bind: user.id)").run()
        try await sql.raw("DELETE FROM track_progress WHERE user_id = \(bind: user.id)").run()
        try await sql.raw("DELETE FROM enrollments WHERE user_id = \(bind: user.id)").run()
        try await sql.raw("DELETE FROM interviews WHERE user_id = \(bind: user.id)").run()
        try await sql.raw("DELETE FROM subscriptions WHERE user_id = \(bind: user.id)").run()
        try await sql.raw("DELETE FROM users WHERE id = \(bind: user.id)").run()
        // The last state, without the personal data that leaves with the user (SPEC §9),
        // which also goes from every earlier event about them.
        var lastState = UserSnapshot(user)
        lastState.email = nil
        lastState.firstName = nil
        lastState.lastName = nil
        try await Outbox.append(event, orgID: user.orgID, userID: user.id, data: UserEventData(user: lastState), at: now, on: db)
        try await EventRetention.scrubPersonalData(userID: user.id, on: db)
    }

    // MARK: - Admin area: search, subscriptions, sign-ins, support links

    /// One page of a search, and whether another follows.
    public struct SearchPage: Sendable {
        public var users: [UserRecord]
        public var hasMore: Bool
    }

    /// The org's live users whose partner_id starts with `query` (case-sensitive) or
    /// whose email does (case-insensitive); `%`, `_` and `\` in `query` match themselves.
    /// An empty query lists every user, newest first; a search sorts by partner_id.
    /// `limit` is kept within 1...1000.
    public static func search(
        orgID: UUID, query: String, offset: Int, limit: Int, now: Date, on sql: any SQLDatabase
    ) async throws -> SearchPage {
        let limit = max(1, min(1000, limit)), offset = max(0, offset)
        var condition: SQLQueryString = "u.org_id = \(bind: orgID) AND (u.expires_at IS NULL OR u.expires_at > \(bind: now))"
        var order = "u.created_at DESC, u.id DESC"
        if !query.isEmpty {
            // partner_id: an exact comparison of its first characters (LIKE is case-
            // insensitive on SQLite); only a query that could begin a partner_id can match.
            let byPartnerID: SQLQueryString = PartnerID(query) != nil
                ? "substr(u.partner_id, 1, \(unsafeRaw: String(query.utf8.count))) = \(bind: query)"
                : "1 = 0"
            // email: lower() on both sides, as each engine lowercases.
            let byEmail: SQLQueryString = "lower(u.email) LIKE lower(\(bind: likePrefix(query))) ESCAPE '\\'"
            condition += " AND ("
            condition += byPartnerID
            condition += " OR "
            condition += byEmail
            condition += ")"
            order = "u.partner_id ASC"
        }
        let rows = try await sql.raw("""
            SELECT \(unsafeRaw: StoredColumns.user) FROM users u \
            JOIN subscriptions s ON s.user_id = u.id AND s.org_id = u.org_id WHERE \(condition) \
            ORDER BY \(unsafeRaw: order) LIMIT \(unsafeRaw: String(limit + 1)) OFFSET \(unsafeRaw: String(offset))
            """).all()
        let users = try rows.map { try UserRecord(row: SQLKitRow($0)) }
        return SearchPage(users: Array(users.prefix(limit)), hasMore: users.count > limit)
    }

    /// A LIKE pattern for "starts with `text`": `\`, `%` and `_` escaped with `\`.
    public static func likePrefix(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "\\" || c == "%" || c == "_" { out.append("\\") }
            out.append(c)
        }
        return out + "%"
    }

    /// The user's subscriptions (their own org's first), oldest first.
    public static func subscriptions(userID: UUID, on db: any Database) async throws -> [Subscription] {
        try await Subscription.query(on: db).filter(\.$userID == userID).sort(\.$createdAt).sort(\.$id).all()
    }

    /// The user's sign-ins: the audit log's `sso.login` entries about them, newest first.
    public static func signIns(_ user: UserRecord, limit: Int = 50, on db: any Database) async throws -> [AuditEntry] {
        try await AuditEntry.query(on: db)
            .filter(\.$orgID == user.orgID).filter(\.$action == "sso.login").filter(\.$target == user.partnerID)
            .sort(\.$at, .descending).limit(limit).all()
    }

    /// A one-off sign-in link for support: a Partner API token (32 hex, the org's TTL,
    /// never outliving an anonymous user) that is always single-use, written with its
    /// audit entry `user.sign_in_link`. Returns the token, the only time it exists in clear.
    public static func issueSignInLink(
        _ user: UserRecord, actor: String, ip: String?, now: Date, store: PorticoStore
    ) async throws -> (token: String, expiresAt: Date) {
        let token = Secrets.hex(byteCount: 16)
        let expiresAt = try await store.write { db in
            guard let org = try await Organization.find(user.orgID, on: db) else { throw PorticoError.notFound("organization not found") }
            guard try await Users.record(id: user.id, on: db.sql) != nil else { throw PorticoError.notFound("user not found") }
            let issued = IssuedToken(
                tokenHash: Secrets.sha256Hex(token), userID: user.id, subscriptionID: user.subscriptionID, singleUse: true,
                expiresAt: SSOTokens.expiry(issuedAt: now, ttl: org.ssoTokenTTL, userExpiresAt: user.expiresAt), createdAt: now
            )
            let record = SSOToken()
            record.id = issued.id
            record.createdAt = issued.createdAt
            record.tokenHash = issued.tokenHash
            record.userID = issued.userID
            record.subscriptionID = issued.subscriptionID
            record.purpose = issued.purpose
            record.singleUse = issued.singleUse
            record.expiresAt = issued.expiresAt
            try await record.create(on: db)
            try await Audit.record(orgID: user.orgID, actor: actor, action: "user.sign_in_link", target: user.partnerID, at: now, ip: ip, on: db)
            return issued.expiresAt
        }
        return (token, expiresAt)
    }

    // MARK: - Interviews

    /// One page of a user's interviews, most recently updated first (then id, descending).
    public struct InterviewPage: Sendable {
        public var interviews: [InterviewSnapshot]
        public var nextCursor: String?
    }

    /// All interviews when `limit` is nil; otherwise `limit` of them after `cursor`.
    /// The order is decided here, on values read back from the database, so a cursor
    /// (the last item's time and id) compares exactly on both engines.
    public static func interviews(
        userID: UUID, limit: Int?, cursor: InterviewCursor?, on db: any Database
    ) async throws -> InterviewPage {
        let all = try await Interview.query(on: db).filter(\.$userID == userID).all()
            .map(InterviewSnapshot.init)
            .sorted(by: InterviewCursor.precedes)
        let after = cursor.map { c in all.filter { c.isBefore($0) } } ?? all
        guard let limit else { return InterviewPage(interviews: after, nextCursor: nil) }
        let page = Array(after.prefix(limit))
        let more = after.count > page.count
        return InterviewPage(interviews: page, nextCursor: more ? page.last.map { InterviewCursor($0).encoded } : nil)
    }

    // MARK: - Enrollments and subscriptions

    /// The user's enrollments in every subscription, oldest first.
    public static func enrollments(userID: UUID, curriculum: Curriculum, on db: any Database) async throws -> [EnrollmentSnapshot] {
        try await Enrollment.query(on: db).filter(\.$userID == userID).sort(\.$createdAt).sort(\.$id).all()
            .map { EnrollmentSnapshot($0, course: curriculum.course(id: $0.courseID)) }
    }

    /// Enrolls the user's own subscription in a course, or returns the enrollment it has.
    public static func enroll(
        _ user: UserRecord, course: Curriculum.Course, actor: String, ip: String?, now: Date, store: PorticoStore
    ) async throws -> (EnrollmentSnapshot, created: Bool) {
        try await store.write { db in
            // Insert unless the course is taken, then read back: never check-then-insert,
            // which two identical requests on PostgreSQL would both pass.
            let enrollment = Enrollment()
            enrollment.id = UUID.timeOrdered()
            enrollment.subscriptionID = user.subscriptionID
            enrollment.userID = user.id
            enrollment.courseID = course.id
            enrollment.status = .active
            enrollment.lessonsCompleted = 0
            enrollment.createdAt = now
            let inserted = try await db.sql.raw("""
                INSERT INTO enrollments (id, created_at, subscription_id, user_id, course_id, status, lessons_completed) \
                VALUES (\(bind: enrollment.id), \(bind: now), \(bind: user.subscriptionID), \(bind: user.id), \(bind: course.id), \
                \(bind: Enrollment.Status.active.rawValue), 0) \
                ON CONFLICT (subscription_id, course_id) DO NOTHING RETURNING id
                """).first()
            guard inserted != nil else {
                guard let existing = try await Enrollment.query(on: db)
                    .filter(\.$subscriptionID == user.subscriptionID).filter(\.$courseID == course.id).first()
                else { throw PorticoError.conflict("the enrollment changed while it was being created; try again") }
                return (EnrollmentSnapshot(existing, course: course), false)
            }
            let snapshot = EnrollmentSnapshot(enrollment, course: course)
            try await Outbox.append(
                .enrollmentCreated, orgID: user.orgID, userID: user.id,
                data: EnrollmentEventData(user: UserSnapshot(user), enrollment: snapshot), at: now, on: db
            )
            try await Audit.record(orgID: user.orgID, actor: actor, action: "enrollment.create", target: "\(user.partnerID)/\(course.id)", at: now, ip: ip, on: db)
            return (snapshot, true)
        }
    }

    /// Subscribes the user to `org` (the user's own org or a descendant of it), or
    /// returns the subscription it has there.
    public static func subscribe(
        _ user: UserRecord, to org: Organization, actor: String, ip: String?, now: Date, store: PorticoStore
    ) async throws -> (Subscription, created: Bool) {
        let orgID = try org.requireID()
        return try await store.write { db in
            // Insert unless subscribed, then read back (never check-then-insert).
            let subscription = Subscription(userID: user.id, orgID: orgID, now: now)
            let inserted = try await db.sql.raw("""
                INSERT INTO subscriptions (id, created_at, user_id, org_id) \
                VALUES (\(bind: subscription.id), \(bind: now), \(bind: user.id), \(bind: orgID)) \
                ON CONFLICT (user_id, org_id) DO NOTHING RETURNING id
                """).first()
            guard inserted != nil else {
                guard let existing = try await Subscription.query(on: db).filter(\.$userID == user.id).filter(\.$orgID == orgID).first()
                else { throw PorticoError.conflict("the subscription changed while it was being created; try again") }
                return (existing, false)
            }
            try await Audit.record(orgID: user.orgID, actor: actor, action: "subscription.create", target: "\(user.partnerID)/\(org.slug)", at: now, ip: ip, on: db)
            return (subscription, true)
        }
    }
}

/// Where a page of interviews ends: the last item's `updated_at` and id, opaque to clients.
public struct InterviewCursor: Sendable, Equatable {
    public var updatedAt: Date
    public var id: UUID

    public init(_ interview: InterviewSnapshot) {
        updatedAt = interview.updatedAt
        id = interview.id
    }

    init(updatedAt: Date, id: UUID) {
        self.updatedAt = updatedAt
        self.id = id
    }

    /// Base64url of `<bits of the time as a double>.<uuid>`.
    public var encoded: String {
        Base64URL.encode(Data("\(updatedAt.timeIntervalSince1970.bitPattern).\(id.uuidString.lowercased())".utf8))
    }

    public init?(encoded: String) {
        guard encoded.count <= 200, let data = Base64URL.decode(encoded) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let bits = UInt64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
        let seconds = Double(bitPattern: bits)
        guard seconds.isFinite else { return nil }
        self.init(updatedAt: Date(timeIntervalSince1970: seconds), id: id)
    }

    /// True when `interview` comes after this cursor in the list's order.
    func isBefore(_ interview: InterviewSnapshot) -> Bool {
        let t = interview.updatedAt.timeIntervalSince1970, c = updatedAt.timeIntervalSince1970
        if t != c { return t < c }
        return interview.id.uuidString.lowercased() < id.uuidString.lowercased()
    }

    /// The list's order: `updated_at` descending, then id descending.
    static func precedes(_ a: InterviewSnapshot, _ b: InterviewSnapshot) -> Bool {
        let ta = a.updatedAt.timeIntervalSince1970, tb = b.updatedAt.timeIntervalSince1970
        if ta != tb { return ta > tb }
        return a.id.uuidString.lowercased() > b.id.uuidString.lowercased()
    }
}
