import FluentKit
import Foundation

/// The sample content of `portico demo`.
public enum SampleData {
    /// A member with three chapters done, two practice interviews and an enrollment.
    public static func member(
        org: Organization, partnerID: String, curriculum: Curriculum, hotPaths: any HotPathStore, now: Date, store: PorticoStore
    ) async throws -> UserRecord {
        guard let result = try await hotPaths.createOrRefreshUser(UserUpsert(
            orgID: try org.requireID(), partnerID: partnerID, email: "student@demo.example", firstName: "Dana", lastName: "Demo",
            tokenHash: Secrets.sha256Hex(Secrets.hex()), tokenTTL: org.ssoTokenTTL, tokenSingleUse: true, now: now
        )) else { throw PorticoError.conflict("the sample user could not be created") }
        let user = result.user
        try await store.write { db in
            for (offset, chapter) in (curriculum.tracks.first?.chapters.prefix(3) ?? []).enumerated() {
                let progress = TrackProgress()
                progress.userID = user.id
                progress.chapterNumber = chapter.number
                progress.completedAt = now.addingTimeInterval(Double(offset - 3) * 86_400)
                try await progress.create(on: db)
            }
            for (offset, set) in curriculum.questionSets.prefix(2).enumerated() {
                let interview = Interview()
                interview.id = UUID()
                interview.userID = user.id
                interview.title = set.title
                interview.kind = set.kind
                interview.questionSet = set.id
                interview.status = offset == 0 ? .completed : .inProgress
                interview.questionsTotal = set.questions.count
                interview.questionsAnswered = offset == 0 ? set.questions.count : 1
                interview.rating = offset == 0 ? 4 : nil
                interview.createdAt = now.addingTimeInterval(Double(offset - 2) * 86_400)
                interview.updatedAt = interview.createdAt.addingTimeInterval(3600)
                interview.completedAt = offset == 0 ? interview.updatedAt : nil
                try await interview.create(on: db)
            }
        }
        if let course = curriculum.courses.first {
            _ = try await Users.enroll(user, course: course, actor: "system", ip: nil, now: now, store: store)
        }
        return user
    }
}
