//! `docs/asyncapi.yaml` must describe every event type the code can emit and the subjects it uses.
#![allow(clippy::unwrap_used)]

use motcua_domain::dossier::EventBody;

fn document() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/asyncapi.yaml"
    ))
    .unwrap()
}

#[test]
fn every_event_type_is_described() {
    let doc = document();
    for t in EventBody::TYPES {
        assert!(
            doc.contains(&format!("    Event_{t}:")),
            "docs/asyncapi.yaml has no schema Event_{t}"
        );
        assert!(
            doc.contains(&format!("const: \"{t}\"")),
            "docs/asyncapi.yaml: Event_{t} does not fix its type"
        );
        assert!(
            doc.contains(&format!("\"#/components/schemas/Event_{t}\"")),
            "docs/asyncapi.yaml: Event_{t} is not among the commit's events"
        );
    }
    let described = doc.matches("\n    Event_").count();
    assert_eq!(
        described,
        EventBody::TYPES.len(),
        "a described type the code no longer emits"
    );
}

#[test]
fn the_subjects_match_the_code() {
    let doc = document();
    let key: motcua_log::DossierKey = "79-0193b3c6-5a4e-7c2d-9e8f-0123456789ab".parse().unwrap();
    assert_eq!(
        key.subject(),
        "motcua.dossier.79.0193b3c6-5a4e-7c2d-9e8f-0123456789ab"
    );
    assert!(doc.contains("address: \"motcua.dossier.{province}.{dossier}\""));
    assert!(doc.contains("address: \"motcua.code.{agency}.{day}\""));
    assert!(doc.contains("asyncapi: \"3.0.0\""));
}
