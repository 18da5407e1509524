/// An error as one line of text: libpq's messages run over several lines, and the log keeps
/// one line per event.
func oneLine(_ error: any Error) -> String {
    var text = ""
    var pendingSpace = false
    for character in "\(error)" {
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
