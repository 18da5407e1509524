import FastCGI
import Foundation
import PartnerAPI
import Testing

/// The machine-readable contract: `openapi/openapi.json`, built into the responder and served at
/// `GET /v1/openapi.json`, lists exactly the routes the router answers.
struct OpenAPITests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func sourceDocument() throws -> [UInt8] {
        Array(try Data(contentsOf: repositoryRoot.appendingPathComponent("openapi/openapi.json")))
    }

    static func document(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    /// A handler that is never asked anything needing the database.
    static func handler() -> PartnerAPIHandler {
        PartnerAPIHandler(settings: APISettings(databaseURL: "postgresql://127.0.0.1:1/unused"))
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    @Test func embeddedDocumentIsTheRepositoryFile() throws {
        var source = try Self.sourceDocument()
        if source.last == UInt8(ascii: "\n") { source.removeLast() }
        #expect(OpenAPIDocument.bytes == source, "openapi/openapi.json changed: run scripts/openapi-embed")
    }

    @Test func documentIsOpenAPI31() throws {
        let document = try Self.document(OpenAPIDocument.bytes)
        #expect((document["openapi"] as? String)?.hasPrefix("3.1.") == true)
        let schemes = try #require((document["components"] as? [String: Any])?["securitySchemes"] as? [String: Any])
        #expect(Set(schemes.keys) == ["partnerKey", "vendorKey"])
    }

    @Test func routerAndDocumentListTheSameOperations() throws {
        let routes = Set(Self.handler().routeTable.map { "\($0.method) \($0.pattern)" })
        let paths = try #require(try Self.document(OpenAPIDocument.bytes)["paths"] as? [String: [String: Any]])
        var operations: Set<String> = []
        for (path, item) in paths {
            for method in item.keys where Self.methods.contains(method) { operations.insert("\(method.uppercased()) \(path)") }
        }
        #expect(routes.count > 20)
        #expect(routes.subtracting(operations).sorted() == [], "routes the document does not describe")
        #expect(operations.subtracting(routes).sorted() == [], "documented operations no route answers")
    }

    /// A route that needs a key has `401` among its answers, and one that takes none does not
    /// claim a security scheme; every operation has an id (schemathesis links name them).
    @Test func everyOperationSaysHowItIsAuthenticated() throws {
        let document = try Self.document(OpenAPIDocument.bytes)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let publicRoutes: Set<String> = [
            "GET /v1/health", "GET /v1/openapi.json", "GET /metrics", "POST /v1/stripe/webhooks", "GET /v/r/{token}",
            "POST /v/r/{token}",
        ]
        for (path, item) in paths {
            for (method, value) in item where Self.methods.contains(method) {
                let operation = try #require(value as? [String: Any])
                let name = "\(method.uppercased()) \(path)"
                let security = operation["security"] as? [[String: Any]] ?? (document["security"] as? [[String: Any]] ?? [])
                let responses = try #require(operation["responses"] as? [String: Any])
                #expect(operation["operationId"] is String, "\(name) has no operationId")
                if publicRoutes.contains(name) {
                    #expect(security.isEmpty, "\(name) is public")
                    #expect(responses["401"] == nil, "\(name) is public")
                } else {
                    let scheme = path.hasPrefix("/v1/vendor/") ? "vendorKey" : "partnerKey"
                    #expect(security.map { Array($0.keys) } == [[scheme]], "\(name) takes a \(scheme)")
                    #expect(responses["401"] != nil, "\(name) documents 401")
                }
            }
        }
    }

    @Test func documentIsServedWithoutAKey() throws {
        let response = Self.handler().handle(HTTPRequest(method: "GET", path: "/v1/openapi.json"))
        #expect(response.status == 200)
        #expect(response.body == OpenAPIDocument.bytes)
        #expect(response.headers.contains { $0.name == "Content-Type" && $0.value == "application/json" })
    }
}
