// libFuzzer target for the EVM (EIP-55) and TON address parsers, compiled on its own with the parser
// sources (see fuzz/run): any input bytes, as a string, on both. A parser may refuse (AddressError)
// but never crash; an address it accepts must parse again to the same address from its normalized form.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAddresses(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let evm = try? EVMAddress(text) {
        let again = try? EVMAddress(evm.checksummed)
        precondition(again == evm, "EIP-55 form does not parse back: \(evm.checksummed)")
    }
    for mainnet in [true, false] {
        if let ton = try? TONAddress(text, mainnet: mainnet) {
            let again = try? TONAddress(ton.userFriendly(), mainnet: mainnet)
            precondition(again?.hash == ton.hash && again?.workchain == ton.workchain, "TON form does not parse back: \(ton.userFriendly())")
        }
    }
    return 0
}
