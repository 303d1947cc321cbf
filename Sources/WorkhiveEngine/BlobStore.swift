import Foundation
import WorkhiveCore

/// Proof artifacts on disk under the data directory, named by their SHA-256 (`ab/cdef…`), so the
/// same bytes are stored once and a name always means the same content.
struct BlobStore: Sendable {
    let directory: String

    static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    func path(for digest: String) -> String {
        "\(directory)/\(digest.prefix(2))/\(digest.dropFirst(2))"
    }

    /// Writes the bytes if not already there, via a temporary file and a rename so a reader never
    /// sees half a blob.
    func store(_ bytes: [UInt8], digest: String) throws {
        let target = path(for: digest)
        let fm = FileManager.default
        if fm.fileExists(atPath: target) { return }
        try fm.createDirectory(atPath: "\(directory)/\(digest.prefix(2))", withIntermediateDirectories: true)
        let temporary = "\(target).\(UUID().uuidString).tmp"
        guard fm.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw WorkhiveError(.internalError, "cannot write blob")
        }
        if rename(temporary, target) != 0 {
            try? fm.removeItem(atPath: temporary)
            if !fm.fileExists(atPath: target) { throw WorkhiveError(.internalError, "cannot store blob") }
        }
    }

    func load(_ digest: String) -> Data? { FileManager.default.contents(atPath: path(for: digest)) }
}

extension Marketplace {
    /// Stores an uploaded proof artifact and records it; uploading the same bytes twice is one blob.
    public func uploadBlob(_ principal: Principal, bytes: [UInt8], mediaType: String) async throws -> BlobView {
        let media = mediaType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard configuration.allowedMediaTypes.contains(media) else {
            throw WorkhiveError(.unsupportedMediaType, "media type '\(media)' is not accepted; use one of \(configuration.allowedMediaTypes.sorted().joined(separator: ", "))")
        }
        guard !bytes.isEmpty else { throw WorkhiveError.invalid("blob is empty") }
        guard bytes.count <= configuration.maxBlobBytes else {
            throw WorkhiveError(.payloadTooLarge, "blob is \(bytes.count) bytes; the limit is \(configuration.maxBlobBytes)")
        }
        let digest = sha256Hex(bytes)
        try blobs.store(bytes, digest: digest)
        let now = self.now()
        let owner = principal.ownerID
        return try await transact { tx, _ in
            try await tx.execute(
                "INSERT INTO blobs (sha256, size, media_type, owner_id, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                digest, bytes.count, media, owner, now)
            try await tx.execute(
                "INSERT INTO blob_uploaders (sha256, owner_id) VALUES (?, ?) ON CONFLICT (sha256, owner_id) DO NOTHING", digest, owner)
            let row = try await tx.queryOne("SELECT size, media_type FROM blobs WHERE sha256 = ?", digest)!
            return BlobView(sha256: digest, size: row.int(0), mediaType: row.text(1))
        }
    }

    /// A blob, for whoever may see it: the owners who uploaded it, an admin, the requester of a task it is a
    /// proof for, and the verifiers of that submission. Everyone else is told it does not exist.
    public func blob(_ principal: Principal, _ digest: String) async throws -> (BlobView, Data) {
        guard BlobStore.isDigest(digest) else { throw WorkhiveError.invalid("not a SHA-256 digest") }
        let owner = principal.ownerID
        let worker = principal.workerID ?? WorkerID(-1)
        let admin = principal.isAdmin
        let row = try await read { tx in
            try await tx.queryOne("""
                SELECT b.size, b.media_type FROM blobs b WHERE b.sha256 = ? AND (? = 1 OR EXISTS (
                    SELECT 1 FROM blob_uploaders u WHERE u.sha256 = b.sha256 AND u.owner_id = ?) OR EXISTS (
                    SELECT 1 FROM submission_proofs p JOIN submissions s ON s.id = p.submission_id JOIN tasks t ON t.id = s.task_id
                    WHERE p.sha256 = b.sha256 AND (t.requester_id = ? OR EXISTS (
                        SELECT 1 FROM tasks v WHERE v.submission_id = s.id AND v.worker_id = ?))))
                """, digest, admin, owner, owner, worker)
        }
        guard let row, let data = blobs.load(digest) else { throw WorkhiveError.notFound("blob \(digest)") }
        return (BlobView(sha256: digest, size: row.int(0), mediaType: row.text(1)), data)
    }
}
