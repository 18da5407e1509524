/// Checks ids before they reach the database, so a malformed id is "not found" rather than a
/// cast error.
public enum UUIDText {
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (i, byte) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                let isHex = (48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)
                guard isHex else { return false }
            }
        }
        return true
    }
}
