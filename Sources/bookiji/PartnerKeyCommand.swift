import ArgumentParser
import BookijiCore
import Foundation
import PartnerAPI
import Store

extension PartnerCommand {
    /// `bookiji partner key create|list|revoke|roll PARTNER_ID`: a partner may hold several keys,
    /// so one is rotated without revoking the partner.
    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage a partner's API keys (several may be live at once).",
            discussion: """
                To rotate a key without downtime: `partner key roll PARTNER_ID --old-valid-until TIME` prints a new \
                key and lets the partner's other live keys work until TIME; or `partner key create` now and \
                `partner key revoke PARTNER_ID KEY_ID --at TIME` later. The responder's key cache never outlives an expiry.
                """,
            subcommands: [Create.self, List.self, Revoke.self, Roll.self])

        static func write(_ key: PartnerKey, to json: inout JSONWriter) {
            json.field("keyId", key.id)
            json.field("partnerId", key.partnerID)
            json.field("keyPrefix", key.prefix)
            json.field("status", key.status)
            json.key("createdAt"); json.instant(text: key.createdAt)
            json.key("expiresAt"); if let at = key.expiresAt { json.instant(text: at) } else { json.null() }
            json.key("revokedAt"); if let at = key.revokedAt { json.instant(text: at) } else { json.null() }
        }

        static func text(_ key: PartnerKey) -> String {
            var line = "\(key.id)  \(key.prefix)…  \(key.status)"
            if let at = key.revokedAt { line += " (revoked \(at))" } else if let at = key.expiresAt { line += " (until \(at))" }
            return line
        }

        /// An instant given on the command line: RFC 3339 (`2026-12-31T00:00:00Z`), as the API takes them.
        static func instant(_ text: String, option: String) throws -> Int64 {
            do {
                return try RFC3339.parse(text)
            } catch {
                throw CLIError("\(option): '\(text)' is not an RFC 3339 instant such as 2026-12-31T00:00:00Z", exitCode: Sysexits.usage)
            }
        }

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create another key for the partner and print it (shown once).")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Partner id.") var partnerID: String
            @Flag(help: "Print one JSON object.") var json = false

            func run() throws {
                let (key, apiKey) = try cliErrors { () throws -> (PartnerKey, String) in
                    guard let created = try PartnerKeyStore(db.session()).create(partnerID: partnerID) else {
                        throw CLIError.unknown("partner", id: partnerID)
                    }
                    return created
                }
                if json {
                    printJSON { Key.write(key, to: &$0); $0.field("apiKey", apiKey) }
                } else {
                    print("partner key \(key.id) for partner \(partnerID)\nAPI key (shown once, store it now): \(apiKey)")
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the partner's keys (ids and prefixes, never the keys).")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Partner id.") var partnerID: String
            @Flag(help: "Print one JSON object.") var json = false

            func run() throws {
                let keys = try cliErrors { () throws -> [PartnerKey] in
                    let session = try db.session()
                    guard try PartnerStore(session).find(id: partnerID) != nil else { throw CLIError.unknown("partner", id: partnerID) }
                    return try PartnerKeyStore(session).list(partnerID: partnerID)
                }
                if json {
                    printJSON { out in
                        out.field("partnerId", partnerID)
                        out.key("keys")
                        out.arrayStart()
                        for key in keys { out.objectStart(); Key.write(key, to: &out); out.objectEnd() }
                        out.arrayEnd()
                    }
                } else {
                    for key in keys { print(Key.text(key)) }
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke one of the partner's keys, now or from a chosen time (--at).")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Partner id.") var partnerID: String
            @Argument(help: "Key id (printed by `partner key create`, listed by `partner key list`).") var keyID: String
            @Option(help: "Revoke from this instant on (RFC 3339) instead of now.") var at: String?
            @Flag(help: "Print one JSON object.") var json = false

            func run() throws {
                let key = try cliErrors { () throws -> PartnerKey in
                    let when = try at.map { try Key.instant($0, option: "--at") }
                    let session = try db.session()
                    guard try PartnerStore(session).find(id: partnerID) != nil else { throw CLIError.unknown("partner", id: partnerID) }
                    guard let key = try PartnerKeyStore(session).revoke(partnerID: partnerID, keyID: keyID, at: when) else {
                        throw CLIError.unknown("key of partner \(partnerID)", id: keyID)
                    }
                    return key
                }
                if json { printJSON { Key.write(key, to: &$0) } } else { print(Key.text(key)) }
            }
        }

        struct Roll: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a new key; the partner's other live keys keep working until --old-valid-until.")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Partner id.") var partnerID: String
            @Option(help: """
                When the old keys stop working (RFC 3339, in the future), e.g. 2026-12-31T00:00:00Z. A responder \
                thread that verified an old key before the roll trusts it for up to --auth-cache-seconds more; \
                choose a time further away than that.
                """)
            var oldValidUntil: String
            @Flag(help: "Print one JSON object.") var json = false

            func run() throws {
                let (key, apiKey, rolled) = try cliErrors { () throws -> (PartnerKey, String, [PartnerKey]) in
                    let until = try Key.instant(oldValidUntil, option: "--old-valid-until")
                    guard until > Int64(Date().timeIntervalSince1970) else {
                        throw CLIError(
                            "--old-valid-until must be in the future; to stop the old keys now, revoke them with `partner key revoke`",
                            exitCode: Sysexits.usage)
                    }
                    guard let result = try PartnerKeyStore(db.session()).roll(partnerID: partnerID, oldValidUntil: until) else {
                        throw CLIError.unknown("partner", id: partnerID)
                    }
                    return result
                }
                if json {
                    printJSON { out in
                        Key.write(key, to: &out)
                        out.field("apiKey", apiKey)
                        out.key("rolledKeys")
                        out.arrayStart()
                        for old in rolled { out.objectStart(); Key.write(old, to: &out); out.objectEnd() }
                        out.arrayEnd()
                    }
                } else {
                    print("partner key \(key.id) for partner \(partnerID)\nAPI key (shown once, store it now): \(apiKey)")
                    for old in rolled { print("still valid until then: \(Key.text(old))") }
                }
            }
        }
    }
}
