import Foundation

extension Message {
    static func view(_ model: Model) -> HTML {
        let link: HTML = model.link.map { " <a href=\"\($0.url)\">\($0.text)</a>." } ?? .empty
        return Layout.document(title: model.title, member: nil, body: """
            <section class="card narrow"><h1>\(model.title)</h1><p>\(model.text)\(link)</p></section>
            """)
    }
}
