//! Limits on a YAML template, checked before it is loaded: how deep its sequences and
//! mappings nest, and how many bytes its aliases expand to.
//!
//! saphyr's loader recurses once per level of nesting (20,000 nested sequences, 47 KB of
//! text, overflowed the stack and aborted the process), and its alias budget counts nodes,
//! not bytes (one 1 MiB anchor aliased 3,000 times is 3 GB). This pass reads the parser's
//! events one by one, without recursion, and holds only a size per open collection and per
//! anchor, so it stops at the first line over a limit whatever the text.

use saphyr_parser::{Event, Parser};
use std::collections::HashMap;

/// Deepest nesting of sequences and mappings accepted (serde_json's limit for JSON too).
pub(super) const MAX_DEPTH: usize = 128;
/// Most bytes the aliases of one template may expand to, all aliases together.
pub(super) const MAX_ALIAS_BYTES: usize = 16 * 1024 * 1024;
/// What a node is counted beyond its text: about what it costs once loaded.
const NODE_BYTES: usize = 64;

/// Checks `text` against [`MAX_DEPTH`] and [`MAX_ALIAS_BYTES`]; the error names the line
/// and column, and the limit. Syntax errors are left to the loader, which reports them.
pub(super) fn check(text: &str) -> Result<(), String> {
    // Each anchor's expanded size, by the parser's anchor id.
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    // Each open collection: its anchor id (0: none) and its size so far.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut expanded = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(event) => event,
            // The scanner's own limit on flow nesting, said as ours.
            Err(e) if e.info().contains("recursion limit") => {
                let at = format!(
                    "line {}, column {}",
                    e.marker().line(),
                    e.marker().col() + 1
                );
                return Err(too_deep(&at));
            }
            // Any other syntax error is the loader's to report.
            Err(_) => return Ok(()),
        };
        let at = format!(
            "line {}, column {}",
            span.start.line(),
            span.start.col() + 1
        );
        let done = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if open.len() >= MAX_DEPTH {
                    return Err(too_deep(&at));
                }
                open.push((anchor, NODE_BYTES));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => open.pop(),
            Event::Scalar(value, _, anchor, tag) => {
                let tag = tag.map_or(0, |t| t.handle.len() + t.suffix.len());
                Some((anchor, NODE_BYTES + value.len() + tag))
            }
            Event::Alias(id) => {
                let bytes = anchors.get(&id).copied().unwrap_or(NODE_BYTES);
                expanded = expanded.saturating_add(bytes);
                if expanded > MAX_ALIAS_BYTES {
                    return Err(format!(
                        "its aliases expand to more than {} MiB at {at} (each alias copies its \
                         anchor's whole value): use fewer or smaller anchors",
                        MAX_ALIAS_BYTES >> 20
                    ));
                }
                Some((0, bytes))
            }
            _ => None,
        };
        if let Some((anchor, bytes)) = done {
            if anchor > 0 {
                anchors.insert(anchor, bytes);
            }
            if let Some(parent) = open.last_mut() {
                parent.1 = parent.1.saturating_add(bytes);
            }
        }
    }
    Ok(())
}

/// The error of a template nested deeper than [`MAX_DEPTH`] at `at`.
fn too_deep(at: &str) -> String {
    format!(
        "nests sequences and mappings more than {MAX_DEPTH} deep at {at}: a template needs \
         far fewer levels; flatten it"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_templates_pass() {
        let text = "Globals: &g {Function: {Timeout: 3}}\nResources:\n  A: {Type: X}\nCopy: *g\n";
        check(text).unwrap();
        let deep = format!("{}x{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        check(&deep).unwrap();
        // A syntax error is the loader's to report.
        check("a: [\n").unwrap();
    }

    #[test]
    fn deep_nesting_is_refused_at_its_line() {
        let flow = format!("a: 1\nb: {}x", "[".repeat(MAX_DEPTH + 1));
        let e = check(&flow).unwrap_err();
        assert!(e.contains("more than 128 deep at line 2"), "{e}");
        let block = "- ".repeat(20_000);
        let e = check(&block).unwrap_err();
        assert!(e.contains("more than 128 deep at line 1"), "{e}");
    }

    #[test]
    fn alias_bytes_not_nodes_are_counted() {
        let big = "x".repeat(1 << 20);
        let mut text = format!("a: &big {big}\nb:\n");
        for _ in 0..20 {
            text.push_str("  - *big\n");
        }
        let e = check(&text).unwrap_err();
        assert!(e.contains("more than 16 MiB at line 18"), "{e}");
        // Nested anchors count what they hold, expanded.
        let nested = "a: &a [x, x, x, x, x, x, x, x]\n\
                      b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n\
                      c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n\
                      d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n\
                      e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\n\
                      f: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n\
                      g: &g [*f, *f, *f, *f, *f, *f, *f, *f]\n";
        let e = check(nested).unwrap_err();
        assert!(e.contains("line 6"), "{e}");
    }
}
