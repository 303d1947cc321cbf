import ArgumentParser
import Foundation
import Yams

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Configuration files of `workhive serve`.", subcommands: [Check.self, Keys.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a YAML configuration file: exits non-zero naming every unknown key and the first bad value.")

        @Argument(help: "The YAML file.") var file: String

        func run() async throws {
            let problems = try await Self.problems(in: file)
            guard problems.isEmpty else {
                for problem in problems { print("\(file): \(problem)") }
                throw ExitCode(1)
            }
            print("\(file): ok")
        }

        /// What is wrong with the file: unknown keys (with the nearest known one), then a value that
        /// does not read as its key's type or range. Empty when the file is good.
        static func problems(in file: String) async throws -> [String] {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch { return ["cannot read the file: \(error.localizedDescription)"] }
            let tree: Any?
            do { tree = try Yams.load(yaml: text) } catch { return ["not valid YAML: \(error)"] }
            guard tree == nil || tree is [String: Any] else { return ["the top level must be a mapping of sections (server:, data:, ...)"] }
            let known = Set(ServeSettings.keys.map(\.name))
            let unknown = flatten(tree as? [String: Any] ?? [:]).filter { !known.contains($0) }.sorted().map { key in
                "unknown key '\(key)'" + (nearest(key, in: known).map { " (did you mean '\($0)'?)" } ?? "")
            }
            guard unknown.isEmpty else { return unknown }
            do { _ = try await ServeSettings.load(file: file, environment: [:]) } catch { return ["\(error)"] }
            return []
        }

        static func flatten(_ map: [String: Any], prefix: String = "") -> [String] {
            map.flatMap { key, value -> [String] in
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                if let nested = value as? [String: Any] { return flatten(nested, prefix: path) }
                return [path]
            }
        }

        /// The known key with the fewest differing characters, if it is close.
        static func nearest(_ key: String, in known: Set<String>) -> String? {
            func distance(_ a: String, _ b: String) -> Int {  // Levenshtein
                let a = Array(a), b = Array(b)
                guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
                var row = Array(0...b.count)
                for i in 1...a.count {
                    var diagonal = row[0]
                    row[0] = i
                    for j in 1...b.count {
                        let above = row[j]
                        row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
                        diagonal = above
                    }
                }
                return row[b.count]
            }
            return known.map { ($0, distance(key, $0)) }.filter { $0.1 <= 3 }.min { $0.1 < $1.1 }?.0
        }
    }

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every key with its environment variable, flag and default.")

        func run() {
            for key in ServeSettings.keys {
                let env = "WORKHIVE_" + key.name.uppercased().replacingOccurrences(of: ".", with: "_")
                print("\(key.name)\t\(env)\t\(key.flag ?? "-")\t\(key.defaultValue)\t\(key.help)")
            }
        }
    }
}
