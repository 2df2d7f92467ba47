//! Selection syntax: dbt's graph operators with Dagster's asset selection
//! attributes and boolean operators. The one grammar of the CLI, the API
//! and (through the API) the web UI.
//!
//! | text | selects |
//! |---|---|
//! | *(nothing)*, `*` | every asset |
//! | `flights_daily`, `key:flights_daily`, `key:"raw/flights"` | that asset |
//! | `raw/*` | the keys the glob matches: `*` stays within one `/` segment, `**` crosses them (`raw/**`) |
//! | `group:raw` | the assets of a group (YAML `group`, else the key's first segment, else `default`) |
//! | `kind:sql` | the assets of a kind: `source`, `sql`, `command` |
//! | `tag:team`, `tag:team=ops` | the assets with that tag (and value) |
//! | `+X`, `2+X` | X and everything (up to 2 edges) upstream of it |
//! | `X+`, `X+1` | X and everything (up to 1 edge) downstream of it |
//! | `roots(X)`, `sinks(X)` | the assets of X with nothing upstream (downstream) of them in X |
//! | `X and Y`, `X or Y`, `not X`, `( … )` | intersection, union, complement (of every asset), grouping |
//! | `X Y` | the union, as in dbt's `--select` |
//!
//! `+` applies to a term or to a parenthesized group written against it
//! (`+(group:raw or kind:command)`, `(a or b)+1`). `not` binds tighter than
//! `and`, which binds tighter than `or` and a plain space. The words `and`,
//! `or`, `not`, `roots` and `sinks` are operators: an asset with such a key
//! is written `key:and`. Attributes, operators and kinds are as Dagster
//! writes them (`group:`, `kind:`, `tag:`, `key:`, `roots()`, `sinks()`).

use std::collections::BTreeSet;
use std::fmt;

use cairn_core::{AssetKey, AssetKind};

use crate::AssetGraph;
use crate::graph::closest_key;

/// Which assets a key pattern names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPattern {
    /// One asset key.
    Exact(AssetKey),
    /// A glob such as `raw/*`: `*` matches within one `/` segment, `**`
    /// across segments.
    Glob(String),
}

/// A parsed selection expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectionExpr {
    /// Every asset (`*`, or an empty selection).
    All,
    /// `key` or `key:KEY`, exact or a glob.
    Key(KeyPattern),
    /// `group:NAME` (a glob allowed).
    Group(String),
    /// `kind:source|sql|command`.
    Kind(AssetKind),
    /// `tag:NAME` or `tag:NAME=VALUE`.
    Tag {
        /// The tag's name.
        name: String,
        /// The value it must have, if given.
        value: Option<String>,
    },
    /// `+X` / `2+X`: X and its upstream, all the way (`None`) or up to
    /// that many edges.
    Upstream(Box<SelectionExpr>, Option<usize>),
    /// `X+` / `X+2`: X and its downstream.
    Downstream(Box<SelectionExpr>, Option<usize>),
    /// `roots(X)`: the assets of X with no upstream asset in X.
    Roots(Box<SelectionExpr>),
    /// `sinks(X)`: the assets of X with no downstream asset in X.
    Sinks(Box<SelectionExpr>),
    /// `X and Y`.
    And(Box<SelectionExpr>, Box<SelectionExpr>),
    /// `X or Y`, and `X Y`.
    Or(Box<SelectionExpr>, Box<SelectionExpr>),
    /// `not X`: every asset but X's.
    Not(Box<SelectionExpr>),
}

/// A parsed selection (every asset when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    expr: SelectionExpr,
    text: String,
}

impl Default for Selection {
    fn default() -> Self {
        Self { expr: SelectionExpr::All, text: String::new() }
    }
}

/// Errors in a selection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// Text that does not follow the syntax.
    #[error(
        "invalid selection `{term}`: {reason} (use `key`, `+key`, `key+`, `2+key`, `raw/*`, `group:NAME`, \
         `kind:sql`, `tag:NAME=VALUE`, `and`, `or`, `not`, `( )`)"
    )]
    Syntax {
        /// The part of the selection at fault.
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
    /// A glob, group or tag that matches no asset.
    #[error("selection `{0}` matches no asset")]
    NoMatch(String),
}

impl Selection {
    /// Parses a selection (a CLI may pass several arguments: join them
    /// with spaces, which is a union).
    ///
    /// # Errors
    /// [`SelectionError::Syntax`] naming the part at fault.
    pub fn parse(text: &str) -> Result<Self, SelectionError> {
        let tokens = tokenize(text)?;
        let normalized = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if tokens.is_empty() {
            return Ok(Self { expr: SelectionExpr::All, text: normalized });
        }
        let mut parser = Parser { tokens, at: 0 };
        let expr = parser.union()?;
        if let Some(token) = parser.tokens.get(parser.at) {
            return Err(syntax(&token.text(), "unexpected here (a `)` without its `(`?)"));
        }
        Ok(Self { expr, text: normalized })
    }

    /// The parsed expression.
    pub fn expr(&self) -> &SelectionExpr {
        &self.expr
    }

    /// Whether the selection selects every asset by itself (empty or `*`).
    pub fn is_all(&self) -> bool {
        self.expr == SelectionExpr::All
    }

    /// The selected keys in `graph`.
    ///
    /// # Errors
    /// [`SelectionError::UnknownAsset`] (with the closest key) for a key
    /// that is not in the graph; [`SelectionError::NoMatch`] for a glob,
    /// group or tag matching no asset (an expression of them may select
    /// nothing: `group:raw and kind:sql`).
    pub fn resolve(&self, graph: &AssetGraph) -> Result<BTreeSet<AssetKey>, SelectionError> {
        evaluate(&self.expr, graph)
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn syntax(term: &str, reason: &str) -> SelectionError {
    SelectionError::Syntax { term: term.to_owned(), reason: reason.to_owned() }
}

/// A token: a word (quotes removed, `quoted` if it had any) or a
/// parenthesis; `joined` when no space separates it from the one before
/// (`2+(`, `)+1`, `roots(`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open { joined: bool },
    Close,
    Word { text: String, quoted: bool, joined: bool },
}

impl Token {
    fn text(&self) -> String {
        match self {
            Self::Open { .. } => "(".to_owned(),
            Self::Close => ")".to_owned(),
            Self::Word { text, .. } => text.clone(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, SelectionError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    let mut joined = false;
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            joined = false;
            continue;
        }
        if c == '(' || c == ')' {
            chars.next();
            tokens.push(if c == '(' { Token::Open { joined } } else { Token::Close });
            joined = true;
            continue;
        }
        let (mut word, mut quoted) = (String::new(), false);
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '(' || c == ')' {
                break;
            }
            chars.next();
            if c == '"' {
                quoted = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(c) => word.push(c),
                        None => return Err(syntax(&format!("\"{word}"), "a quote is not closed")),
                    }
                }
            } else {
                word.push(c);
            }
        }
        tokens.push(Token::Word { text: word, quoted, joined });
        joined = true;
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

/// `N+` or `+` (upstream) / `+N` or `+` (downstream): the depth.
fn depth_of(digits: &str, term: &str) -> Result<Option<usize>, SelectionError> {
    if digits.is_empty() {
        return Ok(None);
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(syntax(term, "`+` may only be followed or preceded by a number of levels"));
    }
    digits.parse().map(Some).map_err(|_| syntax(term, "depth is too large"))
}

impl Parser {
    fn peek_word(&self) -> Option<&str> {
        match self.tokens.get(self.at) {
            Some(Token::Word { text, quoted: false, .. }) => Some(text),
            _ => None,
        }
    }

    /// `X or Y`, `X Y`: the loosest.
    fn union(&mut self) -> Result<SelectionExpr, SelectionError> {
        let mut expr = self.intersection()?;
        loop {
            match self.tokens.get(self.at) {
                None | Some(Token::Close) => return Ok(expr),
                Some(_) if self.peek_word() == Some("or") => {
                    self.at += 1;
                    self.expect_operand("or")?;
                }
                Some(_) => {}
            }
            expr = SelectionExpr::Or(Box::new(expr), Box::new(self.intersection()?));
        }
    }

    fn expect_operand(&self, after: &str) -> Result<(), SelectionError> {
        match self.tokens.get(self.at) {
            None | Some(Token::Close) => Err(syntax(after, "needs a selection after it")),
            Some(_) => Ok(()),
        }
    }

    /// `X and Y`.
    fn intersection(&mut self) -> Result<SelectionExpr, SelectionError> {
        let mut expr = self.negation()?;
        while self.peek_word() == Some("and") {
            self.at += 1;
            self.expect_operand("and")?;
            expr = SelectionExpr::And(Box::new(expr), Box::new(self.negation()?));
        }
        Ok(expr)
    }

    /// `not X`.
    fn negation(&mut self) -> Result<SelectionExpr, SelectionError> {
        if self.peek_word() == Some("not") {
            self.at += 1;
            self.expect_operand("not")?;
            return Ok(SelectionExpr::Not(Box::new(self.negation()?)));
        }
        self.primary()
    }

    /// A term, a group `( … )`, a function `roots( … )`, each with an
    /// optional `+` against it.
    fn primary(&mut self) -> Result<SelectionExpr, SelectionError> {
        let token = self.tokens[self.at].clone();
        let next_is_joined_open = matches!(self.tokens.get(self.at + 1), Some(Token::Open { joined: true }));
        let (upstream, inner) = match &token {
            Token::Close => return Err(syntax(")", "a `)` without its `(`")),
            Token::Word { text, quoted: false, .. } if matches!(text.as_str(), "and" | "or") => {
                return Err(syntax(text, "needs a selection before it"));
            }
            Token::Word { text, quoted: false, .. } if next_is_joined_open => {
                self.at += 1;
                match text.as_str() {
                    "roots" | "sinks" => {
                        let inner = Box::new(self.group()?);
                        let expr =
                            if text == "roots" { SelectionExpr::Roots(inner) } else { SelectionExpr::Sinks(inner) };
                        (None, expr)
                    }
                    _ => match text.strip_suffix('+') {
                        Some(digits) => (Some(depth_of(digits, text)?), self.group()?),
                        None => {
                            return Err(syntax(text, "only `roots`, `sinks` and `+` may be written against a `(`"));
                        }
                    },
                }
            }
            Token::Open { .. } => (None, self.group()?),
            Token::Word { text, quoted, .. } => {
                self.at += 1;
                return term(text, *quoted);
            }
        };
        let mut expr = inner;
        if let Some(depth) = upstream {
            expr = SelectionExpr::Upstream(Box::new(expr), depth);
        }
        // `(…)+2`: a `+` word right after the `)`.
        if let Some(Token::Word { text, quoted: false, joined: true }) = self.tokens.get(self.at)
            && let Some(digits) = text.strip_prefix('+')
        {
            let depth = depth_of(digits, text)?;
            self.at += 1;
            expr = SelectionExpr::Downstream(Box::new(expr), depth);
        }
        Ok(expr)
    }

    /// `( expr )`, the `(` at the cursor.
    fn group(&mut self) -> Result<SelectionExpr, SelectionError> {
        debug_assert!(matches!(self.tokens.get(self.at), Some(Token::Open { .. })));
        self.at += 1;
        match self.tokens.get(self.at) {
            None => return Err(syntax("(", "a `(` is not closed")),
            Some(Token::Close) => return Err(syntax("()", "an empty group")),
            Some(_) => {}
        }
        let expr = self.union()?;
        match self.tokens.get(self.at) {
            Some(Token::Close) => {
                self.at += 1;
                Ok(expr)
            }
            _ => Err(syntax("(", "a `(` is not closed")),
        }
    }
}

/// One word: `[N]+` prefix, `+[N]` suffix, and an attribute or a key.
fn term(word: &str, quoted: bool) -> Result<SelectionExpr, SelectionError> {
    if quoted && !word.contains(':') {
        return atom(word, word);
    }
    let (upstream, rest) = match word.find('+') {
        Some(plus) if word[..plus].chars().all(|c| c.is_ascii_digit()) => {
            (Some(depth_of(&word[..plus], word)?), &word[plus + 1..])
        }
        _ => (None, word),
    };
    // A `+` in a quoted tag value is the value's: only a trailing `+N`
    // outside quotes would be a depth, which a quoted word cannot tell apart.
    let (body, downstream) = match rest.find('+').filter(|_| !quoted) {
        Some(plus) => (&rest[..plus], Some(depth_of(&rest[plus + 1..], word)?)),
        None => (rest, None),
    };
    if body.is_empty() {
        return Err(syntax(word, "no asset key"));
    }
    let mut expr = atom(body, word)?;
    if let Some(depth) = upstream {
        expr = SelectionExpr::Upstream(Box::new(expr), depth);
    }
    if let Some(depth) = downstream {
        expr = SelectionExpr::Downstream(Box::new(expr), depth);
    }
    Ok(expr)
}

/// The attributes, as Dagster names them.
const ATTRIBUTES: [&str; 4] = ["key", "group", "kind", "tag"];

fn atom(body: &str, word: &str) -> Result<SelectionExpr, SelectionError> {
    let Some((attribute, value)) = body.split_once(':') else {
        return key_pattern(body, word);
    };
    if value.is_empty() {
        return Err(syntax(word, &format!("`{attribute}:` needs a value")));
    }
    match attribute {
        "key" => key_pattern(value, word),
        "group" => Ok(SelectionExpr::Group(value.to_owned())),
        "kind" => AssetKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
            .map(SelectionExpr::Kind)
            .ok_or_else(|| syntax(word, &format!("no kind `{value}`: the kinds are `source`, `sql` and `command`"))),
        "tag" => {
            let (name, value) = match value.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (value, None),
            };
            Ok(SelectionExpr::Tag { name: name.to_owned(), value })
        }
        other => {
            let closest = ATTRIBUTES
                .iter()
                .max_by(|a, b| strsim::jaro_winkler(other, a).total_cmp(&strsim::jaro_winkler(other, b)));
            Err(syntax(
                word,
                &format!(
                    "no attribute `{other}:`, did you mean `{}:`? The attributes are `key:`, `group:`, `kind:` and `tag:`",
                    closest.unwrap_or(&"key")
                ),
            ))
        }
    }
}

fn key_pattern(text: &str, word: &str) -> Result<SelectionExpr, SelectionError> {
    if text == "*" || text == "**" {
        return Ok(SelectionExpr::All);
    }
    if text.contains('*') {
        let checked = text.replace("**", "x").replace('*', "x");
        AssetKey::new(&checked).map_err(|e| syntax(word, &e.to_string().replace(&checked, text)))?;
        return Ok(SelectionExpr::Key(KeyPattern::Glob(text.to_owned())));
    }
    Ok(SelectionExpr::Key(KeyPattern::Exact(AssetKey::new(text).map_err(|e| syntax(word, &e.to_string()))?)))
}

fn evaluate(expr: &SelectionExpr, graph: &AssetGraph) -> Result<BTreeSet<AssetKey>, SelectionError> {
    let matching = |label: String, keep: &dyn Fn(&cairn_core::AssetSpec) -> bool| {
        let keys: BTreeSet<AssetKey> = graph.specs().iter().filter(|spec| keep(spec)).map(|s| s.key.clone()).collect();
        if keys.is_empty() { Err(SelectionError::NoMatch(label)) } else { Ok(keys) }
    };
    Ok(match expr {
        SelectionExpr::All => graph.keys().cloned().collect(),
        SelectionExpr::Key(KeyPattern::Exact(key)) => {
            if !graph.contains(key) {
                return Err(SelectionError::UnknownAsset {
                    key: key.to_string(),
                    suggestion: closest_key(key.as_str(), graph.keys()),
                });
            }
            BTreeSet::from([key.clone()])
        }
        SelectionExpr::Key(KeyPattern::Glob(glob)) => {
            let pattern = glob_pattern(glob);
            matching(glob.clone(), &|spec| glob_matches(&pattern, spec.key.as_str()))?
        }
        SelectionExpr::Group(group) => {
            let pattern = glob_pattern(group);
            matching(format!("group:{group}"), &|spec| glob_matches(&pattern, &spec.group))?
        }
        SelectionExpr::Kind(kind) => graph.specs().iter().filter(|s| s.kind == *kind).map(|s| s.key.clone()).collect(),
        SelectionExpr::Tag { name, value } => {
            let label = match value {
                Some(value) => format!("tag:{name}={value}"),
                None => format!("tag:{name}"),
            };
            matching(label, &|spec| {
                spec.tags.get(name).is_some_and(|given| value.as_ref().is_none_or(|value| value == given))
            })?
        }
        SelectionExpr::Upstream(inner, depth) => grown(evaluate(inner, graph)?, |root| graph.ancestors(root, *depth)),
        SelectionExpr::Downstream(inner, depth) => {
            grown(evaluate(inner, graph)?, |root| graph.descendants(root, *depth))
        }
        SelectionExpr::Roots(inner) => without_neighbours(evaluate(inner, graph)?, |key| graph.upstream(key)),
        SelectionExpr::Sinks(inner) => without_neighbours(evaluate(inner, graph)?, |key| graph.downstream(key)),
        SelectionExpr::And(left, right) => {
            let left = evaluate(left, graph)?;
            left.intersection(&evaluate(right, graph)?).cloned().collect()
        }
        SelectionExpr::Or(left, right) => {
            let mut left = evaluate(left, graph)?;
            left.extend(evaluate(right, graph)?);
            left
        }
        SelectionExpr::Not(inner) => {
            let excluded = evaluate(inner, graph)?;
            graph.keys().filter(|key| !excluded.contains(*key)).cloned().collect()
        }
    })
}

/// `roots` and, for each, what `grow` reaches from it.
fn grown(roots: BTreeSet<AssetKey>, grow: impl Fn(&AssetKey) -> BTreeSet<AssetKey>) -> BTreeSet<AssetKey> {
    let mut selected = roots.clone();
    for root in &roots {
        selected.extend(grow(root));
    }
    selected
}

/// The keys of `within` none of whose `neighbours` are in `within`.
fn without_neighbours<'g>(
    within: BTreeSet<AssetKey>,
    neighbours: impl Fn(&AssetKey) -> Vec<&'g AssetKey>,
) -> BTreeSet<AssetKey> {
    within.iter().filter(|key| !neighbours(key).into_iter().any(|other| within.contains(other))).cloned().collect()
}

/// A glob of keys or groups; one that does not compile matches literally.
fn glob_pattern(glob: &str) -> Option<glob::Pattern> {
    glob::Pattern::new(glob).ok()
}

/// `*` within a `/` segment, `**` across them.
fn glob_matches(pattern: &Option<glob::Pattern>, text: &str) -> bool {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    pattern.as_ref().is_some_and(|pattern| pattern.matches_with(text, options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::spec;

    fn graph() -> AssetGraph {
        let mut specs = vec![
            spec("raw/flights", &[]),
            spec("raw/weather", &[]),
            spec("flights_daily", &["raw/flights"]),
            spec("flights_weather", &["flights_daily", "raw/weather"]),
            spec("delays", &["flights_weather"]),
            spec("exports/carrier_delays", &["delays"]),
        ];
        specs[4].kind = AssetKind::Command;
        specs[4].tags.insert("team".into(), "ops".into());
        specs[5].tags.insert("team".into(), "finance".into());
        specs[2].group = "core_tables".into();
        AssetGraph::build(specs).unwrap()
    }

    fn select(text: &str) -> Result<Vec<String>, SelectionError> {
        Ok(Selection::parse(text)?.resolve(&graph())?.into_iter().map(|k| k.to_string()).collect())
    }

    #[test]
    fn selects_with_upstream_and_downstream() {
        assert_eq!(select("flights_daily").unwrap(), ["flights_daily"]);
        assert_eq!(select("+flights_daily").unwrap(), ["flights_daily", "raw/flights"]);
        assert_eq!(
            select("flights_daily+").unwrap(),
            ["delays", "exports/carrier_delays", "flights_daily", "flights_weather"]
        );
        assert_eq!(select("flights_daily+1").unwrap(), ["flights_daily", "flights_weather"]);
        assert_eq!(select("1+flights_weather").unwrap(), ["flights_daily", "flights_weather", "raw/weather"]);
        assert_eq!(select("+delays").unwrap().len(), 5);
        assert_eq!(select("raw/* delays").unwrap(), ["delays", "raw/flights", "raw/weather"]);
        assert_eq!(select("").unwrap().len(), 6);
    }

    #[test]
    fn a_lone_star_is_every_asset_and_a_glob_star_stays_in_its_segment() {
        assert_eq!(select("*").unwrap().len(), 6);
        assert_eq!(select("key:*").unwrap().len(), 6);
        assert!(Selection::parse("*").unwrap().is_all());
        assert_eq!(select("*_daily").unwrap(), ["flights_daily"]);
        assert_eq!(select("**/*_delays").unwrap(), ["exports/carrier_delays"]);
        assert_eq!(select("exports/*").unwrap(), ["exports/carrier_delays"]);
    }

    #[test]
    fn attributes_select_by_key_group_kind_and_tag() {
        assert_eq!(select("key:\"raw/flights\"").unwrap(), ["raw/flights"]);
        assert_eq!(select("key:raw/flights+1").unwrap(), ["flights_daily", "raw/flights"]);
        assert_eq!(select("group:raw").unwrap(), ["raw/flights", "raw/weather"]);
        // A one-segment key is in the `default` group unless it names one.
        assert_eq!(select("group:default").unwrap(), ["delays", "flights_weather"]);
        assert_eq!(select("group:core_tables").unwrap(), ["flights_daily"]);
        assert_eq!(select("group:core_*").unwrap(), ["flights_daily"]);
        assert_eq!(select("kind:source").unwrap(), ["raw/flights", "raw/weather"]);
        assert_eq!(select("kind:command").unwrap(), ["delays"]);
        assert_eq!(select("tag:team").unwrap(), ["delays", "exports/carrier_delays"]);
        assert_eq!(select("tag:team=ops").unwrap(), ["delays"]);
        assert_eq!(select("+tag:team=finance").unwrap().len(), 6);
    }

    #[test]
    fn boolean_operators_follow_dagster_with_not_tightest_and_or_loosest() {
        assert_eq!(select("group:raw or kind:command").unwrap(), ["delays", "raw/flights", "raw/weather"]);
        assert_eq!(select("+delays and kind:sql").unwrap(), ["flights_daily", "flights_weather"]);
        assert_eq!(select("not kind:sql and not kind:source").unwrap(), ["delays"]);
        assert_eq!(select("not (kind:sql or kind:source)").unwrap(), ["delays"]);
        // `and` before `or`: (source) or (sql and daily).
        assert_eq!(
            select("kind:source or kind:sql and *_daily").unwrap(),
            ["flights_daily", "raw/flights", "raw/weather"]
        );
        assert_eq!(select("(kind:source or kind:sql) and *_daily").unwrap(), ["flights_daily"]);
        // A space is a union, as in dbt.
        assert_eq!(select("kind:command raw/flights").unwrap(), ["delays", "raw/flights"]);
        // An expression may select nothing; a term that matches nothing is an error.
        assert_eq!(select("kind:source and kind:sql").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn plus_applies_to_groups_and_functions_find_roots_and_sinks() {
        assert_eq!(select("+(delays or raw/weather)").unwrap().len(), 5);
        assert_eq!(select("1+(flights_weather)").unwrap(), ["flights_daily", "flights_weather", "raw/weather"]);
        assert_eq!(
            select("(flights_daily or raw/weather)+1").unwrap(),
            ["flights_daily", "flights_weather", "raw/weather"]
        );
        assert_eq!(select("roots(+delays)").unwrap(), ["raw/flights", "raw/weather"]);
        assert_eq!(select("sinks(*)").unwrap(), ["exports/carrier_delays"]);
        assert_eq!(select("sinks(flights_daily or flights_weather)").unwrap(), ["flights_weather"]);
    }

    #[test]
    fn rejects_unknown_keys_with_a_suggestion() {
        let error = select("flights_dialy+").unwrap_err();
        assert_eq!(error.to_string(), "no asset `flights_dialy` in the project; did you mean `flights_daily`?");
        assert_eq!(select("staging/*").unwrap_err(), SelectionError::NoMatch("staging/*".into()));
        assert_eq!(select("group:rwa").unwrap_err(), SelectionError::NoMatch("group:rwa".into()));
        assert_eq!(select("tag:team=hr").unwrap_err(), SelectionError::NoMatch("tag:team=hr".into()));
        for bad in
            ["a+b", "+", "../x", "(", "()", "a)", "and a", "a or", "not", "kind:view", "grop:raw", "x(a)", "key:\"a"]
        {
            assert!(matches!(select(bad).unwrap_err(), SelectionError::Syntax { .. }), "{bad}");
        }
        let error = select("grop:raw").unwrap_err().to_string();
        assert!(error.contains("did you mean `group:`?"), "{error}");
        let error = select("kind:view").unwrap_err().to_string();
        assert!(error.contains("the kinds are `source`, `sql` and `command`"), "{error}");
    }
}
