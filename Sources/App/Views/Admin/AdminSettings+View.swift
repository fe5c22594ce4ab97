import Foundation
import PorticoCore

extension AdminSettings {
    static let loginURLHint = """
        Where a partner app's OpenID Connect sign-in sends members who are not signed in (return_to is added); \
        its host must be an allowed return host. Empty clears it.
        """

    static func view(_ model: Model) -> HTML {
        let csrf = model.admin.csrf
        let form = model.form
        func error(_ field: Organizations.Field) -> String? { model.errors[field.rawValue] }
        func checkbox(_ label: String, _ field: Organizations.Field, _ checked: Bool, hint: String) -> HTML {
            """
            <div class="field\(error(field) == nil ? "" : " has-error")"><label class="check">\
            <input type="checkbox" name="\(field.rawValue)" value="on"\(checked ? " checked" : "")> \(label)</label>\
            <small class="hint">\(hint)</small>\
            \(error(field).map { e -> HTML in "<small class=\"error\">\(e)</small>" } ?? .empty)</div>
            """
        }
        let hostsID = "f-" + Organizations.Field.allowedReturnHosts.rawValue
        let hostsError = error(.allowedReturnHosts)
        let inherited: HTML = model.inheritedHosts.isEmpty ? .empty : """
            <small class="hint">Also allowed here through parent organizations: \
            \(model.inheritedHosts.map { h -> HTML in "<code>\(h)</code> " })</small>
            """
        let hosts: HTML = """
            <div class="field\(hostsError == nil ? "" : " has-error")"><label for="\(hostsID)">Allowed return hosts</label>\
            <textarea id="\(hostsID)" name="\(Organizations.Field.allowedReturnHosts.rawValue)" rows="5" spellcheck="false"\
            \(hostsError == nil ? HTML.empty : " aria-invalid=\"true\" aria-describedby=\"\(hostsID)-error\"")>\(form.allowedReturnHosts)</textarea>\
            <small class="hint">One host a line (<code>lms.example.edu</code>), or <code>*.example.edu</code> for every \
            subdomain. Return URLs, logout URLs and the URLs below must be on one of them. This list replaces the old one.</small>\
            \(inherited)\
            \(hostsError.map { e -> HTML in "<small class=\"error\" id=\"\(hostsID)-error\">\(e)</small>" } ?? .empty)</div>
            """
        let refusedRows = model.refused.map { entry -> HTML in
            """
            <tr><td><code>\(entry.host)</code></td><td>\(entry.count)</td><td>\(Layout.time(entry.lastAt))</td><td>\
            <form method="post" action="\(model.admin.link(.adminSettingsAllowHost))" class="inline">\(csrf)\
            <input type="hidden" name="host" value="\(entry.host)"><button class="small">Allow</button></form></td></tr>
            """
        }
        let refusedList: HTML = model.refused.isEmpty ? "<p>No sign-in or redirect URL was refused for its host in the last 30 days.</p>" : """
            <p>Hosts that sign-ins and redirect URLs asked for in the last 30 days and were refused because they are \
            not allowed. "Allow" adds one to the allowed return hosts.</p>
            <table><thead><tr><th>Host</th><th>Times</th><th>Last</th><th></th></tr></thead>
            <tbody>\(refusedRows)</tbody></table>
            """
        let refused: HTML = """
            <section class="card" id="refused-hosts"><h2>Refused return hosts</h2>
            \(refusedList)
            </section>
            """
        let number: HTML = "inputmode=\"numeric\" pattern=\"[0-9]*\" required"
        return Layout.adminDocument(title: "Settings", admin: model.admin, body: """
            <section class="card"><h1>Organization settings</h1>
            \(model.formError.map { e -> HTML in "<p class=\"error\" role=\"alert\">\(e)</p>" } ?? .empty)\
            \(model.errors.isEmpty ? HTML.empty : "<p class=\"error\" role=\"alert\">Nothing was saved: see the fields below.</p>")
            <form method="post" action="\(model.admin.link(.adminSettings))">\(csrf)
            \(checkbox("Anonymous users", .anonymousUsers, form.anonymousUsers,
                       hint: "POST /api/users/anonymous creates users that live 24 hours."))
            \(Layout.field("SSO token lifetime (seconds)", name: Organizations.Field.ssoTokenTTL.rawValue, value: form.ssoTokenTTL,
                           error: error(.ssoTokenTTL), attributes: number, hint: "60 seconds to 30 days (2592000); default 172800 (48 hours)."))
            \(checkbox("Single-use SSO tokens", .ssoTokenSingleUse, form.ssoTokenSingleUse,
                       hint: "A Partner API sign-in link works once."))
            \(Layout.field("SSO API token lifetime (seconds)", name: Organizations.Field.ssoAPITokenTTL.rawValue, value: form.ssoAPITokenTTL,
                           error: error(.ssoAPITokenTTL), attributes: number, hint: "Default 300."))
            \(Layout.field("Landing URL", name: Organizations.Field.landingURL.rawValue, value: form.landingURL,
                           error: error(.landingURL), type: "url", hint: "Where members go after signing out. Empty clears it."))
            \(Layout.field("Invalid token URL", name: Organizations.Field.invalidTokenURL.rawValue, value: form.invalidTokenURL,
                           error: error(.invalidTokenURL), type: "url", hint: "Where a used sign-in link goes. Empty clears it."))
            \(Layout.field("Expired token URL", name: Organizations.Field.expiredTokenURL.rawValue, value: form.expiredTokenURL,
                           error: error(.expiredTokenURL), type: "url", hint: "Where an expired sign-in link goes. Empty clears it."))
            \(Layout.field("Login URL", name: Organizations.Field.loginURL.rawValue, value: form.loginURL,
                           error: error(.loginURL), type: "url",
                           hint: Self.loginURLHint))
            \(hosts)
            <button>Save settings</button>
            </form></section>
            \(refused)
            """)
    }
}
