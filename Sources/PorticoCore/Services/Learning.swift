import FluentKit
import Foundation
import SQLKit

/// What members do in the member area: complete chapters, practise interviews, work
/// through classroom lessons. Each change and its events commit together.
public enum Learning {
    // MARK: Curriculum

    /// Chapter number → completion time, for one user.
    public static func completedChapters(userID: UUID, on db: any Database) async throws -> [Int: Date] {
        var result: [Int: Date] = [:]
        for p in try await TrackProgress.query(on: db).filter(\.$userID == userID).all() { result[p.chapterNumber] = p.completedAt }
        return result
    }

    /// Marks a chapter complete (once): `track.chapter_completed`, and `track.completed`
    /// when it was the track's last open chapter. Returns false when it was already done.
    @discardableResult
    public static func completeChapter(
        _ number: Int, user: UserRecord, curriculum: Curriculum, now: Date, store: PorticoStore
    ) async throws -> Bool {
        guard let (track, chapter) = curriculum.chapter(number: number) else {
            throw PorticoError.notFound("no chapter \(number)")
        }
        return try await store.write { db in
            let inserted = try await db.sql.raw("""
                INSERT INTO track_progress (id, user_id, chapter_number, completed_at) \
                VALUES (\(bind: UUID.timeOrdered()), \(bind: user.id), \(bind: number), \(bind: now)) \
                ON CONFLICT (user_id, chapter_number) DO NOTHING RETURNING id
                """).first()
            guard inserted != nil else { return false }
            let completed = try await completedChapters(userID: user.id, on: db)
            let snapshots = TrackSnapshot.all(curriculum: curriculum, completed: completed) { "/members/curriculum?chapter=\($0)" }
            guard let trackState = snapshots.first(where: { $0.id == track.id }) else { return true }
            let data = TrackEventData(
                user: UserSnapshot(user), track: trackState,
                chapter: .init(number: chapter.number, title: chapter.title, completedAt: now)
            )
            try await Outbox.append(.trackChapterCompleted, orgID: user.orgID, userID: user.id, data: data, at: now, on: db)
            if trackState.chaptersCompleted == trackState.chaptersTotal {
                try await Outbox.append(.trackCompleted, orgID: user.orgID, userID: user.id, data: data, at: now, on: db)
            }
            return true
        }
    }

    // MARK: Practice interviews

    public static func startInterview(
        user: UserRecord, questionSet: Curriculum.QuestionSet, now: Date, store: PorticoStore
    ) async throws -> Interview {
        let interview = Interview()
        interview.id = UUID.timeOrdered()
        interview.userID = user.id
        interview.title = questionSet.title
        interview.kind = questionSet.kind
        interview.questionSet = questionSet.id
        interview.status = .inProgress
        interview.questionsTotal = questionSet.questions.count
        interview.questionsAnswered = 0
        interview.createdAt = now
        interview.updatedAt = now
        try await store.write { db in
            try await interview.create(on: db)
            try await Outbox.append(
                .interviewCreated, orgID: user.orgID, userID: user.id,
                data: InterviewEventData(user: UserSnapshot(user), interview: InterviewSnapshot(interview)), at: now, on: db
            )
        }
        return interview
    }

    /// The user's interview with this id (nil for anyone else's).
    public static func interview(id: UUID, user: UserRecord, on db: any Database) async throws -> Interview? {
        try await Interview.query(on: db).filter(\.$id == id).filter(\.$userID == user.id).first()
    }

    public static func answers(interviewID: UUID, on db: any Database) async throws -> [Int: String] {
        var result: [Int: String] = [:]
        for a in try await InterviewAnswer.query(on: db).filter(\.$interviewID == interviewID).all() { result[a.questionNumber] = a.answer }
        return result
    }

    /// Records the answer to question `number` (1-based) of an interview in progress.
    public static func answer(
        interviewID: UUID, user: UserRecord, number: Int, text: String, now: Date, store: PorticoStore
    ) async throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw PorticoError.invalid("write an answer first") }
        guard trimmed.count <= 10_000 else { throw PorticoError.invalid("answers are limited to 10,000 characters") }
        try await store.write { db in
            guard let interview = try await interview(id: interviewID, user: user, on: db) else { throw PorticoError.notFound("no such interview") }
            guard interview.status == .inProgress else { throw PorticoError.conflict("this interview is already complete") }
            guard interview.questionsTotal >= 1, (1...interview.questionsTotal).contains(number) else {
                throw PorticoError.invalid("no question \(number)")
            }
            // Insert the answer, or replace the one there; the count grows only on an
            // insert, in SQL, so two answers at once on PostgreSQL lose neither.
            let inserted = try await db.sql.raw("""
                INSERT INTO interview_answers (id, interview_id, question_number, answer, created_at) \
                VALUES (\(bind: UUID.timeOrdered()), \(bind: interviewID), \(bind: number), \(bind: trimmed), \(bind: now)) \
                ON CONFLICT (interview_id, question_number) DO NOTHING RETURNING id
                """).first()
            if inserted == nil {
                try await db.sql.raw("""
                    UPDATE interview_answers SET answer = \(bind: trimmed) \
                    WHERE interview_id = \(bind: interviewID) AND question_number = \(bind: number)
                    """).run()
            }
            try await db.sql.raw("""
                UPDATE interviews SET updated_at = \(bind: now), \
                questions_answered = questions_answered + \(bind: inserted == nil ? 0 : 1) WHERE id = \(bind: interviewID)
                """).run()
        }
    }

    /// Completes an interview (`interview.completed`), optionally with the member's rating.
    public static func completeInterview(
        interviewID: UUID, user: UserRecord, rating: Int?, now: Date, store: PorticoStore
    ) async throws {
        if let rating, !(1...5).contains(rating) { throw PorticoError.invalid("a rating is 1 to 5") }
        try await store.write { db in
            guard let interview = try await interview(id: interviewID, user: user, on: db) else { throw PorticoError.notFound("no such interview") }
            if interview.status == .completed {
                // Completed already: only the rating may still change.
                if let rating {
                    interview.rating = rating
                    interview.updatedAt = now
                    try await interview.save(on: db)
                }
                return
            }
            guard interview.questionsAnswered > 0 else { throw PorticoError.invalid("answer at least one question first") }
            interview.status = .completed
            interview.completedAt = now
            interview.updatedAt = now
            if let rating { interview.rating = rating }
            try await interview.save(on: db)
            try await Outbox.append(
                .interviewCompleted, orgID: user.orgID, userID: user.id,
                data: InterviewEventData(user: UserSnapshot(user), interview: InterviewSnapshot(interview)), at: now, on: db
            )
        }
    }

    // MARK: Classroom

    /// The enrollment if it belongs to `user` (nil otherwise: only its owner sees it).
    public static func enrollment(id: UUID, user: UserRecord, on db: any Database) async throws -> Enrollment? {
        try await Enrollment.query(on: db).filter(\.$id == id).filter(\.$userID == user.id).first()
    }

    public static func completedLessons(enrollmentID: UUID, on db: any Database) async throws -> [Int: Date] {
        var result: [Int: Date] = [:]
        for l in try await EnrollmentLesson.query(on: db).filter(\.$enrollmentID == enrollmentID).all() { result[l.lessonNumber] = l.completedAt }
        return result
    }

    /// Marks a lesson complete; the last one completes the enrollment (`enrollment.completed`).
    public static func completeLesson(
        enrollmentID: UUID, number: Int, user: UserRecord, curriculum: Curriculum, now: Date, store: PorticoStore
    ) async throws {
        try await store.write { db in
            guard let enrollment = try await enrollment(id: enrollmentID, user: user, on: db) else { throw PorticoError.notFound("no such enrollment") }
            guard let course = curriculum.course(id: enrollment.courseID), course.lessons.contains(where: { $0.number == number }) else {
                throw PorticoError.notFound("no lesson \(number)")
            }
            let inserted = try await db.sql.raw("""
                INSERT INTO enrollment_lessons (id, enrollment_id, lesson_number, completed_at) \
                VALUES (\(bind: UUID.timeOrdered()), \(bind: enrollmentID), \(bind: number), \(bind: now)) \
                ON CONFLICT (enrollment_id, lesson_number) DO NOTHING RETURNING id
                """).first()
            guard inserted != nil else { return }
            enrollment.lessonsCompleted += 1
            if enrollment.lessonsCompleted >= course.lessons.count, enrollment.status == .active {
                enrollment.status = .completed
                enrollment.completedAt = now
                try await enrollment.save(on: db)
                try await Outbox.append(
                    .enrollmentCompleted, orgID: user.orgID, userID: user.id,
                    data: EnrollmentEventData(user: UserSnapshot(user), enrollment: EnrollmentSnapshot(enrollment, course: course)), at: now, on: db
                )
            } else {
                try await enrollment.save(on: db)
            }
        }
    }
}

/// `{"user", "track", "chapter"}`: the `data` of `track.*` events.
public struct TrackEventData: Codable, Sendable {
    public var user: UserSnapshot
    public var track: TrackSnapshot
    public var chapter: TrackSnapshot.ChapterState
}

/// `{"user", "interview"}`: the `data` of `interview.*` events.
public struct InterviewEventData: Codable, Sendable {
    public var user: UserSnapshot
    public var interview: InterviewSnapshot
}
