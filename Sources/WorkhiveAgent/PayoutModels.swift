// Payout addresses and payouts as the API describes them. Network, state and rule are open strings,
// so a client keeps working when the server learns a new one.

/// A worker's payout address on one network, normalized by the server.
public struct PayoutAddress: Sendable, Hashable, Codable {
    public var network: String
    public var address: String
    public var updatedAtMillis: Int64

    enum CodingKeys: String, CodingKey {
        case network, address
        case updatedAtMillis = "updated_at_millis"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        network = try c.decode(String.self, forKey: .network)
        address = try c.decode(String.self, forKey: .address)
        updatedAtMillis = try c.value(.updatedAtMillis, default: 0)
    }
}

/// A worker's payout addresses and network preference ("none", "low_fee" or a network).
public struct PayoutAddresses: Sendable, Hashable, Codable {
    public var workerId: Int64
    public var addresses: [PayoutAddress]
    public var preference: String

    enum CodingKeys: String, CodingKey {
        case addresses, preference
        case workerId = "worker_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        workerId = try c.value(.workerId, default: 0)
        addresses = try c.value(.addresses, default: [])
        preference = try c.value(.preference, default: "none")
    }
}

/// One payout: amount, the chosen network with its fee and the reason, and where it stands
/// (queued, signed, broadcast, confirmed, failed).
public struct Payout: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var workerId: Int64
    public var network: String
    public var address: String
    public var amountMicroUSDT: Int64
    public var feeMicroUSDT: Int64
    public var sentMicroUSDT: Int64
    public var rule: String
    public var reason: String
    public var origin: String
    public var state: String
    public var txHash: String?
    public var attempts: Int
    public var failureReason: String?
    public var createdAtMillis: Int64
    public var confirmedAtMillis: Int64?

    enum CodingKeys: String, CodingKey {
        case id, network, address, rule, reason, origin, state, attempts
        case workerId = "worker_id"
        case amountMicroUSDT = "amount_micro_usdt"
        case feeMicroUSDT = "fee_micro_usdt"
        case sentMicroUSDT = "sent_micro_usdt"
        case txHash = "tx_hash"
        case failureReason = "failure_reason"
        case createdAtMillis = "created_at_millis"
        case confirmedAtMillis = "confirmed_at_millis"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        workerId = try c.value(.workerId, default: 0)
        network = try c.value(.network, default: "")
        address = try c.value(.address, default: "")
        amountMicroUSDT = try c.value(.amountMicroUSDT, default: 0)
        feeMicroUSDT = try c.value(.feeMicroUSDT, default: 0)
        sentMicroUSDT = try c.value(.sentMicroUSDT, default: amountMicroUSDT - feeMicroUSDT)
        rule = try c.value(.rule, default: "")
        reason = try c.value(.reason, default: "")
        origin = try c.value(.origin, default: "withdrawal")
        state = try c.value(.state, default: "queued")
        txHash = try c.decodeIfPresent(String.self, forKey: .txHash)
        attempts = try c.value(.attempts, default: 0)
        failureReason = try c.decodeIfPresent(String.self, forKey: .failureReason)
        createdAtMillis = try c.value(.createdAtMillis, default: 0)
        confirmedAtMillis = try c.decodeIfPresent(Int64.self, forKey: .confirmedAtMillis)
    }
}
