import Foundation

/// The learning content Portico serves: two guided tracks, a course catalog for the
/// classroom and the question sets of practice interviews. A default ships with
/// Portico; an operator replaces it with a file of the same shape
/// (`PORTICO_CURRICULUM=/path/to/curriculum.json`).
public struct Curriculum: Codable, Sendable {
    public var tracks: [Track]
    public var courses: [Course]
    public var questionSets: [QuestionSet]

    public struct Track: Codable, Sendable {
        public var id: String
        public var name: String
        public var chapters: [Chapter]
    }

    public struct Chapter: Codable, Sendable {
        public var number: Int
        public var title: String
        public var summary: String
        public var body: [String]
    }

    public struct Course: Codable, Sendable {
        public var id: String
        public var title: String
        public var description: String
        public var lessons: [Lesson]
    }

    public struct Lesson: Codable, Sendable {
        public var number: Int
        public var title: String
        public var body: [String]
    }

    public struct QuestionSet: Codable, Sendable {
        public var id: String
        public var title: String
        public var kind: Interview.Kind
        public var questions: [Question]
    }

    public struct Question: Codable, Sendable {
        public var text: String
        public var tip: String
    }

    enum CodingKeys: String, CodingKey {
        case tracks, courses
        case questionSets = "question_sets"
    }

    public func chapter(number: Int) -> (track: Track, chapter: Chapter)? {
        for track in tracks {
            if let chapter = track.chapters.first(where: { $0.number == number }) { return (track, chapter) }
        }
        return nil
    }

    public func course(id: String) -> Course? { courses.first { $0.id == id } }

    public func questionSet(id: String) -> QuestionSet? { questionSets.first { $0.id == id } }

    /// The curriculum that ships with Portico.
    public static func bundled() throws -> Curriculum {
        guard let url = Bundle.module.url(forResource: "curriculum", withExtension: "json") else {
            throw CurriculumError.invalid("the bundled curriculum.json is missing")
        }
        return try load(from: url)
    }

    public static func load(from url: URL) throws -> Curriculum {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CurriculumError.invalid("cannot read \(url.path): \(error.localizedDescription)")
        }
        let curriculum: Curriculum
        do { curriculum = try JSONDecoder().decode(Curriculum.self, from: data) } catch {
            throw CurriculumError.invalid("\(url.path) is not a valid curriculum: \(error)")
        }
        try curriculum.validate()
        return curriculum
    }

    /// Chapter numbers start at 1 and are unique across the whole curriculum;
    /// every track, course and question set has content.
    public func validate() throws {
        let numbers = tracks.flatMap { $0.chapters.map(\.number) }
        guard !tracks.isEmpty, tracks.allSatisfy({ !$0.chapters.isEmpty }) else {
            throw CurriculumError.invalid("every track needs at least one chapter")
        }
        guard Set(numbers).count == numbers.count, numbers.allSatisfy({ $0 >= 1 }) else {
            throw CurriculumError.invalid("chapter numbers must be unique and start at 1")
        }
        guard Set(tracks.map(\.id)).count == tracks.count, Set(courses.map(\.id)).count == courses.count else {
            throw CurriculumError.invalid("track and course ids must be unique")
        }
        guard courses.allSatisfy({ !$0.lessons.isEmpty }), questionSets.allSatisfy({ !$0.questions.isEmpty }) else {
            throw CurriculumError.invalid("every course needs lessons and every question set questions")
        }
    }

    public enum CurriculumError: Error, CustomStringConvertible {
        case invalid(String)
        public var description: String {
            switch self { case .invalid(let why): why }
        }
    }
}
