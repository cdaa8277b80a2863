//! JSON values read leniently: a field of an unexpected type is read as
//! absent (and skipped without being kept) rather than failing the file, so
//! one odd record never costs the rest. Only broken JSON fails.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Skips a sequence or map whose content is not wanted.
pub(crate) fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

pub(crate) fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// The visitor methods that read any other JSON type as `$none`.
macro_rules! otherwise {
    ($none:expr; $($skip:ident),*) => {
        $(otherwise!(@one $skip, $none);)*
    };
    (@one bool, $none:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one i64, $none:expr) => {
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one u64, $none:expr) => {
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one f64, $none:expr) => {
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one str, $none:expr) => {
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one unit, $none:expr) => {
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> { Ok($none) }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one seq, $none:expr) => {
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            $crate::lenient::drain_seq(seq)?;
            Ok($none)
        }
    };
    (@one map, $none:expr) => {
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            $crate::lenient::drain_map(map)?;
            Ok($none)
        }
    };
}

pub(crate) use otherwise;

/// A string, or `None` for any other value.
#[derive(Debug, Default)]
pub(crate) struct Str(pub Option<String>);

impl<'de> Deserialize<'de> for Str {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Str, E> {
                Ok(Str(Some(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Str, E> {
                Ok(Str(Some(v)))
            }
            otherwise!(Str(None); bool, i64, u64, f64, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// An integer (or a number or string holding one), or `None`.
#[derive(Debug, Default)]
pub(crate) struct Int(pub Option<i64>);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(Some(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Int, E> {
                Ok(Int(i64::try_from(v).ok()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Int, E> {
                let ok = v.is_finite() && v.abs() < 9.0e15;
                Ok(Int(ok.then_some(v.trunc() as i64)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Int, E> {
                Ok(Int(v.trim().parse().ok()))
            }
            otherwise!(Int(None); bool, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// A boolean (or `"true"`/`"false"`, `0`/`1`), or `None`.
#[derive(Debug, Default)]
pub(crate) struct Bool(pub Option<bool>);

impl<'de> Deserialize<'de> for Bool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bool;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Bool, E> {
                Ok(Bool(Some(v)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Bool, E> {
                Ok(Bool(matches!(v, 0 | 1).then_some(v == 1)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Bool, E> {
                Ok(Bool(matches!(v, 0 | 1).then_some(v == 1)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Bool, E> {
                Ok(Bool(match v.trim() {
                    s if s.eq_ignore_ascii_case("true") => Some(true),
                    s if s.eq_ignore_ascii_case("false") => Some(false),
                    _ => None,
                }))
            }
            otherwise!(Bool(None); f64, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// A string, or the first string of a list of them, or `None`.
#[derive(Debug, Default)]
pub(crate) struct FirstStr(pub Option<String>);

impl<'de> Deserialize<'de> for FirstStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FirstStr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FirstStr, E> {
                Ok(FirstStr(Some(v.to_string())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FirstStr, A::Error> {
                let mut first = None;
                while let Some(Str(s)) = seq.next_element::<Str>()? {
                    if first.is_none() {
                        first = s;
                    }
                }
                Ok(FirstStr(first))
            }
            otherwise!(FirstStr(None); bool, i64, u64, f64, unit, map);
        }
        d.deserialize_any(V)
    }
}

/// An object read as `T`, or `None` for any other value.
#[derive(Debug)]
pub(crate) struct Object<T>(pub Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| Object(Some(t)))
            }
            otherwise!(Object(None); bool, i64, u64, f64, str, unit, seq);
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Whether any object of a list has a `name` holding "Google Ads" (Google's
/// `details`: `[{"name": "From Google Ads"}]`, worded in the archive's
/// language around the brand name).
#[derive(Debug, Default)]
pub(crate) struct FromGoogleAds(pub bool);

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Detail {
    name: Str,
}

impl<'de> Deserialize<'de> for FromGoogleAds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FromGoogleAds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of details")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FromGoogleAds, A::Error> {
                let mut ads = false;
                while let Some(Object(detail)) = seq.next_element::<Object<Detail>>()? {
                    ads |= detail
                        .and_then(|d| d.name.0)
                        .is_some_and(|n| n.contains("Google Ads"));
                }
                Ok(FromGoogleAds(ads))
            }
            otherwise!(FromGoogleAds(false); bool, i64, u64, f64, str, unit, map);
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct Item {
        a: Str,
        n: Int,
        b: Bool,
        f: FirstStr,
        d: FromGoogleAds,
    }

    fn item(json: &str) -> Item {
        serde_json::from_str::<Item>(json).unwrap()
    }

    #[test]
    fn an_unexpected_type_reads_as_absent_and_is_skipped() {
        let i = item(r#"{"a": {"x": [1, {"y": 2}]}, "n": [1], "b": "maybe", "f": 3, "d": {}}"#);
        assert!(i.a.0.is_none() && i.n.0.is_none() && i.b.0.is_none() && i.f.0.is_none());
        assert!(!i.d.0);
        let i = item(
            r#"{"a": "x", "n": "17", "b": "true", "f": [2, "YouTube", "Music"], "d": [1, {"name": "From Google Ads"}]}"#,
        );
        assert_eq!(i.a.0.as_deref(), Some("x"));
        assert_eq!(i.n.0, Some(17));
        assert_eq!(i.b.0, Some(true));
        assert_eq!(i.f.0.as_deref(), Some("YouTube"));
        assert!(i.d.0);
        assert_eq!(item(r#"{"n": 1.5e3}"#).n.0, Some(1500));
        assert_eq!(item(r#"{"n": 1e300}"#).n.0, None);
        assert_eq!(item(r#"{"n": 18446744073709551615}"#).n.0, None);
    }

    #[test]
    fn broken_json_still_fails() {
        assert!(serde_json::from_str::<Item>(r#"{"a": [1, }"#).is_err());
    }
}
