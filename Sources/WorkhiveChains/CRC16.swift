/// CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection), the checksum of TON user-friendly addresses.
public enum CRC16 {
    public static func xmodem<C: Collection>(_ data: C) -> UInt16 where C.Element == UInt8 {
        var crc: UInt16 = 0
        for byte in data {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return crc
    }
}
