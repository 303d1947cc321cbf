import Foundation
import WorkhiveChains
import WorkhiveCore
import WorkhiveEngine

/// How engine values read on a page.
enum Display {
    static func json(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// "2026-11-25 14:03 UTC".
    static func time(_ millis: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// "4 min 05 s", for a lease.
    static func duration(milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds / 1000)
        if seconds >= 3600 { return "\(seconds / 3600) h \(String(format: "%02d", (seconds % 3600) / 60)) min" }
        if seconds >= 60 { return "\(seconds / 60) min \(String(format: "%02d", seconds % 60)) s" }
        return "\(seconds) s"
    }

    static func state(_ state: String) -> String {
        switch state {
        case "open": "Open"
        case "claimed": "In progress"
        case "verifying": "Being verified"
        case "approved": "Approved"
        case "rejected": "Rejected"
        case "failed": "Failed"
        case "cancelled": "Cancelled"
        case "done": "Done"
        case "pending": "Waiting for votes"
        default: state
        }
    }

    static func reason(_ reason: TransferReason) -> String {
        switch reason {
        case .deposit: "Deposit"
        case .escrowHold: "Escrow held for a task"
        case .escrowDraw: "Escrow paid out"
        case .escrowRelease: "Escrow returned"
        case .reward: "Task reward"
        case .verifierReward: "Verification reward"
        case .platformFee: "Platform fee"
        case .delegationPool: "Set aside for sub-tasks"
        case .delegationReturn: "Unspent sub-task budget"
        case .fleetShare: "Fleet share"
        case .payout: "Payout to your address"
        case .payoutSent: "Payout sent"
        case .networkFee: "Network fee"
        case .payoutRefund: "Payout refunded"
        }
    }

    /// A payout's state as its worker reads it.
    static func payoutState(_ state: PayoutState) -> String {
        switch state {
        case .queued: "Queued"
        case .signed: "Signed"
        case .broadcast: "Sent to the network"
        case .confirmed: "Confirmed"
        case .failed: "Failed, refunded"
        }
    }

    /// The class of a payout state's badge: pending states read like pending work.
    static func payoutStateClass(_ state: PayoutState) -> String {
        switch state {
        case .queued, .signed, .broadcast: "pending"
        case .confirmed: "approved"
        case .failed: "failed"
        }
    }

    /// "BNB Smart Chain (BEP-20)"; an unknown name as it is.
    static func network(_ name: String) -> String { PayoutNetwork(rawValue: name)?.displayName ?? name }

    /// "TRC-20", "BEP-20", "Arbitrum", "TON": short enough for a button or a table cell.
    static func networkShort(_ network: PayoutNetwork) -> String {
        switch network {
        case .trc20: "TRC-20"
        case .bep20: "BEP-20"
        case .arbitrum: "Arbitrum"
        case .ton: "TON"
        }
    }

    /// An engine sentence about a worker's payout ("the worker has no ton address; bep20 is the
    /// cheapest…") as said to that worker: "you", the networks' short names, and a capital letter.
    static func payoutReason(_ reason: String) -> String {
        var text = reason
        for (engine, person) in [("the worker has", "you have"), ("the worker prefers", "you prefer"), ("the worker asked", "you asked")] {
            text = text.replacingOccurrences(of: engine, with: person)
        }
        for network in PayoutNetwork.allCases {
            text = text.replacingOccurrences(of: "\\b\(network.rawValue)\\b", with: networkShort(network), options: .regularExpression)
        }
        return WebInput.sentence(text)
    }

    /// "0x5aAe…BeAed": the ends of a long address or hash, for narrow screens (the full text goes in a title).
    static func shortened(_ text: String, keep: Int = 6) -> String {
        text.count <= keep * 2 + 3 ? text : String(text.prefix(keep)) + "…" + String(text.suffix(keep))
    }

    /// A paragraph list from plain text (blank lines separate paragraphs).
    static func paragraphs(_ text: String) -> [String] {
        text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}

/// Images a task payload or result points at: http(s) URLs of images, and blob digests the viewer may
/// open through /files/. Everything else stays in the JSON view.
enum PayloadImages {
    static let imageExtensions = [".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif"]

    struct Image: Equatable {
        let url: String
        let caption: String
    }

    /// Strings in `value` (keys sorted, depth-first) that name images.
    static func candidates(in value: JSONValue, path: String = "") -> (urls: [Image], digests: [(digest: String, caption: String)]) {
        var urls: [Image] = [], digests: [(String, String)] = []
        func walk(_ v: JSONValue, _ path: String) {
            switch v {
            case .string(let s):
                if isImageURL(s, key: path) { urls.append(Image(url: s, caption: path.isEmpty ? "image" : path)) }
                else if isDigest(s) { digests.append((s, path.isEmpty ? "file" : path)) }
            case .array(let items): for (i, item) in items.enumerated() { walk(item, "\(path)[\(i)]") }
            case .object(let members): for key in members.keys.sorted() { walk(members[key]!, path.isEmpty ? key : "\(path).\(key)") }
            default: break
            }
        }
        walk(value, path)
        return (urls, digests)
    }

    /// An http(s) URL whose path ends like an image file, or any http(s) URL under a key that says image.
    static func isImageURL(_ s: String, key: String) -> Bool {
        guard s.utf8.count <= 2048, let url = URL(string: s), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil else { return false }
        let path = url.path.lowercased()
        return imageExtensions.contains(where: path.hasSuffix) || key.lowercased().contains("image")
    }

    static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

/// A proof file as a page shows it: inline when it is an image the browser can show.
struct ProofFile {
    let url: String
    let name: String
    let mediaType: String
    let isImage: Bool

    init(digest: String, mediaType: String) {
        url = "/files/\(digest)"
        name = String(digest.prefix(12)) + "…"
        self.mediaType = mediaType
        isImage = mediaType.hasPrefix("image/")
    }
}
