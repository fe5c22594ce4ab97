import Foundation

// The hottest answers (the user object of create and refresh, the tracks answer)
// written as JSON text, byte for byte what the encoder writes for the types of
// PartnerObjects.swift (keys sorted), at a fraction of its cost; tests compare the two.

extension UserSnapshot: JSONTextEncodable {
    public var jsonText: String { json(token: nil) }

    /// The user object as JSON text, with `token` (a JSON object's text) as its
    /// `token` member when given; keys in the encoder's sorted order.
    public func json(token: String?) -> String {
        var out = "{\"anonymous\":" + (anonymous ? "true" : "false")
        out += ",\"created_at\":" + JSONText.time(createdAt)
        out += ",\"email\":" + JSONText.quoted(email)
        out += ",\"expires_at\":" + JSONText.time(expiresAt)
        out += ",\"first_name\":" + JSONText.quoted(firstName)
        out += ",\"id\":" + JSONText.id(id)
        out += ",\"last_name\":" + JSONText.quoted(lastName)
        out += ",\"org_id\":" + JSONText.id(orgID)
        out += ",\"partner_id\":" + JSONText.quoted(partnerID)
        out += ",\"subscription_id\":" + JSONText.id(subscriptionID)
        if let token { out += ",\"token\":" + token }
        out += ",\"updated_at\":" + JSONText.time(updatedAt) + "}"
        return out
    }
}

/// The tracks answer is the Partner API's most frequent read: written as text, byte for
/// byte what the encoder writes (keys sorted), at a fraction of its cost.
extension TrackSnapshot: JSONTextEncodable {
    public var jsonText: String {
        var out = "{\"chapters\":[" + chapters.map(\.jsonText).joined(separator: ",")
        out += "],\"chapters_completed\":" + String(chaptersCompleted)
        out += ",\"chapters_total\":" + String(chaptersTotal)
        out += ",\"completed_at\":" + JSONText.time(completedAt)
        out += ",\"id\":" + JSONText.quoted(id)
        out += ",\"name\":" + JSONText.quoted(name)
        out += ",\"next_chapter\":" + (nextChapter?.jsonText ?? "null")
        out += ",\"percent_complete\":" + String(percentComplete) + "}"
        return out
    }
}

extension TrackSnapshot.ChapterState: JSONTextEncodable {
    public var jsonText: String {
        "{\"completed_at\":" + JSONText.time(completedAt) + ",\"number\":" + String(number) + ",\"title\":" + JSONText.quoted(title) + "}"
    }
}

extension TrackSnapshot.NextChapter: JSONTextEncodable {
    public var jsonText: String {
        "{\"number\":" + String(number) + ",\"title\":" + JSONText.quoted(title) + ",\"url\":" + JSONText.quoted(url) + "}"
    }
}
