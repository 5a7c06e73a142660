//! Every relative link of the repository's Markdown pages (the root's and `docs/`'s)
//! reaches a file that exists and, with a `#fragment` into a Markdown page, one of its
//! headings, as GitHub makes their anchors.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The pages whose links are checked: every `.md` file of the root and of `docs/`.
fn pages(root: &Path) -> Vec<PathBuf> {
    let mut pages = Vec::new();
    for dir in [root.to_path_buf(), root.join("docs")] {
        for entry in std::fs::read_dir(&dir)
            .expect("the folder can be read")
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

/// The targets of the inline links `[text](target)` of `text`, outside code blocks and
/// code spans.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut in_code = false;
        let mut rest = line;
        while let Some(i) = rest.find(['`', ']']) {
            let (c, after) = (rest.as_bytes()[i], &rest[i + 1..]);
            rest = after;
            if c == b'`' {
                in_code = !in_code;
            } else if !in_code && after.starts_with('(') {
                if let Some(end) = after.find(')') {
                    targets.push(after[1..end].trim().to_owned());
                    rest = &after[end + 1..];
                }
            }
        }
    }
    targets
}

/// GitHub's anchor of a heading: lower case, punctuation dropped (but `-` and `_`), spaces
/// as `-`; a link's text stands for the link.
fn anchor(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    // `[text](url)` becomes `text`.
    while let Some(open) = rest.find('[') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match (after.find("]("), after.find(')')) {
            (Some(close), Some(end)) if close < end => {
                text.push_str(&after[..close]);
                rest = &after[end + 1..];
            }
            _ => {
                text.push('[');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown page's headings (repeated ones get `-1`, `-2`... as on GitHub).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let Some(heading) = line.strip_prefix('#').filter(|_| !fenced) else {
            continue;
        };
        let base = anchor(heading.trim_start_matches('#'));
        let mut candidate = base.clone();
        let mut n = 0;
        while seen.contains(&candidate) {
            n += 1;
            candidate = format!("{base}-{n}");
        }
        seen.insert(candidate);
    }
    seen
}

/// `path` with `.` and `..` resolved without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What is wrong with the link `target` of the page `page`; `None` when it resolves.
fn broken(page: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (file, fragment) = match target.split_once('#') {
        Some((file, fragment)) => (file, Some(fragment)),
        None => (target, None),
    };
    let file = if file.is_empty() {
        page.to_path_buf()
    } else {
        normalise(&page.parent().expect("a page is in a folder").join(file))
    };
    if !file.exists() {
        return Some(format!("{target}: no file {}", file.display()));
    }
    let fragment = fragment.filter(|_| file.extension().is_some_and(|e| e == "md"))?;
    let text = std::fs::read_to_string(&file).ok()?;
    (!anchors(&text).contains(fragment)).then(|| {
        format!(
            "{target}: no heading of {} has the anchor #{fragment}",
            file.display()
        )
    })
}

#[test]
fn relative_links_of_the_docs_resolve() {
    let root = crate::root();
    let pages = pages(&root);
    assert!(pages.iter().any(|p| p.ends_with("README.md")), "{pages:?}");
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).expect("a page can be read");
        for target in link_targets(&text) {
            checked += 1;
            if let Some(problem) = broken(page, &target) {
                problems.push(format!("{}: {problem}", page.display()));
            }
        }
    }
    assert!(
        checked > 10,
        "only {checked} links found: is the link reader broken?"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n- {}",
        problems.join("\n- ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_githubs() {
        assert_eq!(
            anchor(" 5. The connection table (`crates/aws`)"),
            "5-the-connection-table-cratesaws"
        );
        assert_eq!(
            anchor(" `@connections` credentials"),
            "connections-credentials"
        );
        assert_eq!(
            anchor(" What API Gateway does, reproduced"),
            "what-api-gateway-does-reproduced"
        );
        assert_eq!(
            anchor(" Compared with `sam local` and serverless-offline"),
            "compared-with-sam-local-and-serverless-offline"
        );
        assert_eq!(anchor(" See [the docs](docs/x.md) now"), "see-the-docs-now");
        let page = "# A\n## A\n```\n# not a heading\n```\n### B_c\n";
        let expected: BTreeSet<String> =
            ["a", "a-1", "b_c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(anchors(page), expected);
    }

    #[test]
    fn links_outside_code_are_read() {
        let text = "See [a](a.md#x) and `[b](b.md)`.\n```\n[c](c.md)\n```\n[d](https://e.invalid/) [e](#f)\n";
        assert_eq!(link_targets(text), ["a.md#x", "https://e.invalid/", "#f"]);
    }

    #[test]
    fn a_missing_file_or_heading_is_broken() {
        let root = crate::root();
        let readme = root.join("README.md");
        assert_eq!(broken(&readme, "docs/contract.md"), None);
        assert_eq!(broken(&readme, "https://example.invalid/nothing"), None);
        assert!(broken(&readme, "docs/no-such-page.md")
            .unwrap()
            .contains("no file"));
        assert!(broken(&readme, "docs/contract.md#no-such-heading")
            .unwrap()
            .contains("#no-such-heading"));
        assert!(broken(&readme, "#layout").is_none());
        let docs = root.join("docs/CONFIGURATION.md");
        assert_eq!(broken(&docs, "../README.md#layout"), None);
    }
}
