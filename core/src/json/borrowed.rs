//! Typed, borrowed reading of a request body: sources deserialize their payload into structs of
//! these types (serde derive, unknown fields skipped) instead of building a `serde_json::Value`
//! tree, and read them with the same rules and error wording as [`super::Node`].
//!
//! - [`Val`]: a member read shallowly — a scalar kept (strings borrowed from the body when they
//!   have no escapes), an array or object skipped with only its kind kept;
//! - [`Obj`]: a member that should be an object of a known shape (anything else is kept as a
//!   [`Val`], so the type error is the source's to word, with its path);
//! - [`Arr`]: a member that should be an array; [`Dict`]: a free-form object (labels, tags),
//!   sorted by key with the last of repeated keys winning, as a `Value` map holds it;
//! - [`At`]: a JSON path built on the stack, written out only when an error needs it.
//!
//! Nothing here fails on a type: a member of the wrong type deserializes fine and the accessor
//! the source calls (`str`, `id`, `time`, `req`, `array`…) returns the same error, at the same
//! path, as the `Node` accessor of that name. So errors come out in the order the source checks
//! fields, as before. [`parse`] reads the body; only JSON syntax fails there, with the message of
//! [`super::parse_body`].
//!
//! What differs from a `Value` tree, on purpose: members the source does not read are skipped
//! without building anything, so their nesting depth and number ranges are not checked (they
//! are still checked to be JSON).

use super::parse_body;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// Parses `body` as a `T` borrowing from it. A syntax error is worded as [`parse_body`] words it
/// (`body: not valid JSON: …`, with line and column).
///
/// A body with a repeated member name is read as a `Value` reads it (the last one wins): derived
/// structs refuse repeated fields, so such a body is read again from its `Value` form, into
/// `canon` (the only case that copies).
pub fn parse<'a, T: Deserialize<'a>>(body: &'a [u8], canon: &'a mut String) -> Result<T> {
    // One UTF-8 check of the whole body (skipped members' strings are checked too, as a `Value`
    // parse checks them), then the faster `&str` reader.
    let Ok(text) = std::str::from_utf8(body) else {
        return Err(syntax_error(body));
    };
    if needs_full_parse(body) {
        // skipped members are not checked for depth or number range: let a `Value` parse judge
        parse_body(body)?;
    }
    match serde_json::from_str::<T>(text) {
        Ok(v) => Ok(v),
        Err(_) => {
            // syntax: the `Value` parser's own message; else a repeated field, which a `Value`
            // accepts (last wins): read its canonical form
            let doc = parse_body(body)?;
            *canon = doc.to_string();
            let canon: &'a str = canon;
            serde_json::from_str::<T>(canon)
                .map_err(|e| Error::invalid("body", format!("not valid JSON: {e}")))
        }
    }
}

/// Nesting up to this depth is read without a full parse (`serde_json` refuses 128 levels).
const SHALLOW_DEPTH: u32 = 100;

/// Whether `body` holds something only a full `Value` parse judges, in members a typed parse
/// skips: nesting deeper than [`SHALLOW_DEPTH`], or a number that may be out of range (one with
/// an exponent, or of more than 300 digits). One pass over the bytes outside strings.
fn needs_full_parse(body: &[u8]) -> bool {
    let mut depth = 0u32;
    let mut digits = 0u32;
    let mut in_number = false;
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        match c {
            b'"' => {
                in_number = false;
                digits = 0;
                i += 1;
                loop {
                    let rest = body.get(i..).unwrap_or_default();
                    match quote_or_backslash(rest) {
                        Some(p) if rest.get(p) == Some(&b'\\') => i += p + 2,
                        Some(p) => {
                            i += p;
                            break;
                        }
                        // unterminated: the parser says so
                        None => return false,
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > SHALLOW_DEPTH {
                    return true;
                }
                in_number = false;
                digits = 0;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                in_number = false;
                digits = 0;
            }
            b'0'..=b'9' => {
                in_number = true;
                digits += 1;
                if digits > 300 {
                    return true;
                }
            }
            b'-' | b'+' | b'.' => in_number = true,
            b'e' | b'E' if in_number => return true,
            _ => {
                in_number = false;
                digits = 0;
            }
        }
        i += 1;
    }
    false
}

/// Where the first `"` or `\\` of `bytes` is: eight bytes at a time (a string's content is most
/// of a body).
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const QUOTE: u64 = LO * b'"' as u64;
    const BACKSLASH: u64 = LO * b'\\' as u64;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        let (q, b) = (w ^ QUOTE, w ^ BACKSLASH);
        // a zero byte of q or b is a match; the lowest flagged byte is always a true one
        let hit = ((q.wrapping_sub(LO) & !q) | (b.wrapping_sub(LO) & !b)) & HI;
        if hit != 0 {
            return Some(at + (hit.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|p| at + p)
}

fn syntax_error(body: &[u8]) -> Error {
    match parse_body(body) {
        Err(e) => e,
        Ok(_) => Error::invalid("body", "not valid JSON: not UTF-8"),
    }
}

// ---- paths ------------------------------------------------------------------------------------

/// A JSON path, built on the stack as a parser descends and written out (as [`super::Node`]
/// writes its paths) only for an error.
#[derive(Debug, Clone, Copy)]
pub enum At<'p> {
    /// The root of the body (`$`).
    Root,
    /// A path written out already (a `Node`'s).
    Named(&'p str),
    /// A member `key` of `parent`.
    Key(&'p At<'p>, &'p str),
    /// Item `index` of the array at `parent`.
    Index(&'p At<'p>, usize),
}

impl<'p> At<'p> {
    /// The member `key` here.
    pub fn key(&'p self, key: &'p str) -> At<'p> {
        At::Key(self, key)
    }

    /// The item `index` here.
    pub fn index(&'p self, index: usize) -> At<'p> {
        At::Index(self, index)
    }

    /// An error at this path.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::invalid(self.to_string(), message)
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Root => f.write_str("$"),
            At::Named(p) => f.write_str(p),
            At::Key(At::Root, k) => f.write_str(k),
            At::Key(parent, k) => write!(f, "{parent}.{k}"),
            At::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

// ---- values -----------------------------------------------------------------------------------

/// A member read shallowly: a scalar, or the kind of an array or object (its content skipped).
/// A missing member is [`Val::Null`], as a `Node` treats both.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Val<'a> {
    /// `null`, or missing.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (as a `Value` holds it).
    Num(Number),
    /// A string, borrowed from the body when it has no escapes.
    Str(Cow<'a, str>),
    /// An array (skipped).
    Array,
    /// An object (skipped).
    Object,
}

const NULL: Val<'static> = Val::Null;
const OBJECT: Val<'static> = Val::Object;
const ARRAY: Val<'static> = Val::Array;

impl<'a> Val<'a> {
    fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "a boolean",
            Val::Num(_) => "a number",
            Val::Str(_) => "a string",
            Val::Array => "an array",
            Val::Object => "an object",
        }
    }

    /// A `Value`'s shallow form (strings borrowed).
    pub fn of(value: &'a serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.clone()),
            Value::String(s) => Val::Str(Cow::Borrowed(s)),
            Value::Array(_) => Val::Array,
            Value::Object(_) => Val::Object,
        }
    }

    /// Whether this is present and not null.
    pub fn is_some(&self) -> bool {
        !matches!(self, Val::Null)
    }

    /// This, if present and not null (`Node::get`).
    pub fn get(&self) -> Option<&Self> {
        self.is_some().then_some(self)
    }

    /// This, which must be present and not null (`Node::req`): else `missing` at `at`.
    pub fn req(&self, at: &At<'_>) -> Result<&Self> {
        self.get().ok_or_else(|| at.error("missing"))
    }

    /// This as a string (`Node::str`).
    pub fn str(&self, at: &At<'_>) -> Result<&str> {
        match self {
            Val::Str(s) => Ok(s),
            other => Err(at.error(format!("expected a string, got {}", other.type_name()))),
        }
    }

    /// This as a string, if present and not null (`Node::opt_str`).
    pub fn opt_str(&self, at: &At<'_>) -> Result<Option<&str>> {
        self.get().map(|v| v.str(at)).transpose()
    }

    /// This as a non-empty trimmed string, if present, not null and not blank
    /// (`Node::opt_text`).
    pub fn opt_text(&self, at: &At<'_>) -> Result<Option<String>> {
        Ok(self
            .opt_str(at)?
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string))
    }

    /// This as an id: a string, or an integer written as a number (`Node::id`).
    pub fn id(&self, at: &At<'_>) -> Result<String> {
        match self {
            Val::Str(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            Val::Str(_) => Err(at.error("expected an id, got an empty string")),
            Val::Num(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
            other => Err(at.error(format!(
                "expected an id (string or integer), got {}",
                other.type_name()
            ))),
        }
    }

    /// This as an id, if present and not null.
    pub fn opt_id(&self, at: &At<'_>) -> Result<Option<String>> {
        self.get().map(|v| v.id(at)).transpose()
    }

    /// This as a time: an RFC 3339 string, or unix seconds (`Node::time`).
    pub fn time(&self, at: &At<'_>) -> Result<DateTime<Utc>> {
        match self {
            Val::Str(s) => DateTime::parse_from_rfc3339(s.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| at.error(format!("not an RFC 3339 time: {s:?} ({e})"))),
            Val::Num(n) => {
                let millis = n
                    .as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| (f * 1000.0).round())
                    .filter(|m| m.abs() < 8.0e15)
                    .ok_or_else(|| at.error("unix time out of range"))?;
                DateTime::from_timestamp_millis(millis as i64)
                    .ok_or_else(|| at.error("unix time out of range"))
            }
            other => Err(at.error(format!(
                "expected a time (RFC 3339 string or unix seconds), got {}",
                other.type_name()
            ))),
        }
    }

    /// This as a time, if present and not null (`Node::opt_time`).
    pub fn opt_time(&self, at: &At<'_>) -> Result<Option<DateTime<Utc>>> {
        self.get().map(|v| v.time(at)).transpose()
    }

    /// This as a tag value: strings as they are, numbers and booleans written out
    /// (`Node::scalar_text`).
    pub fn scalar_text(&self, at: &At<'_>) -> Result<String> {
        match self {
            Val::Str(s) => Ok(s.to_string()),
            Val::Num(n) => Ok(n.to_string()),
            Val::Bool(b) => Ok(b.to_string()),
            other => Err(at.error(format!(
                "expected a string, number or boolean, got {}",
                other.type_name()
            ))),
        }
    }

    /// [`Val::scalar_text`], taking the string without a copy when it is owned already.
    pub fn into_scalar_text(self, at: &At<'_>) -> Result<String> {
        match self {
            Val::Str(s) => Ok(s.into_owned()),
            other => other.scalar_text(at),
        }
    }

    /// Whether this is a string, number or boolean.
    pub fn is_scalar(&self) -> bool {
        matches!(self, Val::Str(_) | Val::Num(_) | Val::Bool(_))
    }

    /// This as an unsigned integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Val::Num(n) => n.as_u64(),
            _ => None,
        }
    }
}

/// A member that should be an object read as `T`; anything else is kept as a [`Val`].
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Obj<'a, T> {
    /// `null`, or missing.
    #[default]
    Null,
    /// An object.
    Obj(T),
    /// Something else.
    Other(Val<'a>),
}

impl<'a, T> Obj<'a, T> {
    /// Whether this is present and not null.
    pub fn is_some(&self) -> bool {
        !matches!(self, Obj::Null)
    }

    /// The object, if this is one (what a `Node`'s members are looked up in).
    pub fn fields(&self) -> Option<&T> {
        match self {
            Obj::Obj(t) => Some(t),
            _ => None,
        }
    }

    /// This as a shallow value (an object's content skipped).
    pub fn val(&self) -> &Val<'a> {
        match self {
            Obj::Null => &NULL,
            Obj::Obj(_) => &OBJECT,
            Obj::Other(v) => v,
        }
    }

    /// The object, which must be present (`Node::req` then `Node::expect_object`).
    pub fn req(&self, at: &At<'_>) -> Result<&T> {
        match self {
            Obj::Null => Err(at.error("missing")),
            other => other.expect(at),
        }
    }

    /// The object (`Node::expect_object`: null is "expected an object, got null").
    pub fn expect(&self, at: &At<'_>) -> Result<&T> {
        match self {
            Obj::Obj(t) => Ok(t),
            other => Err(at.error(format!(
                "expected an object, got {}",
                other.val().type_name()
            ))),
        }
    }
}

/// A member that should be an array of `T`; anything else is kept as a [`Val`].
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Arr<'a, T> {
    /// `null`, or missing.
    #[default]
    Null,
    /// An array.
    Arr(Vec<T>),
    /// Something else.
    Other(Val<'a>),
}

impl<'a, T> Arr<'a, T> {
    /// Whether this is present and not null.
    pub fn is_some(&self) -> bool {
        !matches!(self, Arr::Null)
    }

    /// This as a shallow value.
    pub fn val(&self) -> &Val<'a> {
        match self {
            Arr::Null => &NULL,
            Arr::Arr(_) => &ARRAY,
            Arr::Other(v) => v,
        }
    }

    /// The items (`Node::array`).
    pub fn array(&self, at: &At<'_>) -> Result<&[T]> {
        match self {
            Arr::Arr(items) => Ok(items),
            other => Err(at.error(format!(
                "expected an array, got {}",
                other.val().type_name()
            ))),
        }
    }

    /// The items, which must be present (`Node::req` then `Node::array`).
    pub fn req(&self, at: &At<'_>) -> Result<&[T]> {
        match self {
            Arr::Null => Err(at.error("missing")),
            other => other.array(at),
        }
    }

    /// The items, if this is present, not null and an array.
    pub fn items(&self) -> Option<&[T]> {
        match self {
            Arr::Arr(items) => Some(items),
            _ => None,
        }
    }
}

/// A free-form object (labels, annotations, tags): its members by key, sorted, the last of
/// repeated keys winning — as a `Value` map holds them; anything else is kept as a [`Val`].
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Dict<'a, V> {
    /// `null`, or missing.
    #[default]
    Null,
    /// An object.
    Map(BTreeMap<Cow<'a, str>, V>),
    /// Something else.
    Other(Val<'a>),
}

impl<'a, V> Dict<'a, V> {
    /// Whether this is present and not null.
    pub fn is_some(&self) -> bool {
        !matches!(self, Dict::Null)
    }

    /// The members (`Node::expect_object`).
    pub fn expect(&self, at: &At<'_>) -> Result<&BTreeMap<Cow<'a, str>, V>> {
        match self {
            Dict::Map(m) => Ok(m),
            Dict::Null => Err(at.error("expected an object, got null")),
            Dict::Other(v) => Err(at.error(format!("expected an object, got {}", v.type_name()))),
        }
    }

    /// The members, taken (`Node::expect_object`).
    pub fn into_map(self, at: &At<'_>) -> Result<BTreeMap<Cow<'a, str>, V>> {
        match self {
            Dict::Map(m) => Ok(m),
            other => other.expect(at).map(|_| BTreeMap::new()),
        }
    }
}

// ---- deserialization --------------------------------------------------------------------------

/// The visits of a scalar, shared by every type here.
struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Self::Value, E> {
        Ok(Val::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(Val::Num(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(Val::Num(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
        // as `Value` reads it
        Ok(Number::from_f64(v).map_or(Val::Null, Val::Num))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Val::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Val::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Self::Value, E> {
        Ok(Val::Str(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Val::Null)
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Val::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Val::Array)
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Val::Object)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Val<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}

/// The scalar visits of a wrapper visitor, as [`ValVisitor`]'s wrapped in `$wrap`.
macro_rules! scalar_visits {
    ($wrap:path) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Self::Value, E> {
            ValVisitor.visit_bool(v).map($wrap)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
            ValVisitor.visit_i64(v).map($wrap)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
            ValVisitor.visit_u64(v).map($wrap)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
            ValVisitor.visit_f64(v).map($wrap)
        }
        fn visit_borrowed_str<E: de::Error>(
            self,
            v: &'de str,
        ) -> std::result::Result<Self::Value, E> {
            ValVisitor.visit_borrowed_str(v).map($wrap)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
            ValVisitor.visit_str(v).map($wrap)
        }
        fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Self::Value, E> {
            ValVisitor.visit_string(v).map($wrap)
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_some<D: Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    };
}

struct ObjVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<'de, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalar_visits!(Obj::Other);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        ValVisitor.visit_seq(seq).map(Obj::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Obj::Obj)
    }
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Obj<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(std::marker::PhantomData))
    }
}

struct ArrVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ArrVisitor<T> {
    type Value = Arr<'de, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalar_visits!(Arr::Other);

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(item) = seq.next_element::<T>()? {
            items.push(item);
        }
        Ok(Arr::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        ValVisitor.visit_map(map).map(Arr::Other)
    }
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Arr<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(ArrVisitor(std::marker::PhantomData))
    }
}

/// A member name, borrowed from the body when it has no escapes.
pub struct Key<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

struct DictVisitor<V>(std::marker::PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for DictVisitor<V> {
    type Value = Dict<'de, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalar_visits!(Dict::Other);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        ValVisitor.visit_seq(seq).map(Dict::Other)
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some((Key(k), v)) = map.next_entry::<Key<'de>, V>()? {
            out.insert(k, v);
        }
        Ok(Dict::Map(out))
    }
}

impl<'de: 'a, 'a, V: Deserialize<'de>> Deserialize<'de> for Dict<'a, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(DictVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Node;
    use serde_json::Value;

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct Doc<'a> {
        #[serde(borrow)]
        a: Val<'a>,
        #[serde(borrow)]
        o: Obj<'a, Inner<'a>>,
        #[serde(borrow)]
        l: Arr<'a, Val<'a>>,
        #[serde(borrow)]
        m: Dict<'a, Val<'a>>,
    }

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct Inner<'a> {
        #[serde(borrow)]
        b: Val<'a>,
    }

    fn doc<'a>(text: &'a str, canon: &'a mut String) -> Doc<'a> {
        parse::<Doc<'_>>(text.as_bytes(), canon).unwrap_or_default()
    }

    #[test]
    fn the_accessors_word_errors_as_node_does() {
        let cases = [
            r#"{"a": 1, "o": [1], "l": {"x": 1}, "m": "s"}"#,
            r#"{"a": [1], "o": "x", "l": "x", "m": [1]}"#,
            r#"{"a": {"x": [1]}, "o": {"b": {"c": 1}}, "l": [null, true], "m": {"k": [1]}}"#,
            r#"{"a": " ", "o": {"b": "2026-13-01"}, "l": [1.5, -2], "m": {"k": 1, "k": null}}"#,
            r#"{"a": "x", "o": null, "l": null, "m": null}"#,
            r#"{"a": 1e3, "o": {"b": 12345678901234567890}, "l": ["a\nb"], "m": {"z": "1", "a\u00e9": 2}}"#,
        ];
        for text in cases {
            let mut canon = String::new();
            let d = doc(text, &mut canon);
            let v: Value = serde_json::from_str(text).unwrap_or_default();
            let root = Node::root(&v);
            let err = |r: Result<String>| r.map_err(|e| e.to_string());
            let at = At::Root;
            let a = at.key("a");
            let node_a = root.get("a");
            assert_eq!(
                err(d.a.str(&a).map(str::to_string)),
                err(root.req("a").and_then(|n| n.str().map(str::to_string))),
                "{text}"
            );
            assert_eq!(
                err(d.a.id(&a)),
                err(root.req("a").and_then(|n| n.id())),
                "{text}"
            );
            assert_eq!(
                err(d.a.scalar_text(&a)),
                err(root.req("a").and_then(|n| n.scalar_text())),
                "{text}"
            );
            assert_eq!(d.a.get().is_some(), node_a.is_some(), "{text}");
            let o = at.key("o");
            let b = o.key("b");
            assert_eq!(
                err(d
                    .o
                    .req(&o)
                    .and_then(|i| i.b.time(&b))
                    .map(|t| t.to_string())),
                err(root
                    .req("o")
                    .and_then(|n| n.expect_object().map(|_| n))
                    .and_then(|n| n.req("b"))
                    .and_then(|n| n.time())
                    .map(|t| t.to_string())),
                "{text}"
            );
            let l = at.key("l");
            let list = d.l.req(&l).and_then(|items| {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v.scalar_text(&l.index(i)))
                    .collect::<Result<Vec<_>>>()
            });
            let want = root.req("l").and_then(|n| {
                n.array()?
                    .iter()
                    .map(Node::scalar_text)
                    .collect::<Result<Vec<_>>>()
            });
            assert_eq!(
                list.map_err(|e| e.to_string()),
                want.map_err(|e| e.to_string()),
                "{text}"
            );
            let m = at.key("m");
            let got = d.m.expect(&m).and_then(|map| {
                map.iter()
                    .filter(|(_, v)| v.is_some())
                    .map(|(k, v)| Ok((k.to_string(), v.scalar_text(&m.key(k))?)))
                    .collect::<Result<Vec<_>>>()
            });
            let want = match root.get("m") {
                None => Err(Error::invalid("m", "expected an object, got null")),
                Some(n) => n.expect_object().and_then(|map| {
                    map.iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| {
                            Ok((
                                k.clone(),
                                Node::at(v, format!("{}.{k}", n.path())).scalar_text()?,
                            ))
                        })
                        .collect::<Result<Vec<_>>>()
                }),
            };
            assert_eq!(
                got.map_err(|e| e.to_string()),
                want.map_err(|e| e.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn syntax_errors_and_repeated_members_read_as_a_value_reads_them() {
        let mut canon = String::new();
        let bad = parse::<Doc<'_>>(b"{\"a\": 1,", &mut canon).map(|_| ());
        assert_eq!(
            bad.map_err(|e| e.to_string()),
            parse_body(b"{\"a\": 1,")
                .map(|_| ())
                .map_err(|e| e.to_string())
        );
        let mut canon = String::new();
        let bad = parse::<Doc<'_>>(b"{\"a\": \"\xff\"}", &mut canon).map(|_| ());
        assert_eq!(
            bad.map_err(|e| e.to_string()),
            parse_body(b"{\"a\": \"\xff\"}")
                .map(|_| ())
                .map_err(|e| e.to_string())
        );
        let mut canon = String::new();
        let d = doc(
            r#"{"a": 1, "o": {"b": 1, "b": "two"}, "a": "last"}"#,
            &mut canon,
        );
        assert_eq!(d.a, Val::Str("last".into()));
        assert_eq!(
            d.o.fields().map(|i| i.b.clone()),
            Some(Val::Str("two".into()))
        );
        for (text, deep) in [
            (r#"{"a": [[1]], "b": "[[[[e1", "c": true, "d": 1.5}"#, false),
            (r#"{"n": 1e400}"#, true),
            (r#"{"n": -2.5E3}"#, true),
            (r#"{"s": "\"e1", "n": [1]}"#, false),
        ] {
            assert_eq!(needs_full_parse(text.as_bytes()), deep, "{text}");
        }
        for (text, want) in [
            ("", None),
            ("abc", None),
            ("abcdefghij\"", Some(10)),
            ("abcdefgh\\ij\"", Some(8)),
            ("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\"", Some(14)),
            ("a\"bcdefgh\"", Some(1)),
        ] {
            assert_eq!(quote_or_backslash(text.as_bytes()), want, "{text}");
        }
        // every position, next to bytes one off from the two (borrows in the word trick)
        for fill in [
            0x00u8, 0x01, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff,
        ] {
            for len in 0..20 {
                let mut buf = vec![fill; len];
                assert_eq!(quote_or_backslash(&buf), None);
                for pos in 0..len {
                    for c in [b'"', b'\\'] {
                        buf.fill(fill);
                        buf[pos] = c;
                        if pos + 1 < len {
                            buf[pos + 1] = b'"';
                        }
                        assert_eq!(quote_or_backslash(&buf), Some(pos), "{buf:?}");
                    }
                }
            }
        }
        let deep = format!("{{\"x\": {}{}}}", "[".repeat(101), "]".repeat(101));
        assert!(needs_full_parse(deep.as_bytes()));
        let mut canon = String::new();
        let bad = parse::<Doc<'_>>(br#"{"a": 1, "z": [1e400]}"#, &mut canon).map(|_| ());
        assert!(bad.is_err_and(|e| e.to_string().contains("not valid JSON")));
        let at = At::Root;
        let inner = at.key("o");
        assert_eq!(inner.index(3).key("x").to_string(), "o[3].x");
        assert_eq!(at.index(0).to_string(), "$[0]");
    }
}
