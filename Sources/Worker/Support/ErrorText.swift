import BookijiCore

/// An error as one line of text: libpq's messages run over several lines, and the log keeps
/// one line per event. A ``BookijiError`` keeps its cause (the operator's log needs it; a
/// partner never sees this text).
func oneLine(_ error: any Error) -> String {
    var text = ""
    var pendingSpace = false
    let full = (error as? BookijiError)?.debugDescription ?? "\(error)"
    for character in full {
        if character.isNewline || character == "\t" {
            pendingSpace = !text.isEmpty
            continue
        }
        if pendingSpace {
            if text.last != " " && character != " " { text.append(" ") }
            pendingSpace = false
        }
        text.append(character)
    }
    return text
}
