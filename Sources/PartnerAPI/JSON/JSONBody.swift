import BookijiCore
import FastCGI
import Foundation

/// A parsed JSON request body with typed field access whose errors name the field.
public struct JSONBody {
    public let object: [String: Any]

    /// Parses the body of a request that must carry a JSON object: 415 `unsupported_media_type`
    /// unless its `Content-Type` says JSON (see ``MediaType``), then as ``init(_:)-([UInt8])``.
    public init(_ request: HTTPRequest) throws(BookijiError) {
        try MediaType.requireJSON(request, bodyRequired: true)
        try self.init(request.body)
    }

    /// Parses `bytes` as a JSON object. The error says what is wrong and where; a value this API
    /// refuses whatever the route (a NUL, more members or values than ``StrictJSON/Limits``
    /// allows) is 400 `invalid_request` naming the field, found before anything is built.
    public init(_ bytes: [UInt8]) throws(BookijiError) {
        guard !bytes.isEmpty else {
            throw BookijiError(.malformedJSON, "request body is empty; expected a JSON object")
        }
        do {
            try StrictJSON.validate(bytes)
        } catch {
            switch error {
            case .syntax(let error):
                throw BookijiError(.malformedJSON, "request body is not valid JSON: \(error.message) at \(error.position(in: bytes))")
            case .refused(let refusal):
                var details: [String: ErrorDetail] = ["field": .text(refusal.field)]
                if let limit = refusal.limit { details["limit"] = .number(limit) }
                throw BookijiError(.invalidRequest, refusal.message, details: details)
            }
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            let nsError = error as NSError
            let where_ = (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
            throw BookijiError(.malformedJSON, "request body is not valid JSON: \(where_)")
        }
        guard let object = parsed as? [String: Any] else {
            throw BookijiError(.malformedJSON, "request body must be a JSON object, not \(Self.kind(parsed))")
        }
        self.object = object
    }

    public func string(_ field: String) throws(BookijiError) -> String {
        guard let value = object[field] else { throw missing(field) }
        guard let text = value as? String else { throw wrongType(field, "a string", value) }
        return text
    }

    public func optionalString(_ field: String) throws(BookijiError) -> String? {
        guard let value = object[field], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw wrongType(field, "a string", value) }
        return text
    }

    public func optionalObject(_ field: String) throws(BookijiError) -> [String: Any]? {
        guard let value = object[field], !(value is NSNull) else { return nil }
        guard let dict = value as? [String: Any] else { throw wrongType(field, "an object", value) }
        return dict
    }

    public func optionalStringArray(_ field: String) throws(BookijiError) -> [String]? {
        guard let value = object[field], !(value is NSNull) else { return nil }
        guard let array = value as? [Any], let strings = array as? [String], strings.count == array.count else {
            throw wrongType(field, "an array of strings", value)
        }
        return strings
    }

    private func missing(_ field: String) -> BookijiError {
        BookijiError(.invalidRequest, "missing required field '\(field)'", details: ["field": field])
    }

    private func wrongType(_ field: String, _ expected: String, _ value: Any) -> BookijiError {
        BookijiError(.invalidRequest, "field '\(field)' must be \(expected), not \(Self.kind(value))", details: ["field": field])
    }

    static func kind(_ value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case is String: "a string"
        // Foundation gives JSON booleans as NSNumbers of type 'c' (char), numbers as other types.
        case let number as NSNumber: String(cString: number.objCType) == "c" ? "a boolean" : "a number"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        default: "an unsupported value"
        }
    }
}
