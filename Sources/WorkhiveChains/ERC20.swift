/// ABI encoding for the ERC-20 calls payouts make.
public enum ERC20 {
    /// First four bytes of keccak256("transfer(address,uint256)").
    public static let transferSelector: [UInt8] = [0xa9, 0x05, 0x9c, 0xbb]

    /// `transfer(to, amount)` calldata: selector, the address left-padded to 32 bytes, the amount as a uint256 word.
    public static func transferCalldata(to: EVMAddress, amount: UInt256) -> [UInt8] {
        transferSelector + [UInt8](repeating: 0, count: 12) + to.bytes + amount.bigEndianBytes
    }

    /// First four bytes of keccak256("balanceOf(address)").
    public static let balanceOfSelector: [UInt8] = [0x70, 0xa0, 0x82, 0x31]

    /// `balanceOf(owner)` calldata, for eth_call.
    public static func balanceOfCalldata(_ owner: EVMAddress) -> [UInt8] {
        balanceOfSelector + [UInt8](repeating: 0, count: 12) + owner.bytes
    }

    /// Parses transfer calldata back (the devnet reads what it is sent); nil when it is something else.
    public static func decodeTransfer(_ data: [UInt8]) -> (to: EVMAddress, amount: UInt256)? {
        guard data.count == 68, Array(data[0..<4]) == transferSelector, data[4..<16].allSatisfy({ $0 == 0 }) else { return nil }
        guard let to = try? EVMAddress(bytes: Array(data[16..<36])), let amount = UInt256(bigEndian: data[36..<68]) else { return nil }
        return (to, amount)
    }
}
