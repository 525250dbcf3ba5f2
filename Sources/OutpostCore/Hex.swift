/// Lower-case hexadecimal text for bytes (hashes, chunk ids), and back.
public enum Hex {
    /// `bytes` as lower-case hex digits, two a byte.
    ///
    /// Written into the string's own storage: a get hex-encodes the hash of every chunk it reads
    /// (16,000 for 256 MiB), and appending a character at a time was 7 % of its main thread.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        bytes.withContiguousStorageIfAvailable(encode(buffer:)) ?? Array(bytes).withUnsafeBufferPointer(encode(buffer:))
    }

    private static func encode(buffer bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { text in
            for (index, byte) in bytes.enumerated() {
                text[2 * index] = asciiDigits[Int(byte >> 4)]
                text[2 * index + 1] = asciiDigits[Int(byte & 15)]
            }
            return bytes.count * 2
        }
    }

    /// The bytes `text` spells, or nil when it is not an even number of lower-case hex digits.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        for index in stride(from: 0, to: utf8.count, by: 2) {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static let asciiDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case 48...57: character - 48
        case 97...102: character - 87
        default: nil
        }
    }
}
