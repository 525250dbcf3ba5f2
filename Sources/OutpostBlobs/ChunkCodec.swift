package import Crypto
import Foundation
package import OutpostCore
package import OutpostProtocol

/// How a chunk is kept on the node's disk: its wire form (``ChunkFrame``: a flags byte, then the
/// payload, deflated when that saves at least 10%), sealed with AES-GCM when the node encrypts
/// at rest. On the wire a chunk travels as stored less the encryption, so the hub keeps chunks
/// compressed and never sees a node's key.
package enum ChunkCodec {
    /// Flag bit 1, on disk only: the rest is an AES-GCM sealed box (nonce, ciphertext, tag).
    package static let encryptedFlag: UInt8 = 2

    /// The bytes to write for `frame`: encrypted with `key` when there is one.
    package static func stored(_ frame: ChunkFrame, key: SymmetricKey?) throws(OutpostError) -> [UInt8] {
        guard let key else { return [frame.flags] + frame.payload }
        do {
            let sealed = try AES.GCM.seal(frame.payload, using: key)
            return [frame.flags | encryptedFlag] + Array(sealed.combined ?? Data())
        } catch {
            throw OutpostError(.storage, "Cannot encrypt a chunk: \(error).")
        }
    }

    /// The frame that stored bytes hold, decrypted when they were encrypted.
    ///
    /// - Throws: ``OutpostError`` `.storage` when the bytes are damaged (they will not open), or
    ///   `.failedPrecondition` when they are encrypted and the node has no key.
    package static func frame(ofStored stored: [UInt8], hash: String, key: SymmetricKey?) throws(OutpostError)
        -> ChunkFrame
    {
        guard let flags = stored.first else { throw corrupt(hash, "it is empty") }
        let body = Array(stored.dropFirst())
        guard flags & encryptedFlag != 0 else { return ChunkFrame(hash: hash, flags: flags, payload: body) }
        guard let key else {
            throw OutpostError(
                .failedPrecondition,
                "Chunk \(hash.prefix(12))… is encrypted at rest, but HOME/files.key is missing. Restore it from a backup."
            )
        }
        do {
            let opened = try AES.GCM.open(AES.GCM.SealedBox(combined: body), using: key)
            return ChunkFrame(hash: hash, flags: flags & ~encryptedFlag, payload: Array(opened))
        } catch {
            throw OutpostError(
                .storage,
                "Chunk \(hash.prefix(12))… does not open with HOME/files.key: it is damaged. It was moved to "
                    + "HOME/files/quarantine (never deleted: a key mix-up must not cost data); a sync fetches it "
                    + "again.",
                details: ["chunk": hash, "reason": sealedChunkDoesNotOpen],
                remedy: .syncWithHub
            )
        }
    }

    /// `details["reason"]` of the error for a sealed chunk that does not open with the key.
    package static let sealedChunkDoesNotOpen = "does_not_open"

    /// Whether `stored` is plain, or sealed and opens with `key`.
    package static func opens(_ stored: [UInt8], with key: SymmetricKey) -> Bool {
        guard let flags = stored.first else { return false }
        guard flags & encryptedFlag != 0 else { return true }
        guard let box = try? AES.GCM.SealedBox(combined: stored.dropFirst()) else { return false }
        return (try? AES.GCM.open(box, using: key)) != nil
    }

    private static func corrupt(_ hash: String, _ why: String) -> OutpostError {
        OutpostError(
            .storage,
            "Chunk \(hash.prefix(12))… is corrupt: \(why). It was not used; a sync fetches it again.",
            details: ["chunk": hash],
            remedy: .syncWithHub
        )
    }
}
