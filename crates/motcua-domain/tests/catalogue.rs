//! The procedure catalogue: the shipped data, version selection, and every rejection of
//! `Catalogue::from_csv` with its line.

use std::sync::OnceLock;

use jiff::civil::{Date, date};
use motcua_domain::catalogue::{
    COLUMNS, Catalogue, CatalogueErrorKind, CatalogueRef, Channel, Flow, LiaisonRoute,
    LiaisonRouteError, OnlineLevel, ProcedureCode, ProcedureLevel, Provenance, VersionRuleError,
};
use motcua_domain::units::HierarchyId;

const TWO: &str = HierarchyId::TWO_LEVEL_2025_07;
const THREE: &str = HierarchyId::THREE_LEVEL_2025_03;

fn code(s: &str) -> ProcedureCode {
    s.parse().expect("a valid code in the test")
}

/// The shipped catalogue, parsed once for all tests.
fn embedded() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(Catalogue::embedded)
}

fn h(id: &str) -> HierarchyId {
    HierarchyId(id.to_owned())
}

// ---------------------------------------------------------------- the shipped catalogue

#[test]
fn embedded_catalogue_parses() {
    let catalogue = Catalogue::from_csv(include_str!("../data/procedures.csv"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalogue.len(), Catalogue::embedded().len());
}

#[test]
fn embedded_catalogue_has_at_least_30_procedures_on_three_levels() {
    let catalogue = embedded();
    assert!(
        catalogue.codes().count() >= 30,
        "{}",
        catalogue.codes().count()
    );
    let levels: Vec<ProcedureLevel> = catalogue.iter().map(|v| v.level).collect();
    for level in [
        ProcedureLevel::Commune,
        ProcedureLevel::District,
        ProcedureLevel::Province,
    ] {
        assert!(levels.contains(&level), "no {level} procedure");
    }
}

#[test]
fn embedded_catalogue_has_the_34_sample_procedures_in_the_2_level_era() {
    let catalogue = embedded();
    let sample = include_str!("../data/procedures-2025-sample.csv");
    let mut reader = csv::Reader::from_reader(sample.as_bytes());
    let mut n = 0;
    for row in reader.records() {
        let row = row.expect("the sample is CSV");
        let v = catalogue
            .get(&code(&row[0]), date(2025, 7, 1), &h(TWO))
            .unwrap_or_else(|| panic!("{} missing", &row[0]));
        assert_eq!(v.name, &row[1]);
        assert_eq!(v.field, &row[2]);
        assert_eq!(v.level.as_str(), &row[3]);
        assert_eq!(v.handling_agency_kind, &row[4]);
        assert_eq!(
            v.fee_vnd.map(|f| f.to_string()).unwrap_or_default(),
            &row[8]
        );
        assert_eq!(v.fee_note, &row[9]);
        assert_eq!(v.flow == Flow::Liaison, &row[11] == "yes");
        assert_eq!(v.source, &row[12]);
        assert_eq!(v.provenance, Provenance::NationalDb);
        n += 1;
    }
    assert_eq!(n, 34);
}

#[test]
fn level_counts_per_hierarchy() {
    let catalogue = embedded();
    let two = catalogue.count_by_level(&h(TWO));
    assert_eq!(two.get(&ProcedureLevel::Commune), Some(&20));
    assert_eq!(two.get(&ProcedureLevel::Province), Some(&14));
    assert_eq!(two.get(&ProcedureLevel::Ministry), Some(&1));
    assert_eq!(two.get(&ProcedureLevel::District), None);
    let three = catalogue.count_by_level(&h(THREE));
    assert_eq!(three.get(&ProcedureLevel::Commune), Some(&2));
    assert_eq!(three.get(&ProcedureLevel::District), Some(&5));
    assert_eq!(three.get(&ProcedureLevel::Province), Some(&2));
}

#[test]
fn every_liaison_route_sums_to_100_and_belongs_to_a_liaison() {
    let catalogue = embedded();
    let mut routes = 0;
    for v in catalogue {
        let route = &v.liaison_route;
        if !route.is_empty() {
            routes += 1;
            let sum: u32 = route
                .steps()
                .iter()
                .map(|s| u32::from(s.share_percent))
                .sum();
            assert_eq!(sum, 100, "{}", v.reference());
            assert_eq!(v.flow, Flow::Liaison, "{}", v.reference());
        }
    }
    assert!(routes >= 1, "no liaison route at all");
}

#[test]
fn the_3_level_land_procedure_goes_commune_then_district() {
    let v = embedded()
        .get(&code("1.013978"), date(2025, 6, 30), &h(THREE))
        .expect("3-level land registration");
    assert_eq!(v.provenance, Provenance::Illustrative);
    let route = &v.liaison_route;
    let levels: Vec<ProcedureLevel> = route.steps().iter().map(|s| s.level).collect();
    assert_eq!(levels, [ProcedureLevel::Commune, ProcedureLevel::District]);
}

#[test]
fn district_procedures_exist_only_before_the_reform() {
    for v in embedded() {
        if v.level == ProcedureLevel::District {
            assert_eq!(v.hierarchy.as_str(), THREE, "{}", v.reference());
            assert!(v.valid_to.is_some_and(|to| to <= date(2025, 6, 30)));
        }
    }
}

#[test]
fn online_and_direct_time_limits_differ_where_the_source_says_so() {
    let v = embedded()
        .get(&code("1.013225"), date(2025, 7, 1), &h(TWO))
        .expect("construction permit");
    assert_eq!(
        v.time_limit(Channel::Direct)
            .map(|t| t.to_string())
            .as_deref(),
        Some("15 calendar_days")
    );
    assert_eq!(
        v.time_limit(Channel::Online)
            .map(|t| t.to_string())
            .as_deref(),
        Some("20 calendar_days")
    );
}

#[test]
fn a_channel_offered_without_a_stated_time_is_told_apart_from_one_not_offered() {
    // Certification of transactions: offered on three channels, no time in the source.
    let transaction = embedded()
        .get(&code("2.001035"), date(2025, 7, 1), &h(TWO))
        .expect("certification of a transaction");
    assert!(transaction.offers(Channel::Direct));
    assert_eq!(transaction.time_limit(Channel::Direct), None);
    assert!(!transaction.time_verified);
    // Certified copy: direct only; same day under Decree 23/2015, marked unverified.
    let certified_copy = embedded()
        .get(&code("2.000815"), date(2025, 7, 1), &h(TWO))
        .expect("certified copy");
    assert!(certified_copy.offers(Channel::Direct));
    assert_eq!(
        certified_copy
            .time_limit(Channel::Direct)
            .map(|t| t.to_string())
            .as_deref(),
        Some("same_day")
    );
    assert!(!certified_copy.offers(Channel::Online));
    assert_eq!(certified_copy.online_level, Some(OnlineLevel::NotOnline));
    assert!(!certified_copy.time_verified);
}

#[test]
fn bare_civil_status_numbers_are_read_as_same_day_and_marked_unverified() {
    let birth = embedded()
        .get(&code("1.001193"), date(2025, 7, 1), &h(TWO))
        .expect("birth registration");
    assert_eq!(
        birth
            .time_limit(Channel::Online)
            .map(|t| t.to_string())
            .as_deref(),
        Some("same_day")
    );
    assert!(!birth.time_verified);
    assert_eq!(birth.flow, Flow::OnTheSpot);
}

#[test]
fn illustrative_rows_are_never_verified() {
    for v in embedded() {
        if v.provenance == Provenance::Illustrative {
            assert!(!v.time_verified, "{}", v.reference());
        }
    }
}

#[test]
fn fields_have_one_name_per_code() {
    let fields = embedded().fields();
    assert_eq!(
        fields
            .iter()
            .find(|(c, _)| c.as_str() == "HO_TICH")
            .map(|(_, n)| *n),
        Some("Hộ tịch")
    );
    assert!(fields.len() >= 10, "{fields:?}");
}

#[test]
fn embedded_text_is_nfc_vietnamese_without_combining_marks() {
    // Vietnamese in NFC is all precomposed letters; a combining mark means decomposed text.
    let text = include_str!("../data/procedures.csv");
    let combining = text
        .char_indices()
        .find(|(_, c)| matches!(u32::from(*c), 0x0300..=0x036F));
    assert_eq!(combining, None);
}

#[test]
fn published_versions_match_the_lock() {
    let lock = include_str!("../data/procedures-published.lock");
    let advice = || {
        format!(
            "A published version is immutable: add a new version instead of editing it.\n\
             When adding versions, add their lines from this lock:\n{}",
            embedded().lock()
        )
    };
    if let Err(e) = embedded().check_lock(lock) {
        panic!("{e}\n{}", advice());
    }
    let locked = lock
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(
        locked,
        embedded().len(),
        "not every version is locked\n{}",
        advice()
    );
}

#[test]
fn canonical_csv_reads_back_to_the_same_catalogue() {
    let catalogue = embedded();
    let again = Catalogue::from_csv(&catalogue.to_csv()).unwrap_or_else(|e| panic!("{e}"));
    assert!(catalogue.iter().eq(again.iter()));
    again
        .ensure_extends(catalogue)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn hierarchy_spans_agree_with_the_unit_lists() {
    let registry = motcua_domain::units::UnitRegistry::official();
    let three = registry.graph(THREE).expect("3-level list");
    let two = registry.graph(TWO).expect("2-level list");
    for v in embedded() {
        let graph = if v.hierarchy.as_str() == THREE {
            three
        } else {
            two
        };
        assert!(graph.in_force_on(v.valid_from), "{}", v.reference());
        if let Some(to) = v.valid_to {
            assert!(graph.in_force_on(to), "{}", v.reference());
        }
    }
}

// ---------------------------------------------------------------- version selection

#[test]
fn version_in_force_switches_at_the_reform() {
    let catalogue = embedded();
    let household = code("1.001612");
    let before = catalogue
        .get(&household, date(2025, 6, 30), &h(THREE))
        .expect("3-level version on 30 June");
    assert_eq!(before.level, ProcedureLevel::District);
    assert_eq!(catalogue.get(&household, date(2025, 7, 1), &h(THREE)), None);
    let after = catalogue
        .get(&household, date(2025, 7, 1), &h(TWO))
        .expect("2-level version on 1 July");
    assert_eq!(after.level, ProcedureLevel::Commune);
    assert_eq!(catalogue.get(&household, date(2025, 6, 30), &h(TWO)), None);
    assert!(before.version < after.version);
    assert_eq!(
        catalogue.resolve(&CatalogueRef {
            code: household,
            version: before.version
        }),
        Some(before)
    );
    assert_eq!(
        catalogue.get_version(&household, after.version),
        Some(after)
    );
    assert_eq!(catalogue.get_version(&household, 99), None);
    assert_eq!(
        catalogue
            .versions_of(&household)
            .iter()
            .map(|v| v.version)
            .collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn unknown_codes_and_dates_before_the_catalogue_find_nothing() {
    let catalogue = embedded();
    assert_eq!(
        catalogue.get(&code("9.999999"), date(2025, 7, 1), &h(TWO)),
        None
    );
    assert_eq!(
        catalogue.get(&code("1.001612"), date(2025, 2, 28), &h(THREE)),
        None
    );
    assert_eq!(
        catalogue.get(&code("1.001612"), date(2025, 7, 1), &h("nope")),
        None
    );
}

#[test]
fn in_force_lists_one_version_per_code() {
    let catalogue = embedded();
    let day: Date = date(2025, 7, 1);
    let two = h(TWO);
    let codes: Vec<ProcedureCode> = catalogue.in_force(day, &two).map(|v| v.code).collect();
    let mut unique = codes.clone();
    unique.dedup();
    assert_eq!(codes, unique);
    assert_eq!(codes.len(), 35);
}

// ---------------------------------------------------------------- value types

#[test]
fn procedure_code_parsing() {
    let c: ProcedureCode = "1.001193".parse().expect("valid");
    assert_eq!(c.to_string(), "1.001193");
    assert_eq!((c.group(), c.number()), (1, 1193));
    for bad in [
        "1.00119",
        "11.001193",
        "a.001193",
        "",
        "1.0011930",
        "1,001193",
        "1.00119a",
        "2.000815.000.00.00.H55",
        "１.001193",
    ] {
        assert!(bad.parse::<ProcedureCode>().is_err(), "{bad:?} accepted");
    }
    assert_eq!(serde_json::to_string(&c).expect("json"), "\"1.001193\"");
    assert_eq!(
        serde_json::from_str::<ProcedureCode>("\"1.001193\"").expect("json"),
        c
    );
    assert!(serde_json::from_str::<ProcedureCode>("\"1.00119\"").is_err());
    assert!(code("1.000656") < code("1.001193"));
    assert!(code("1.999999") < code("2.000001"));
}

#[test]
fn channel_national_codes() {
    assert_eq!(Channel::Direct.national_code(), 1);
    assert_eq!(Channel::Online.national_code(), 2);
    assert_eq!(Channel::Postal.national_code(), 3);
    for c in Channel::ALL {
        assert_eq!(Channel::from_national_code(c.national_code()), Some(*c));
    }
    assert_eq!(Channel::from_national_code(0), None);
    assert_eq!(Channel::from_national_code(4), None);
    assert_eq!(
        serde_json::to_string(&Channel::Postal).expect("json"),
        "\"postal\""
    );
    assert_eq!(
        serde_json::from_str::<Channel>("\"direct\"").expect("json"),
        Channel::Direct
    );
}

#[test]
fn liaison_routes_parse_only_when_shares_sum_to_100() {
    let route: LiaisonRoute = "commune:30;district:70".parse().expect("valid route");
    assert_eq!(route.to_string(), "commune:30;district:70");
    assert_eq!(
        "commune:30;district:60".parse::<LiaisonRoute>(),
        Err(LiaisonRouteError::ShareSum { sum: 90 })
    );
    assert_eq!(
        "commune:0;district:100".parse::<LiaisonRoute>(),
        Err(LiaisonRouteError::ZeroShare)
    );
    assert!(matches!(
        "commune=30".parse::<LiaisonRoute>(),
        Err(LiaisonRouteError::Syntax(_))
    ));
    assert!(
        serde_json::from_str::<LiaisonRoute>(r#"[{"level":"commune","share_percent":50}]"#)
            .is_err()
    );
    assert!("".parse::<LiaisonRoute>().expect("empty route").is_empty());
}

#[test]
fn catalogue_ref_serialises_as_code_and_version() {
    let r = CatalogueRef {
        code: code("2.000815"),
        version: 3,
    };
    assert_eq!(r.to_string(), "2.000815@3");
    let json = serde_json::to_string(&r).expect("json");
    assert_eq!(json, r#"{"code":"2.000815","version":3}"#);
    assert_eq!(
        serde_json::from_str::<CatalogueRef>(&json).expect("json"),
        r
    );
}

#[test]
fn a_version_serialises_to_json_and_back() {
    let v = embedded()
        .get(&code("1.013978"), date(2025, 6, 1), &h(THREE))
        .expect("land registration");
    let json = serde_json::to_string(v).expect("json");
    let back: motcua_domain::catalogue::ProcedureVersion =
        serde_json::from_str(&json).expect("json");
    assert_eq!(&back, v);
}

// ---------------------------------------------------------------- from_csv rejections

const HEADER: &str = "code,version,valid_from,valid_to,hierarchy,name,field,field_code,level,handling_agency_kind,channels,time_direct,time_online,time_postal,time_verified,time_note,fee_vnd,fee_note,flow,liaison_route,online_level,provenance,source";

/// A valid 2-level row; `edit` replaces columns by name.
fn row(edit: &[(&str, &str)]) -> String {
    let mut fields: Vec<String> = [
        "1.001193",
        "1",
        "2025-07-01",
        "",
        "2level-2025-07",
        "Thủ tục đăng ký khai sinh",
        "Hộ tịch",
        "HO_TICH",
        "commune",
        "UBND cấp xã",
        "direct;online;postal",
        "same_day",
        "same_day",
        "same_day",
        "false",
        "ghi chú",
        "0",
        "Miễn phí",
        "on_the_spot",
        "",
        "",
        "national_db",
        "CT-1.001193",
    ]
    .map(str::to_owned)
    .to_vec();
    for (column, value) in edit {
        let at = COLUMNS
            .iter()
            .position(|c| c == column)
            .unwrap_or_else(|| panic!("no column {column}"));
        fields[at] = (*value).to_owned();
    }
    fields.join(",")
}

/// A catalogue text: the header, then rows.
fn text(rows: &[String]) -> String {
    let mut t = String::from(HEADER);
    for r in rows {
        t.push('\n');
        t.push_str(r);
    }
    t.push('\n');
    t
}

/// The error of a text, with its line and column.
fn rejection(rows: &[String]) -> (u64, Option<&'static str>, CatalogueErrorKind) {
    let e = Catalogue::from_csv(&text(rows)).expect_err("the text must be rejected");
    assert!(e.to_string().contains(&format!("line {}", e.line())), "{e}");
    (e.line(), e.column(), e.kind().clone())
}

#[test]
fn the_test_rows_are_valid() {
    let land = row(&[
        ("code", "1.013978"),
        ("valid_from", "2025-03-01"),
        ("valid_to", "2025-06-30"),
        ("hierarchy", "3level-2025-03"),
        ("field", "Đất đai"),
        ("field_code", "DAT_DAI"),
        ("level", "district"),
        ("flow", "liaison"),
        ("time_direct", "20 working_days"),
        ("time_online", "20 working_days"),
        ("time_postal", "20 working_days"),
        ("liaison_route", "commune:40;district:60"),
    ]);
    let catalogue = Catalogue::from_csv(&text(&[row(&[]), land])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalogue.len(), 2);
    assert_eq!(catalogue.line_of(&code("1.013978"), 1), Some(3));
}

#[test]
fn rejects_a_bad_code_with_its_line() {
    let (line, column, kind) = rejection(&[row(&[]), row(&[("code", "1.00119")])]);
    assert_eq!((line, column), (3, Some("code")));
    assert!(matches!(kind, CatalogueErrorKind::Code(e) if e.input == "1.00119"));
}

#[test]
fn rejects_route_shares_not_summing_to_100() {
    let (line, column, kind) = rejection(&[row(&[
        ("flow", "liaison"),
        ("time_direct", "1 working_days"),
        ("time_online", "1 working_days"),
        ("time_postal", "1 working_days"),
        ("liaison_route", "commune:30;province:60"),
    ])]);
    assert_eq!((line, column), (2, Some("liaison_route")));
    assert_eq!(
        kind,
        CatalogueErrorKind::Route(LiaisonRouteError::ShareSum { sum: 90 })
    );
}

#[test]
fn rejects_overlapping_versions_in_one_hierarchy() {
    let (line, column, kind) = rejection(&[
        row(&[("valid_to", "2025-12-31")]),
        row(&[
            ("name", "x"),
            ("version", "2"),
            ("valid_from", "2025-12-31"),
        ]),
    ]);
    assert_eq!((line, column), (3, Some("valid_from")));
    assert_eq!(
        kind,
        CatalogueErrorKind::Overlap {
            other_version: 1,
            other_line: 2
        }
    );
    // An open-ended first version overlaps any later one.
    let (line, _, kind) = rejection(&[
        row(&[]),
        row(&[("version", "2"), ("valid_from", "2026-01-01")]),
    ]);
    assert_eq!(line, 3);
    assert!(matches!(kind, CatalogueErrorKind::Overlap { .. }));
}

#[test]
fn accepts_back_to_back_versions() {
    let catalogue = Catalogue::from_csv(&text(&[
        row(&[("valid_to", "2025-12-31")]),
        row(&[
            ("version", "2"),
            ("valid_from", "2026-01-01"),
            ("name", "tên mới"),
        ]),
    ]))
    .unwrap_or_else(|e| panic!("{e}"));
    let c = code("1.001193");
    assert_eq!(
        catalogue
            .get(&c, date(2025, 12, 31), &h(TWO))
            .map(|v| v.version),
        Some(1)
    );
    assert_eq!(
        catalogue
            .get(&c, date(2026, 1, 1), &h(TWO))
            .map(|v| v.version),
        Some(2)
    );
}

#[test]
fn rejects_a_published_version_changed_in_place() {
    let (line, column, kind) = rejection(&[
        row(&[]),
        row(&[("code", "1.000656")]),
        row(&[("time_direct", "")]),
    ]);
    assert_eq!((line, column), (4, Some("time_direct")));
    assert_eq!(
        kind,
        CatalogueErrorKind::PublishedVersionChanged {
            code: code("1.001193"),
            version: 1,
            published_line: 2
        }
    );
}

#[test]
fn rejects_a_repeated_row() {
    let (line, column, kind) = rejection(&[row(&[]), row(&[])]);
    assert_eq!((line, column), (3, None));
    assert_eq!(kind, CatalogueErrorKind::DuplicateRow { first_line: 2 });
}

#[test]
fn rejects_version_numbers_against_the_dates() {
    let (line, column, kind) = rejection(&[
        row(&[("version", "2"), ("valid_to", "2025-12-31")]),
        row(&[("version", "1"), ("valid_from", "2026-01-01")]),
    ]);
    assert_eq!((line, column), (3, Some("version")));
    assert_eq!(
        kind,
        CatalogueErrorKind::VersionOrder {
            other_version: 2,
            other_line: 2
        }
    );
}

#[test]
fn rejects_a_field_code_with_two_names() {
    let (line, column, kind) = rejection(&[
        row(&[]),
        row(&[("code", "1.000656"), ("field", "Hộ tịch khác")]),
    ]);
    assert_eq!((line, column), (3, Some("field")));
    assert!(matches!(
        kind,
        CatalogueErrorKind::FieldNameConflict { first_line: 2, .. }
    ));
}

#[test]
fn rejects_malformed_values_naming_the_column() {
    let cases: &[(&str, &str)] = &[
        ("version", "0"),
        ("version", "one"),
        ("valid_from", "01/07/2025"),
        ("valid_from", "2025-07-01T00:00"),
        ("valid_to", "2025-13-01"),
        ("field_code", "Ho tich"),
        ("level", "ward"),
        ("channels", "online;direct"),
        ("channels", "direct;direct"),
        ("channels", "fax"),
        ("time_online", "5 days"),
        ("time_verified", "yes"),
        ("fee_vnd", "8.000"),
        ("flow", "five_step"),
        ("online_level", "4"),
        ("provenance", "guess"),
    ];
    for (column, value) in cases {
        let (line, at, kind) =
            rejection(&[row(&[]), row(&[("code", "1.000656"), (column, value)])]);
        assert_eq!((line, at), (3, Some(*column)), "{column}={value}");
        assert!(
            matches!(
                kind,
                CatalogueErrorKind::Value { .. } | CatalogueErrorKind::FieldCode(_)
            ),
            "{column}={value}: {kind:?}"
        );
    }
}

#[test]
fn rejects_empty_required_values() {
    for column in [
        "code",
        "version",
        "valid_from",
        "hierarchy",
        "name",
        "field",
        "field_code",
        "level",
        "handling_agency_kind",
        "channels",
        "time_verified",
        "flow",
        "provenance",
        "source",
    ] {
        let (line, at, kind) = rejection(&[row(&[(column, "")])]);
        assert_eq!(
            (line, at, kind),
            (2, Some(column), CatalogueErrorKind::Empty),
            "{column}"
        );
    }
}

#[test]
fn rejects_rows_breaking_a_version_rule() {
    let three = [
        ("hierarchy", "3level-2025-03"),
        ("valid_from", "2025-03-01"),
        ("valid_to", "2025-06-30"),
    ];
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("valid_to", "2025-06-30")], "valid_to"),
        (vec![("hierarchy", "4level-1999")], "hierarchy"),
        (vec![("valid_from", "2025-06-01")], "valid_from"),
        (
            vec![
                ("hierarchy", "3level-2025-03"),
                ("valid_from", "2025-03-01"),
            ],
            "valid_to",
        ),
        (vec![("level", "district")], "level"),
        (vec![("channels", "direct")], "time_online"),
        (
            vec![("time_verified", "true"), ("time_postal", "")],
            "time_verified",
        ),
        (vec![("time_direct", "2 working_days")], "time_direct"),
        (vec![("liaison_route", "commune:100")], "liaison_route"),
        (
            vec![
                ("flow", "liaison"),
                ("liaison_route", "commune:50;district:50"),
            ],
            "liaison_route",
        ),
        (vec![("online_level", "none")], "online_level"),
        (
            vec![
                ("channels", "direct"),
                ("time_online", ""),
                ("time_postal", ""),
                ("online_level", "full"),
            ],
            "online_level",
        ),
    ];
    for (edit, column) in cases {
        let (line, at, kind) = rejection(&[row(&edit)]);
        assert_eq!((line, at), (2, Some(column)), "{edit:?}");
        assert!(
            matches!(kind, CatalogueErrorKind::Rule(_)),
            "{edit:?}: {kind:?}"
        );
    }
    // The 3-level era accepts what the 2-level one refuses.
    let mut edit = three.to_vec();
    edit.push(("level", "district"));
    assert!(Catalogue::from_csv(&text(&[row(&edit)])).is_ok());
    let (_, _, kind) = rejection(&[row(&[("time_direct", "2 working_days")])]);
    assert!(matches!(
        kind,
        CatalogueErrorKind::Rule(VersionRuleError::OnTheSpotTooLong {
            channel: Channel::Direct,
            ..
        })
    ));
}

#[test]
fn rejects_bad_headers_and_malformed_csv() {
    let e = Catalogue::from_csv(&HEADER.replace(",source", "")).expect_err("missing column");
    assert_eq!(
        (e.line(), e.column(), e.kind()),
        (1, Some("source"), &CatalogueErrorKind::MissingColumn)
    );
    let e = Catalogue::from_csv(&format!("{HEADER},extra\n")).expect_err("unknown column");
    assert_eq!(
        e.kind(),
        &CatalogueErrorKind::UnknownColumn("extra".to_owned())
    );
    let e = Catalogue::from_csv(&format!("{}\n{},x\n", HEADER, row(&[]))).expect_err("extra field");
    assert_eq!(e.line(), 2);
    assert!(matches!(e.kind(), CatalogueErrorKind::Csv(_)));
}

#[test]
fn reports_the_line_a_multi_line_row_starts_on() {
    let (line, column, _) = rejection(&[
        row(&[("time_note", "\"dòng một\ndòng hai\"")]),
        row(&[("code", "x")]),
    ]);
    assert_eq!((line, column), (4, Some("code")));
}

// ---------------------------------------------------------------- immutability across releases

#[test]
fn a_successor_may_close_valid_to_and_add_versions_but_not_edit() {
    let published = Catalogue::from_csv(&text(&[row(&[])])).expect("valid");
    let successor = Catalogue::from_csv(&text(&[
        row(&[("valid_to", "2025-12-31")]),
        row(&[
            ("version", "2"),
            ("valid_from", "2026-01-01"),
            ("time_verified", "false"),
            ("time_direct", ""),
        ]),
    ]))
    .expect("valid");
    successor
        .ensure_extends(&published)
        .unwrap_or_else(|e| panic!("{e}"));
    successor
        .check_lock(&published.lock())
        .unwrap_or_else(|e| panic!("{e}"));

    let edited = Catalogue::from_csv(&text(&[row(&[("name", "Tên đã sửa")])])).expect("valid");
    let e = edited.ensure_extends(&published).expect_err("edited");
    assert_eq!((e.line(), e.column()), (2, Some("name")));
    assert!(matches!(
        e.kind(),
        CatalogueErrorKind::PublishedVersionChanged { version: 1, .. }
    ));
    let e = edited.check_lock(&published.lock()).expect_err("edited");
    assert_eq!(e.line(), 2);
    assert!(matches!(
        e.kind(),
        CatalogueErrorKind::PublishedVersionChanged { .. }
    ));

    // Moving a closed end date is an edit too.
    let closed = successor.lock();
    let reopened = Catalogue::from_csv(&text(&[
        row(&[("valid_to", "2025-11-30")]),
        row(&[
            ("version", "2"),
            ("valid_from", "2026-01-01"),
            ("time_verified", "false"),
            ("time_direct", ""),
        ]),
    ]))
    .expect("valid");
    let e = reopened.check_lock(&closed).expect_err("moved valid_to");
    assert_eq!(e.column(), Some("valid_to"));
    let e = reopened
        .ensure_extends(&successor)
        .expect_err("moved valid_to");
    assert_eq!(e.column(), Some("valid_to"));

    let removed = Catalogue::from_csv(&text(&[row(&[("code", "1.000656")])])).expect("valid");
    let e = removed.ensure_extends(&published).expect_err("removed");
    assert!(matches!(
        e.kind(),
        CatalogueErrorKind::PublishedVersionRemoved { version: 1, .. }
    ));
}
