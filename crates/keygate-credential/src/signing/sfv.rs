//! The part of RFC 8941 (Structured Field Values) that signatures need: parsing a Dictionary (whose
//! members are items or inner lists, with parameters) and serializing inner lists and items back in
//! the canonical form RFC 9421 signs (`@signature-params`, component identifiers).
//!
//! It follows the RFC's parsing algorithm (section 4.2) step by step and refuses anything else; it never
//! panics on input and bounds nothing itself (the caller bounds the header's length).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// A bare item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BareItem {
    /// `42`, `-7` (at most 15 digits).
    Integer(i64),
    /// `1.5`, kept as its canonical text (at most 12 integer and 3 fractional digits).
    Decimal(String),
    /// `"text"` (printable ASCII).
    String(String),
    /// `token`.
    Token(String),
    /// `:base64:`.
    Bytes(Vec<u8>),
    /// `?1`, `?0`.
    Boolean(bool),
}

/// Parameters, in order, keys unique (a repeated key keeps its position and takes the last value).
pub type Parameters = Vec<(String, BareItem)>;

/// An item with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The value.
    pub bare: BareItem,
    /// Its parameters.
    pub params: Parameters,
}

/// A dictionary member's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A single item.
    Item(Item),
    /// An inner list and its parameters.
    InnerList(Vec<Item>, Parameters),
}

/// The text is not a structured field of the expected type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a structured field dictionary (RFC 8941)")]
pub struct SfvError;

type Parsed<T> = Result<T, SfvError>;

/// Parses a Dictionary field value (RFC 8941 section 4.2.2). A repeated key keeps its first position and
/// takes the last value.
pub fn parse_dictionary(text: &str) -> Parsed<Vec<(String, Member)>> {
    let mut p = Parser { s: text.trim_matches(' ').as_bytes(), i: 0 };
    let mut out: Vec<(String, Member)> = Vec::new();
    while !p.done() {
        let key = p.key()?;
        let member = if p.eat(b'=') {
            p.member()?
        } else {
            Member::Item(Item { bare: BareItem::Boolean(true), params: p.params()? })
        };
        insert(&mut out, key, member);
        p.skip_ows();
        if p.done() {
            return Ok(out);
        }
        if !p.eat(b',') {
            return Err(SfvError);
        }
        p.skip_ows();
        if p.done() {
            return Err(SfvError); // a trailing comma
        }
    }
    Ok(out)
}

fn insert<V>(list: &mut Vec<(String, V)>, key: String, value: V) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => list.push((key, value)),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn member(&mut self) -> Parsed<Member> {
        if self.eat(b'(') {
            let mut items = Vec::new();
            loop {
                self.skip_sp();
                if self.eat(b')') {
                    return Ok(Member::InnerList(items, self.params()?));
                }
                items.push(self.item()?);
                if !matches!(self.peek(), Some(b' ' | b')')) {
                    return Err(SfvError);
                }
            }
        }
        Ok(Member::Item(self.item()?))
    }

    fn item(&mut self) -> Parsed<Item> {
        let bare = self.bare()?;
        Ok(Item { bare, params: self.params()? })
    }

    fn params(&mut self) -> Parsed<Parameters> {
        let mut params = Vec::new();
        while self.eat(b';') {
            self.skip_sp();
            let key = self.key()?;
            let value = if self.eat(b'=') { self.bare()? } else { BareItem::Boolean(true) };
            insert(&mut params, key, value);
        }
        Ok(params)
    }

    fn key(&mut self) -> Parsed<String> {
        let start = self.i;
        match self.peek() {
            Some(b'a'..=b'z' | b'*') => self.i += 1,
            _ => return Err(SfvError),
        }
        while matches!(self.peek(), Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')) {
            self.i += 1;
        }
        Ok(self.text(start))
    }

    fn text(&self, start: usize) -> String {
        // Every byte accepted so far is ASCII.
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn bare(&mut self) -> Parsed<BareItem> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'"') => self.string(),
            Some(b':') => self.bytes(),
            Some(b'?') => {
                self.i += 1;
                if self.eat(b'1') {
                    Ok(BareItem::Boolean(true))
                } else if self.eat(b'0') {
                    Ok(BareItem::Boolean(false))
                } else {
                    Err(SfvError)
                }
            }
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'*') => {
                let start = self.i;
                self.i += 1;
                while self.peek().is_some_and(|c| is_tchar(c) || c == b':' || c == b'/') {
                    self.i += 1;
                }
                Ok(BareItem::Token(self.text(start)))
            }
            _ => Err(SfvError),
        }
    }

    fn number(&mut self) -> Parsed<BareItem> {
        let negative = self.eat(b'-');
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let int_digits = self.i - start;
        if int_digits == 0 {
            return Err(SfvError);
        }
        if !self.eat(b'.') {
            if int_digits > 15 {
                return Err(SfvError);
            }
            let magnitude: i64 = self.text(start).parse().map_err(|_| SfvError)?;
            return Ok(BareItem::Integer(if negative { -magnitude } else { magnitude }));
        }
        let frac_start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let frac_digits = self.i - frac_start;
        if int_digits > 12 || frac_digits == 0 || frac_digits > 3 {
            return Err(SfvError);
        }
        let int = String::from_utf8_lossy(&self.s[start..frac_start - 1]).trim_start_matches('0').to_owned();
        let frac = self.text(frac_start).trim_end_matches('0').to_owned();
        let sign = if negative { "-" } else { "" };
        let int = if int.is_empty() { "0".to_owned() } else { int };
        let frac = if frac.is_empty() { "0".to_owned() } else { frac };
        Ok(BareItem::Decimal(format!("{sign}{int}.{frac}")))
    }

    fn string(&mut self) -> Parsed<BareItem> {
        self.i += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(BareItem::String(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => out.push(char::from(c)),
                        _ => return Err(SfvError),
                    }
                }
                Some(c @ 0x20..=0x7e) => out.push(char::from(c)),
                // The end of the text, or a byte outside printable ASCII.
                _ => return Err(SfvError),
            }
            self.i += 1;
        }
    }

    fn bytes(&mut self) -> Parsed<BareItem> {
        self.i += 1;
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')) {
            self.i += 1;
        }
        let end = self.i;
        if !self.eat(b':') {
            return Err(SfvError);
        }
        STANDARD.decode(&self.s[start..end]).map(BareItem::Bytes).map_err(|_| SfvError)
    }
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// Appends the canonical serialization of a bare item (RFC 8941 section 4.1.3).
pub fn write_bare(out: &mut String, bare: &BareItem) {
    match bare {
        BareItem::Integer(n) => out.push_str(&n.to_string()),
        BareItem::Decimal(text) | BareItem::Token(text) => out.push_str(text),
        BareItem::String(text) => {
            out.push('"');
            for c in text.chars() {
                if matches!(c, '"' | '\\') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        BareItem::Bytes(bytes) => {
            out.push(':');
            out.push_str(&STANDARD.encode(bytes));
            out.push(':');
        }
        BareItem::Boolean(b) => out.push_str(if *b { "?1" } else { "?0" }),
    }
}

/// Appends `;key=value` for each parameter (a true boolean is the key alone).
pub fn write_params(out: &mut String, params: &Parameters) {
    for (key, value) in params {
        out.push(';');
        out.push_str(key);
        if *value != BareItem::Boolean(true) {
            out.push('=');
            write_bare(out, value);
        }
    }
}

/// Appends an item and its parameters.
pub fn write_item(out: &mut String, item: &Item) {
    write_bare(out, &item.bare);
    write_params(out, &item.params);
}

/// Appends an inner list and its parameters.
pub fn write_inner_list(out: &mut String, items: &[Item], params: &Parameters) {
    out.push('(');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        write_item(out, item);
    }
    out.push(')');
    write_params(out, params);
}
