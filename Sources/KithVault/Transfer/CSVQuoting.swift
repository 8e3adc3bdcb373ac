/// The quoting rules of RFC 4180, checked before SwiftCSV parses a file.
/// SwiftCSV reads a quote inside an unquoted cell as an error, but accepts
/// text after a closing quote ("Sam" "Smith" becomes Sam"Smith) and a quoted
/// cell that never closes (it swallows the rest of the file). Both would
/// import wrong data without a word, so they are refused here, by row.
enum CSVQuoting {
    /// The first quoting mistake in `text`: its row (the header is row 1)
    /// and what is wrong, without quoting the cell itself. Nil when every
    /// quote is where RFC 4180 allows it.
    static func firstProblem(in text: String, delimiter: CSVDelimiter = .comma) -> (row: Int, problem: String)? {
        let separator = delimiter.scalar
        enum State { case fieldStart, unquoted, quoted, afterQuote, closed }
        var state = State.fieldStart
        var row = 1
        var quotedFrom = 1
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? scalars.next() {
            pending = nil
            var isBreak = isNewline(scalar)
            // CR LF is one line break, as the parser reads it.
            if scalar == "\r" {
                if let next = scalars.next() {
                    if next != "\n" { pending = next }
                }
                isBreak = true
            }
            switch state {
            case .fieldStart, .unquoted:
                if isBreak {
                    row += 1
                    state = .fieldStart
                } else if scalar == separator {
                    state = .fieldStart
                } else if scalar == "\"" {
                    if state == .unquoted {
                        return (row, "a double quote inside a cell that does not start with one; put the whole cell in double quotes and double the quote")
                    }
                    state = .quoted
                    quotedFrom = row
                } else if state == .fieldStart && scalar.properties.isWhitespace {
                    continue
                } else {
                    state = .unquoted
                }
            case .quoted:
                // A line break inside quotes belongs to the cell, not a new row.
                if scalar == "\"" { state = .afterQuote }
            case .afterQuote, .closed:
                if scalar == "\"" && state == .afterQuote {
                    state = .quoted  // a doubled quote: one quote in the cell
                } else if isBreak {
                    row += 1
                    state = .fieldStart
                } else if scalar == separator {
                    state = .fieldStart
                } else if scalar.properties.isWhitespace {
                    state = .closed
                } else {
                    return (row, "text after the closing quote of a quoted cell; put the whole cell in double quotes and double any quote inside it")
                }
            }
        }
        if state == .quoted {
            return (quotedFrom, "a quoted cell that starts here is never closed; add the closing double quote")
        }
        return nil
    }

    /// Characters the parser ends a row at (Swift's `Character.isNewline`).
    private static func isNewline(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\n", "\u{0B}", "\u{0C}", "\r", "\u{85}", "\u{2028}", "\u{2029}": return true
        default: return false
        }
    }
}
