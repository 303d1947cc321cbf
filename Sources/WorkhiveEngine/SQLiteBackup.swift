import Foundation

/// Online backups of a SQLite data directory: `VACUUM INTO` from a read-only connection of its own
/// takes one consistent snapshot of the database (a WAL reader; writers go on meanwhile) into a new,
/// compacted file, and proof blobs are copied beside it (they are content-addressed and never change,
/// so a blob written during the copy is at worst an extra file).
public enum SQLiteBackup {
    public static let databaseFile = "workhive.sqlite"

    /// Writes `dataDir`'s database and blobs into the new directory `destination`; returns the bytes
    /// of the database copy and the number of blobs copied.
    @discardableResult
    public static func backup(dataDir: String, to destination: String) throws -> (databaseBytes: Int, blobs: Int) {
        let fm = FileManager.default
        let source = dataDir + "/" + databaseFile
        guard fm.fileExists(atPath: source) else { throw SQLError(message: "no database at \(source)", isConstraintViolation: false) }
        guard !fm.fileExists(atPath: destination) else { throw SQLError(message: "\(destination) already exists; back up into a new directory", isConstraintViolation: false) }
        try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let target = destination + "/" + databaseFile
        let connection = try SQLiteConnection(path: source, readOnly: true)
        try connection.exec("VACUUM INTO '\(target.replacingOccurrences(of: "'", with: "''"))'")
        let blobs = try copyTree(dataDir + "/blobs", to: destination + "/blobs")
        let bytes = (try fm.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
        return (bytes, blobs)
    }

    /// Puts a backup made by `backup` into `dataDir`, which must hold no database yet (stop the
    /// server and move the old directory away first). Returns the number of blobs restored.
    @discardableResult
    public static func restore(from backup: String, into dataDir: String) throws -> Int {
        let fm = FileManager.default
        let source = backup + "/" + databaseFile
        guard fm.fileExists(atPath: source) else { throw SQLError(message: "\(backup) holds no \(databaseFile): not a workhive backup", isConstraintViolation: false) }
        let target = dataDir + "/" + databaseFile
        guard !fm.fileExists(atPath: target) else {
            throw SQLError(message: "\(target) exists; restore into an empty data directory (stop the server, move the old one away)", isConstraintViolation: false)
        }
        try fm.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        // The copy passes an integrity check before it is put in place.
        let check = try SQLiteConnection(path: source, readOnly: true).querySync("PRAGMA integrity_check", [])
        guard check.first?.text(0) == "ok" else { throw SQLError(message: "the backup's database fails its integrity check: \(check.first?.text(0) ?? "?")", isConstraintViolation: false) }
        try fm.copyItem(atPath: source, toPath: target + ".restoring")
        try fm.moveItem(atPath: target + ".restoring", toPath: target)
        return try copyTree(backup + "/blobs", to: dataDir + "/blobs")
    }

    /// Copies every file under `source` that `destination` lacks; returns how many.
    static func copyTree(_ source: String, to destination: String) throws -> Int {
        let fm = FileManager.default
        guard let files = fm.enumerator(atPath: source) else { return 0 }
        var copied = 0
        for case let relative as String in files {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: source + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let target = destination + "/" + relative
            guard !fm.fileExists(atPath: target) else { continue }
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: source + "/" + relative, toPath: target)
            copied += 1
        }
        return copied
    }
}
