import Testing

@testable import OutpostHub

@Suite("Node tokens")
struct NodeTokenTests {
    @Test("a token's hash is the lower-case hex SHA-256 every hub stored before, so no node is locked out")
    func hashIsStable() {
        // SHA-256 test vectors (FIPS 180-2): hubs store these exact strings.
        #expect(NodeToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(NodeToken.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let token = NodeToken.generate()
        #expect(token.hasPrefix("opn_") && token.count == 47)
        #expect(NodeToken.hash(token).count == 64 && NodeToken.hash(token) != NodeToken.hash(NodeToken.generate()))
    }
}
