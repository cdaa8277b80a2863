//! A cheap lexical pre-scan that bounds how deeply brackets nest.
//!
//! Some parsers used by this crate (notably the recursive-descent SPARQL
//! parser of `spargebra`) recurse once per nesting level, so a body made of
//! 100,000 `(` characters would overflow the stack and abort the whole
//! server. Running this scan first turns such bodies into an ordinary syntax
//! error carrying the line and column of the bracket that went too deep.
//!
//! The scan understands just enough of the lexical structure (strings, IRIs,
//! comments, escapes) not to count brackets that are data. It never rejects a
//! document whose real nesting is within the limit.

/// Which lexical rules to follow while scanning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lexical {
    /// Turtle, N3 and SPARQL: `"…"`, `'…'`, long strings, `<IRI>`, `# comments`.
    TurtleLike,
    /// JSON: `"…"` strings only.
    Json,
}

/// The position (1-based line and column) of the first bracket nested deeper
/// than `max_depth`, or `None` if the body stays within the limit.
pub(crate) fn too_deep(body: &[u8], lexical: Lexical, max_depth: usize) -> Option<(u64, u64)> {
    let mut depth = 0usize;
    let mut i = 0usize;
    while i < body.len() {
        let c = body[i];
        match c {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return Some(position_of(body, i));
                }
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => i = skip_string(body, i, b'"', lexical == Lexical::TurtleLike),
            b'\'' if lexical == Lexical::TurtleLike => i = skip_string(body, i, b'\'', true),
            b'#' if lexical == Lexical::TurtleLike => {
                while i < body.len() && body[i] != b'\n' && body[i] != b'\r' {
                    i += 1;
                }
            }
            b'<' if lexical == Lexical::TurtleLike => i = skip_iri(body, i),
            b'\\' if lexical == Lexical::TurtleLike => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// SPARQL keywords that introduce features this crate does not evaluate,
/// with the feature's name for error messages.
const UNSUPPORTED_SPARQL_KEYWORDS: [(&str, &str); 17] = [
    ("FILTER", "FILTER"),
    ("OPTIONAL", "OPTIONAL"),
    ("UNION", "UNION"),
    ("MINUS", "MINUS"),
    ("BIND", "BIND"),
    ("VALUES", "VALUES"),
    ("SERVICE", "SERVICE"),
    ("GRAPH", "GRAPH (named graphs)"),
    ("SELECT", "a sub-query (SELECT)"),
    ("USING", "USING"),
    ("WITH", "WITH"),
    ("LOAD", "LOAD"),
    ("CLEAR", "CLEAR"),
    ("DROP", "DROP"),
    ("CREATE", "CREATE"),
    ("MOVE", "MOVE"),
    ("COPY", "COPY"),
];

/// Finds the first SPARQL construct this crate does not evaluate: one of
/// [`UNSUPPORTED_SPARQL_KEYWORDS`] (and `ADD`), or a property path operator
/// (`/`, `|`, `^`, `!`, `*`). Returns the feature's name and its 1-based
/// position.
///
/// This runs before the SPARQL parser because that parser builds expression
/// trees, property paths and `UNION`/`OPTIONAL` chains recursively: a long
/// enough chain (e.g. `FILTER(1+1+1+…)`) overflows the stack even without
/// any nesting. Those constructs are all unsupported anyway, so refusing
/// them on sight is both safe and the right answer.
pub(crate) fn sparql_unsupported(body: &[u8]) -> Option<(&'static str, u64, u64)> {
    let is_name_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    let mut i = 0usize;
    while i < body.len() {
        let c = body[i];
        match c {
            b'"' => i = skip_string(body, i, b'"', true),
            b'\'' => i = skip_string(body, i, b'\'', true),
            b'#' => {
                while i < body.len() && body[i] != b'\n' && body[i] != b'\r' {
                    i += 1;
                }
            }
            b'<' => i = skip_iri(body, i),
            b'\\' => i += 2,
            b'?' | b'$' | b'@' => {
                // Variable or language tag / directive: a plain name follows.
                i += 1;
                while i < body.len() && (is_name_char(body[i]) || body[i] == b'-') {
                    i += 1;
                }
            }
            b'^' if body.get(i + 1) == Some(&b'^') => i += 2,
            b'/' | b'|' | b'^' | b'!' | b'*' => {
                let (line, column) = position_of(body, i);
                return Some(("property paths and expressions", line, column));
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                // A keyword, `a`, a boolean, or a prefixed name / blank node
                // label (those contain ':' and are skipped whole).
                let start = i;
                let mut has_colon = false;
                while i < body.len() {
                    match body[i] {
                        b':' => has_colon = true,
                        b'\\' => i += 1,
                        b'.' | b'-' | b'%' => {}
                        c if is_name_char(c) => {}
                        _ => break,
                    }
                    i += 1;
                }
                let token = &body[start..i.min(body.len())];
                let token = token
                    .iter()
                    .rposition(|&b| b != b'.')
                    .map_or(token, |end| &token[..=end]);
                if !has_colon {
                    let found = UNSUPPORTED_SPARQL_KEYWORDS
                        .iter()
                        .find(|(keyword, _)| keyword.as_bytes().eq_ignore_ascii_case(token))
                        .map(|(_, feature)| *feature)
                        .or_else(|| b"ADD".eq_ignore_ascii_case(token).then_some("ADD"));
                    if let Some(feature) = found {
                        let (line, column) = position_of(body, start);
                        return Some((feature, line, column));
                    }
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Skips a string starting at `start` (which holds `quote`); returns the index
/// just after its end, or the end of the body if it is unterminated.
fn skip_string(body: &[u8], start: usize, quote: u8, allow_long: bool) -> usize {
    let long =
        allow_long && body.get(start + 1) == Some(&quote) && body.get(start + 2) == Some(&quote);
    if long {
        let mut i = start + 3;
        while i < body.len() {
            match body[i] {
                b'\\' => i += 2,
                c if c == quote
                    && body.get(i + 1) == Some(&quote)
                    && body.get(i + 2) == Some(&quote) =>
                {
                    return i + 3;
                }
                _ => i += 1,
            }
        }
        body.len()
    } else {
        let mut i = start + 1;
        while i < body.len() {
            match body[i] {
                b'\\' => i += 2,
                c if c == quote => return i + 1,
                // Short strings cannot span lines; let the parser complain.
                b'\n' | b'\r' => return i,
                _ => i += 1,
            }
        }
        body.len()
    }
}

/// Skips an `<IRI>` starting at `start`. If what follows cannot be an IRI
/// (SPARQL's `<` operator), only the `<` is skipped.
fn skip_iri(body: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < body.len() {
        match body[i] {
            b'>' => return i + 1,
            b'\\' => i += 2,
            b'<' | b'"' | b'{' | b'}' | b'|' | b'^' | b'`' | b' ' | b'\t' | b'\n' | b'\r' => {
                return start + 1;
            }
            _ => i += 1,
        }
    }
    start + 1
}

/// 1-based line and column (in characters) of byte `index`.
pub(crate) fn position_of(body: &[u8], index: usize) -> (u64, u64) {
    let before = &body[..index.min(body.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    // Count characters, not bytes: continuation bytes do not start one.
    let column = before[line_start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count() as u64
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_real_brackets() {
        let body = br#"<http://a/(((> "((((" '[[[' """{{{""" # (((
        ( [ ] )"#;
        assert_eq!(too_deep(body, Lexical::TurtleLike, 2), None);
        assert_eq!(too_deep(b"(((", Lexical::TurtleLike, 2), Some((1, 3)));
        assert_eq!(too_deep(b"\"[[[\" [[", Lexical::Json, 1), Some((1, 8)));
    }

    #[test]
    fn finds_unsupported_sparql() {
        let ok = br#"PREFIX filter: <http://a/#filter>
            DELETE { ?filter filter:x "FILTER" } INSERT { _:union a filter:graph, "x"^^filter:t }
            WHERE { ?filter filter:x.filter ?o. } # FILTER"#;
        assert_eq!(sparql_unsupported(ok), None);
        assert_eq!(
            sparql_unsupported(b"DELETE WHERE { ?s ?p ?o.\n FILTER(1) }").map(|f| f.0),
            Some("FILTER")
        );
        assert_eq!(
            sparql_unsupported(b"DELETE WHERE { ?s <a:p>/<a:q> ?o }"),
            Some(("property paths and expressions", 1, 24))
        );
        assert_eq!(
            sparql_unsupported(b"WITH <a:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }").map(|f| f.0),
            Some("WITH")
        );
    }

    #[test]
    fn sparql_less_than_is_not_an_iri() {
        let body = b"FILTER(?a < 3) ((((";
        assert_eq!(too_deep(body, Lexical::TurtleLike, 3), Some((1, 19)));
    }
}
