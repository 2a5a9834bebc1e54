//! Settings: defaults and their serde form, refusals of bad figures, province sizing, windows,
//! and the officers and applicants the simulation makes up.

mod common;

use std::collections::HashSet;

use common::*;
use motcua_domain::dossier::{CommandBody, Role};
use motcua_sim::{SimError, SimSettings, Simulation};
use unicode_normalization::UnicodeNormalization;

#[test]
fn defaults_round_trip_and_partial_files_take_defaults() {
    let defaults = SimSettings::default();
    let text = serde_json::to_string(&defaults).unwrap();
    assert_eq!(
        serde_json::from_str::<SimSettings>(&text).unwrap(),
        defaults
    );
    assert_eq!(serde_json::from_str::<SimSettings>("{}").unwrap(), defaults);
    let some: SimSettings =
        serde_json::from_str(r#"{"late_share": 0.1, "province": "01", "scale": 0.5}"#).unwrap();
    assert_eq!(some.late_share, 0.1);
    assert_eq!(some.province.as_str(), "01");
    assert_eq!(some.supplement_share, defaults.supplement_share);
    assert!(serde_json::from_str::<SimSettings>(r#"{"lateshare": 0.1}"#).is_err());
    assert!(serde_json::from_str::<SimSettings>(r#"{"province": "7"}"#).is_err());
}

#[test]
fn bad_settings_are_refused_with_the_setting() {
    let bad = |s: SimSettings| Simulation::new(reference().clone(), s).unwrap_err();
    let e = bad(SimSettings {
        late_share: 1.5,
        ..SimSettings::default()
    });
    assert!(
        matches!(
            e,
            SimError::Setting {
                name: "late_share",
                ..
            }
        ),
        "{e}"
    );
    let e = bad(SimSettings {
        scale: f64::NAN,
        ..SimSettings::default()
    });
    assert!(matches!(e, SimError::Setting { name: "scale", .. }), "{e}");
    let mut s = SimSettings::default();
    s.channel_mix.online = 0.0;
    s.channel_mix.direct = 0.0;
    s.channel_mix.postal = 0.0;
    assert!(matches!(
        bad(s),
        SimError::Setting {
            name: "channel_mix",
            ..
        }
    ));
    let mut s = SimSettings::default();
    s.procedure_weights.insert("1.2".to_owned(), 1.0);
    assert!(matches!(
        bad(s),
        SimError::Setting {
            name: "procedure_weights",
            ..
        }
    ));
    let e = bad(SimSettings {
        province: "77".parse().unwrap(), // Bà Rịa–Vũng Tàu, merged into HCMC in 2025
        ..SimSettings::default()
    });
    assert!(matches!(e, SimError::UnknownProvince { .. }), "{e}");
    let e = bad(SimSettings {
        unit_list: "1level".to_owned(),
        ..SimSettings::default()
    });
    assert!(matches!(e, SimError::UnknownUnitList(_)), "{e}");
}

#[test]
fn provinces_are_sized_and_scaled() {
    let size = |s: SimSettings| simulation(s).dossiers_per_working_day();
    assert_eq!(size(SimSettings::default()), 18_000.0);
    assert_eq!(
        size(SimSettings {
            scale: 0.1,
            ..SimSettings::default()
        }),
        1_800.0
    );
    // Hà Nội (126 communes): the rest of the country shared by communes, about 4,000.
    let hanoi = size(SimSettings {
        province: "01".parse().unwrap(),
        ..SimSettings::default()
    });
    assert!((3_000.0..5_000.0).contains(&hanoi), "{hanoi}");
    assert_eq!(
        size(SimSettings {
            dossiers_per_working_day: Some(2_000.0),
            scale: 0.5,
            ..SimSettings::default()
        }),
        1_000.0
    );
}

#[test]
fn windows_outside_the_unit_list_are_refused() {
    let two_level = simulation(SimSettings::default());
    let before_reform = jiff::civil::date(2025, 6, 25);
    assert!(matches!(
        two_level.dossiers(before_reform, 3),
        Err(SimError::Window { .. })
    ));
    assert!(two_level.dossiers(jiff::civil::date(2025, 7, 1), 3).is_ok());
    let three_level = simulation(SimSettings {
        unit_list: "3level-2025-03".to_owned(),
        ..SimSettings::default()
    });
    assert!(
        three_level
            .dossiers(jiff::civil::date(2025, 6, 20), 11)
            .is_ok()
    );
    let e = three_level
        .dossiers(jiff::civil::date(2025, 6, 20), 12)
        .unwrap_err();
    assert!(e.to_string().contains("2025-07-01"), "{e}");
}

#[test]
fn officers_are_named_after_role_and_unit() {
    let sim = simulation(SimSettings {
        dossiers_per_working_day: Some(500.0),
        ..SimSettings::default()
    });
    let officers = sim.officers();
    let known: HashSet<(String, Role)> = officers.iter().map(|o| (o.id.clone(), o.role)).collect();
    assert!(known.contains(&("tn-26740-01".to_owned(), Role::Reception)));
    assert!(known.contains(&("cv-79-01".to_owned(), Role::HandlingOfficer)));
    for o in &officers {
        let prefix = match o.role {
            Role::Reception => "tn-",
            Role::HandlingOfficer => "cv-",
            Role::Approver => "ld-",
            Role::Clerk => "vt-",
            other => panic!("unexpected role {other}"),
        };
        assert!(o.id.starts_with(prefix), "{}", o.id);
        let unit = o.agency.as_str().split_once('.').unwrap().1;
        assert!(
            o.id.contains(&format!("-{unit}-")),
            "{} at {}",
            o.id,
            o.agency
        );
    }
    for d in generate(&sim, monday(), 2) {
        for s in &d.steps {
            let a = &s.command.actor;
            if a.agency.is_some() {
                assert!(known.contains(&(a.id.clone(), a.role)), "{} unknown", a.id);
            }
        }
    }
}

#[test]
fn applicants_look_real_and_stay_out_of_actor_ids() {
    let sim = simulation(SimSettings {
        dossiers_per_working_day: Some(500.0),
        ..SimSettings::default()
    });
    let families = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
        "Dương", "Lý",
    ];
    let mut names = HashSet::new();
    for d in generate(&sim, monday(), 2) {
        let applicant = d.steps.iter().find_map(|s| match &s.command.body {
            CommandBody::SubmitOnline { applicant, .. } => Some(applicant.clone()),
            CommandBody::Receive {
                applicant: Some(a), ..
            } => Some(a.clone()),
            _ => None,
        });
        let a = applicant.expect("every dossier names its applicant");
        assert_eq!(a.name, a.name.nfc().collect::<String>(), "NFC");
        let family = a.name.split(' ').next().unwrap();
        assert!(families.contains(&family), "{} (HCMC is southern)", a.name);
        assert_eq!(a.name.split(' ').count(), 3);
        let id = a.id_number.clone().unwrap();
        assert!(id.len() == 12 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()));
        let phone = a.phone.clone().unwrap();
        assert!(phone.len() == 10 && phone.starts_with('0'));
        assert!(
            a.address
                .as_deref()
                .unwrap()
                .ends_with("Thành phố Hồ Chí Minh")
        );
        names.insert(a.name.clone());
        for s in &d.steps {
            assert_ne!(s.command.actor.id, id, "a citizen ID as an actor id");
            if s.command.actor.role == Role::Applicant {
                assert!(s.command.actor.id.starts_with("dvc-"));
            }
        }
    }
    assert!(names.len() > 300, "{} distinct names", names.len());
}
