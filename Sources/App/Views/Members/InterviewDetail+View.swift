import Foundation

extension InterviewDetail {
    static func view(_ model: Model) -> HTML {
        let csrf = Layout.csrf(model.member.csrfToken)
        let questions: [HTML] = model.questions.map { q in
            switch q.state {
            case .answered(let answer):
                return "<li class=\"answered\"><p class=\"q\">\(q.text)</p><blockquote>\(answer)</blockquote></li>"
            case .current:
                return """
                    <li class="current"><p class="q">\(q.text)</p><p class="tip">Tip: \(q.tip)</p>
                    <form method="post" action="\(SiteURL.interviewAnswer(.value(model.id)).path)">\(csrf)
                    <input type="hidden" name="question" value="\(q.number)">
                    <label for="answer">Your answer</label><textarea id="answer" name="answer" rows="6" required></textarea>
                    <button type="submit">Save answer</button></form></li>
                    """
            case .open:
                return "<li class=\"open\"><p class=\"q\">\(q.text)</p></li>"
            }
        }
        let complete = SiteURL.interviewComplete(.value(model.id)).path
        let finish: HTML
        if !model.completed {
            finish = model.questionsAnswered > 0 ? """
                <form method="post" action="\(complete)" class="card">\(csrf)
                <p>Done practising? Complete the interview and rate how it went.</p>\(ratingField(nil))
                <button type="submit">Complete interview</button></form>
                """ : .empty
        } else {
            finish = """
                <form method="post" action="\(complete)" class="card">\(csrf)
                <p class="done">Completed. How did it go?</p>\(ratingField(model.rating))<button type="submit">Save rating</button></form>
                """
        }
        return Layout.document(title: model.title, member: model.member, body: """
            <h1>\(model.title)</h1>
            <p class="meta">\(model.questionsAnswered) of \(model.questionsTotal) answered · \(model.completed ? "completed" : "in progress")</p>
            <ol class="questions">\(questions)</ol>
            \(finish)
            """)
    }

    private static func ratingField(_ current: Int?) -> HTML {
        let options: [HTML] = (1...5).map { n in
            "<label class=\"rating\"><input type=\"radio\" name=\"rating\" value=\"\(n)\"\(current == n ? HTML(raw: " checked") : .empty)> \(n)</label>"
        }
        return "<fieldset><legend>Rating (1 = rough, 5 = great)</legend>\(options)</fieldset>"
    }
}
