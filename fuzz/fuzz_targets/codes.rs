//! The identifier parsers: dossier codes, dossier keys and subjects, unit codes, agency ids and
//! procedure codes never panic, and what they accept prints to a text that parses back to the
//! same value.
#![no_main]

use std::fmt::Display;
use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use motcua_domain::catalogue::ProcedureCode;
use motcua_domain::code::DossierCode;
use motcua_domain::units::{AgencyId, UnitCode};
use motcua_log::DossierKey;

fn round_trip<T>(text: &str)
where
    T: FromStr + Display + PartialEq + std::fmt::Debug,
    T::Err: std::fmt::Debug,
{
    if let Ok(value) = text.parse::<T>() {
        let printed = value.to_string();
        match printed.parse::<T>() {
            Ok(again) => assert_eq!(again, value, "{text:?} printed as {printed:?}"),
            Err(e) => panic!("{text:?} parsed, but its printed form {printed:?} does not: {e:?}"),
        }
    }
}

fuzz_target!(|text: &str| {
    round_trip::<DossierCode>(text);
    round_trip::<DossierKey>(text);
    round_trip::<UnitCode>(text);
    round_trip::<AgencyId>(text);
    round_trip::<ProcedureCode>(text);
    if let Ok(key) = DossierKey::from_subject(text) {
        assert_eq!(DossierKey::from_subject(&key.subject()).ok(), Some(key));
    }
});
