import Foundation

extension CurriculumIndex {
    static func view(_ model: Model) -> HTML {
        let tracks: [HTML] = model.tracks.map { track in
            let items: [HTML] = track.chapters.map { c in
                "<li><a href=\"\(SiteURL.chapter(c.number))\">\(c.number). \(c.title)</a>\(c.completed ? HTML(" <span class=\"done\">✓</span>") : .empty)</li>"
            }
            return "<section class=\"card\"><h2>\(track.name)</h2><ol class=\"chapters\">\(items)</ol></section>"
        }
        return Layout.document(title: "Curriculum", member: model.member, body: "<h1>Curriculum</h1>\(tracks)")
    }
}
