import OutpostCore
import Testing

@Suite("Hex")
struct HexTests {
    @Test("encodes every byte value as two lower-case digits, from any sequence of bytes")
    func encodesEveryByte() {
        let bytes = (0...255).map(UInt8.init)
        let text = Hex.encode(bytes)
        #expect(text.utf8.count == 512)
        #expect(text.hasPrefix("000102030405060708090a0b0c0d0e0f10"))
        #expect(text.hasSuffix("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"))
        // A slice, a non-contiguous sequence and an empty one give the same digits.
        #expect(Hex.encode(bytes[250...]) == "fafbfcfdfeff")
        #expect(Hex.encode(bytes.lazy.map { $0 }.filter { $0 >= 0xFE }) == "feff")
        #expect(Hex.encode([UInt8]()) == "")
    }

    @Test("decodes what it encodes, and refuses odd lengths and other characters")
    func roundTrip() {
        let bytes: [UInt8] = [0x00, 0x7F, 0x80, 0xAB, 0xFF]
        #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("AB") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
