//! Selection syntax, as in dbt and Dagster: `key`, `+key` (with everything
//! upstream), `key+` (with everything downstream), `2+key` / `key+1` (up to
//! that many edges), `+key+`, and `*` globs within a segment (`raw/*`).
//! Several terms separated by spaces select their union; no terms select
//! every asset.

use std::collections::BTreeSet;
use std::fmt;

use cairn_core::AssetKey;

use crate::AssetGraph;
use crate::graph::closest_key;

/// Which assets a term names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPattern {
    /// One asset key.
    Exact(AssetKey),
    /// A glob such as `raw/*`; `*` matches within one `/` segment.
    Glob(String),
}

/// One term: a pattern with optional upstream / downstream expansion.
/// `Some(None)` means "all the way", `Some(Some(n))` up to `n` edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionTerm {
    /// The assets named.
    pub pattern: KeyPattern,
    /// `+` before the pattern.
    pub upstream: Option<Option<usize>>,
    /// `+` after the pattern.
    pub downstream: Option<Option<usize>>,
}

/// A parsed selection: the union of its terms (all assets when empty).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    terms: Vec<SelectionTerm>,
    text: String,
}

/// Errors in a selection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// A term that does not follow the syntax.
    #[error("invalid selection `{term}`: {reason} (use `key`, `+key`, `key+`, `2+key` or `raw/*`)")]
    Syntax {
        /// The term.
        term: String,
        /// What is wrong.
        reason: String,
    },
    /// A key that is not in the graph.
    #[error("no asset `{key}` in the project{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownAsset {
        /// The key asked for.
        key: String,
        /// The closest key that exists.
        suggestion: Option<AssetKey>,
    },
    /// A glob that matches nothing.
    #[error("selection `{0}` matches no asset")]
    NoMatch(String),
}

impl Selection {
    /// Parses whitespace-separated terms (a CLI may also pass several
    /// arguments; join them with spaces).
    ///
    /// # Errors
    /// [`SelectionError::Syntax`] for a malformed term.
    pub fn parse(text: &str) -> Result<Self, SelectionError> {
        let terms = text.split_whitespace().map(parse_term).collect::<Result<_, _>>()?;
        Ok(Self { terms, text: text.split_whitespace().collect::<Vec<_>>().join(" ") })
    }

    /// The terms.
    pub fn terms(&self) -> &[SelectionTerm] {
        &self.terms
    }

    /// Whether the selection has no terms (selects everything).
    pub fn is_all(&self) -> bool {
        self.terms.is_empty()
    }

    /// The selected keys in `graph`.
    ///
    /// # Errors
    /// [`SelectionError::UnknownAsset`] (with the closest key) or
    /// [`SelectionError::NoMatch`] for a glob matching nothing.
    pub fn resolve(&self, graph: &AssetGraph) -> Result<BTreeSet<AssetKey>, SelectionError> {
        if self.terms.is_empty() {
            return Ok(graph.keys().cloned().collect());
        }
        let mut selected = BTreeSet::new();
        for term in &self.terms {
            let roots: Vec<AssetKey> = match &term.pattern {
                KeyPattern::Exact(key) => {
                    if !graph.contains(key) {
                        return Err(SelectionError::UnknownAsset {
                            key: key.to_string(),
                            suggestion: closest_key(key.as_str(), graph.keys()),
                        });
                    }
                    vec![key.clone()]
                }
                KeyPattern::Glob(glob) => {
                    let matched = glob_matches(glob, graph);
                    if matched.is_empty() {
                        return Err(SelectionError::NoMatch(glob.clone()));
                    }
                    matched
                }
            };
            for root in roots {
                if let Some(depth) = term.upstream {
                    selected.extend(graph.ancestors(&root, depth));
                }
                if let Some(depth) = term.downstream {
                    selected.extend(graph.descendants(&root, depth));
                }
                selected.insert(root);
            }
        }
        Ok(selected)
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_term(term: &str) -> Result<SelectionTerm, SelectionError> {
    let syntax = |reason: &str| SelectionError::Syntax { term: term.to_owned(), reason: reason.to_owned() };
    let (upstream, rest) = match term.find('+') {
        Some(plus) if term[..plus].chars().all(|c| c.is_ascii_digit()) => {
            (Some(parse_depth(&term[..plus]).ok_or_else(|| syntax("depth is too large"))?), &term[plus + 1..])
        }
        _ => (None, term),
    };
    let (pattern, downstream) = match rest.find('+') {
        Some(plus) => {
            let depth = &rest[plus + 1..];
            if !depth.chars().all(|c| c.is_ascii_digit()) {
                return Err(syntax("`+` may only be followed by a number of levels"));
            }
            (&rest[..plus], Some(parse_depth(depth).ok_or_else(|| syntax("depth is too large"))?))
        }
        None => (rest, None),
    };
    if pattern.is_empty() {
        return Err(syntax("no asset key"));
    }
    let pattern = if pattern.contains('*') {
        let checked = pattern.replace('*', "x");
        AssetKey::new(&checked).map_err(|e| syntax(&e.to_string().replace(&checked, pattern)))?;
        KeyPattern::Glob(pattern.to_owned())
    } else {
        KeyPattern::Exact(AssetKey::new(pattern).map_err(|e| syntax(&e.to_string()))?)
    };
    Ok(SelectionTerm { pattern, upstream, downstream })
}

/// `""` is unlimited; digits are a depth.
fn parse_depth(digits: &str) -> Option<Option<usize>> {
    if digits.is_empty() { Some(None) } else { digits.parse().ok().map(Some) }
}

fn glob_matches(glob: &str, graph: &AssetGraph) -> Vec<AssetKey> {
    let Ok(pattern) = glob::Pattern::new(glob) else {
        return Vec::new();
    };
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    graph.keys().filter(|key| pattern.matches_with(key.as_str(), options)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::spec;

    fn graph() -> AssetGraph {
        AssetGraph::build(vec![
            spec("raw/flights", &[]),
            spec("raw/weather", &[]),
            spec("flights_daily", &["raw/flights"]),
            spec("flights_weather", &["flights_daily", "raw/weather"]),
            spec("delays", &["flights_weather"]),
        ])
        .unwrap()
    }

    fn select(text: &str) -> Result<Vec<String>, SelectionError> {
        Ok(Selection::parse(text)?.resolve(&graph())?.into_iter().map(|k| k.to_string()).collect())
    }

    #[test]
    fn selects_with_upstream_and_downstream() {
        assert_eq!(select("flights_daily").unwrap(), ["flights_daily"]);
        assert_eq!(select("+flights_daily").unwrap(), ["flights_daily", "raw/flights"]);
        assert_eq!(select("flights_daily+").unwrap(), ["delays", "flights_daily", "flights_weather"]);
        assert_eq!(select("flights_daily+1").unwrap(), ["flights_daily", "flights_weather"]);
        assert_eq!(select("1+flights_weather").unwrap(), ["flights_daily", "flights_weather", "raw/weather"]);
        assert_eq!(select("+delays").unwrap().len(), 5);
        assert_eq!(select("raw/* delays").unwrap(), ["delays", "raw/flights", "raw/weather"]);
        assert_eq!(select("").unwrap().len(), 5);
    }

    #[test]
    fn rejects_unknown_keys_with_a_suggestion() {
        let error = select("flights_dialy+").unwrap_err();
        assert_eq!(error.to_string(), "no asset `flights_dialy` in the project; did you mean `flights_daily`?");
        assert_eq!(select("staging/*").unwrap_err(), SelectionError::NoMatch("staging/*".into()));
        assert!(matches!(select("a+b").unwrap_err(), SelectionError::Syntax { .. }));
        assert!(matches!(select("+").unwrap_err(), SelectionError::Syntax { .. }));
        assert!(matches!(select("../x").unwrap_err(), SelectionError::Syntax { .. }));
    }
}
