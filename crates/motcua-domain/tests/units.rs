//! The two official unit lists (3-level of March 2025, 2-level from 1 July 2025), lookups on real
//! units, and the offices derived from them.

use jiff::civil::date;
use motcua_domain::units::{
    AgencyDirectory, AgencyError, AgencyId, AgencyKind, HierarchyId, UnitCode, UnitError,
    UnitGraph, UnitLevel, UnitRegistry,
};

fn code(s: &str) -> UnitCode {
    s.parse().expect("a valid unit code")
}

fn id(s: &str) -> AgencyId {
    s.parse().expect("a valid agency id")
}

fn codes<'a>(units: impl IntoIterator<Item = &'a motcua_domain::units::Unit>) -> Vec<String> {
    units.into_iter().map(|u| u.code.to_string()).collect()
}

#[test]
fn the_3_level_list_has_63_provinces_696_districts_and_10047_communes() {
    let g = UnitGraph::three_level_2025_03();
    assert_eq!(g.id().as_str(), HierarchyId::THREE_LEVEL_2025_03);
    assert_eq!(g.count(UnitLevel::Province), 63);
    assert_eq!(g.count(UnitLevel::District), 696);
    assert_eq!(g.count(UnitLevel::Commune), 10_047);
    assert_eq!(g.units().len(), 63 + 696 + 10_047);
    assert_eq!(
        g.levels(),
        [UnitLevel::Province, UnitLevel::District, UnitLevel::Commune]
    );
    assert_eq!(g.valid_from(), date(2025, 3, 1));
    assert_eq!(g.valid_to(), Some(date(2025, 6, 30)));
}

#[test]
fn the_2_level_list_has_34_provinces_and_3321_communes() {
    let g = UnitGraph::two_level_2025_07();
    assert_eq!(g.id().as_str(), HierarchyId::TWO_LEVEL_2025_07);
    assert_eq!(g.count(UnitLevel::Province), 34);
    assert_eq!(g.count(UnitLevel::District), 0);
    assert_eq!(g.count(UnitLevel::Commune), 3_321);
    assert_eq!(g.levels(), [UnitLevel::Province, UnitLevel::Commune]);
    assert_eq!(g.valid_from(), date(2025, 7, 1));
    assert_eq!(g.valid_to(), None);
}

#[test]
fn every_unit_belongs_to_a_province_one_step_per_level() {
    for g in UnitRegistry::official().graphs() {
        let levels = g.levels();
        for u in g.units() {
            assert_eq!(u.code.as_str().len(), u.level.code_len(), "{}", u.code);
            assert_eq!(u.code.level(), u.level, "{}", u.code);
            let ancestors = g.ancestors(&u.code);
            let province = g.province_of(&u.code).expect("known unit");
            assert_eq!(
                province.level,
                UnitLevel::Province,
                "{} in {}",
                u.code,
                g.id()
            );
            assert_eq!(
                ancestors.len(),
                levels
                    .iter()
                    .position(|l| *l == u.level)
                    .expect("a level of the list"),
                "{} in {}",
                u.code,
                g.id()
            );
        }
    }
}

#[test]
fn ho_chi_minh_city_in_the_3_level_list() {
    let g = UnitGraph::three_level_2025_03();
    let hcmc = g.get(&code("79")).expect("79 is listed");
    assert_eq!(hcmc.name, "Thành phố Hồ Chí Minh");
    assert_eq!(hcmc.kind, "Thành phố Trung ương");
    assert_eq!(hcmc.level, UnitLevel::Province);
    assert_eq!(hcmc.parent, None);
    assert!(g.parent(&code("79")).is_none());
    assert_eq!(
        g.province_of(&code("79")).map(|u| u.name.as_str()),
        Some("Thành phố Hồ Chí Minh")
    );
    assert_eq!(g.children(&code("79")).count(), 22, "22 districts");
    assert_eq!(g.descendants(&code("79")).len(), 22 + 273);

    let district_1 = g.get(&code("760")).expect("Quận 1");
    assert_eq!(district_1.name, "Quận 1");
    assert_eq!(district_1.kind, "Quận");
    assert_eq!(district_1.parent, Some(code("79")));
    let wards = codes(g.children(&code("760")));
    assert_eq!(wards.len(), 10);
    assert_eq!(wards[0], "26734");
    assert!(wards.contains(&"26740".to_owned()));
    assert_eq!(
        codes(g.descendants(&code("760"))),
        wards,
        "wards have no children"
    );

    let tan_dinh = g.get(&code("26734")).expect("Phường Tân Định");
    assert_eq!(tan_dinh.name, "Phường Tân Định");
    assert_eq!(tan_dinh.level, UnitLevel::Commune);
    assert_eq!(
        g.parent(&code("26734")).map(|u| u.name.as_str()),
        Some("Quận 1")
    );
    assert_eq!(codes(g.ancestors(&code("26734"))), ["760", "79"]);
    assert_eq!(
        g.province_of(&code("26734")).map(|u| u.code.to_string()),
        Some("79".to_owned())
    );
    assert!(g.children(&code("26734")).next().is_none());
}

#[test]
fn descendants_are_depth_first() {
    let g = UnitGraph::three_level_2025_03();
    let all = codes(g.descendants(&code("79")));
    assert_eq!(&all[..3], ["760", "26734", "26737"]);
    let after_district_1 = all.iter().position(|c| c == "761").expect("Quận 12");
    assert_eq!(after_district_1, 11, "Quận 1 and its 10 wards come first");
}

#[test]
fn the_2_level_list_attaches_communes_to_provinces() {
    let g = UnitGraph::two_level_2025_07();
    let saigon = g.get(&code("26740")).expect("Phường Sài Gòn");
    assert_eq!(saigon.name, "Phường Sài Gòn");
    assert_eq!(saigon.kind, "Phường");
    assert_eq!(saigon.parent, Some(code("79")));
    assert_eq!(codes(g.ancestors(&code("26740"))), ["79"]);
    assert_eq!(
        g.province_of(&code("26740")).map(|u| u.name.as_str()),
        Some("Thành phố Hồ Chí Minh")
    );
    assert_eq!(g.children(&code("79")).count(), 168);
    assert_eq!(g.descendants(&code("79")).len(), 168);

    let hoan_kiem = g.get(&code("00070")).expect("Phường Hoàn Kiếm");
    assert_eq!(hoan_kiem.name, "Phường Hoàn Kiếm");
    assert_eq!(
        g.parent(&code("00070")).map(|u| u.name.as_str()),
        Some("Thành phố Hà Nội")
    );
    assert_eq!(g.children(&code("01")).count(), 126);
    assert!(g.children(&code("01")).any(|u| u.code == code("00070")));
    // No districts any more.
    assert!(g.get(&code("760")).is_none());
    assert!(
        g.get(&code("26734")).is_none(),
        "Tân Định's old code was not kept"
    );
}

#[test]
fn a_code_means_different_units_in_the_two_lists() {
    let old = UnitGraph::three_level_2025_03();
    let new = UnitGraph::two_level_2025_07();
    assert_eq!(
        old.get(&code("26740")).map(|u| u.name.as_str()),
        Some("Phường Bến Nghé")
    );
    assert_eq!(
        new.get(&code("26740")).map(|u| u.name.as_str()),
        Some("Phường Sài Gòn")
    );
    assert_eq!(
        old.get(&code("00070")).map(|u| u.name.as_str()),
        Some("Phường Hàng Trống")
    );
    assert_eq!(
        old.parent(&code("00070")).map(|u| u.name.as_str()),
        Some("Quận Hoàn Kiếm")
    );
    assert_eq!(
        new.get(&code("00070")).map(|u| u.name.as_str()),
        Some("Phường Hoàn Kiếm")
    );
}

#[test]
fn unknown_codes_are_absent_and_required_ones_say_where_they_were_looked_up() {
    let g = UnitGraph::two_level_2025_07();
    assert!(g.get(&code("99999")).is_none());
    assert!(g.parent(&code("99999")).is_none());
    assert!(g.province_of(&code("99999")).is_none());
    assert_eq!(g.children(&code("99999")).count(), 0);
    assert!(g.ancestors(&code("99999")).is_empty());
    assert_eq!(
        g.require(&code("760"))
            .expect_err("no districts in the 2-level list"),
        UnitError::UnknownUnit {
            code: "760".to_owned(),
            hierarchy: "2level-2025-07".to_owned()
        }
    );
    assert_eq!(
        g.require(&code("26740")).map(|u| u.name.as_str()),
        Ok("Phường Sài Gòn")
    );
}

#[test]
fn the_list_in_force_changes_on_1_july_2025() {
    let registry = UnitRegistry::official();
    assert_eq!(registry.graphs().len(), 2);
    let on = |y, m, d| {
        registry
            .in_force_on(date(y, m, d))
            .map(|g| g.id().as_str().to_owned())
    };
    assert_eq!(on(2025, 6, 30).as_deref(), Some("3level-2025-03"));
    assert_eq!(on(2025, 7, 1).as_deref(), Some("2level-2025-07"));
    assert_eq!(on(2025, 3, 1).as_deref(), Some("3level-2025-03"));
    assert_eq!(on(2025, 2, 28), None, "no list before March 2025");
    assert_eq!(on(2026, 2, 17).as_deref(), Some("2level-2025-07"));
    assert!(registry.graph("3level-2025-03").is_some());
    assert!(registry.graph("2level-2025-07").is_some());
    assert!(registry.graph("2level-2026-01").is_none());
    let old = registry.graph("3level-2025-03").expect("listed");
    assert!(old.in_force_on(date(2025, 6, 30)));
    assert!(!old.in_force_on(date(2025, 7, 1)));
}

#[test]
fn desks_and_committees_are_derived_for_every_unit() {
    let agencies = AgencyDirectory::derived(UnitRegistry::official());
    let desk = agencies
        .get(&id("MC.26740"))
        .expect("Phường Sài Gòn's desk");
    assert_eq!(desk.id, AgencyId::desk_of(&code("26740")));
    assert_eq!(desk.kind, AgencyKind::OneStopDesk);
    assert_eq!(desk.name, "Bộ phận Một cửa Phường Sài Gòn");
    assert_eq!(desk.unit, code("26740"));
    assert_eq!(
        desk.hierarchy.as_str(),
        "2level-2025-07",
        "the newest list that has the code"
    );

    let city = agencies
        .get(&AgencyId::committee_of(&code("79")))
        .expect("UB.79");
    assert_eq!(city.id.as_str(), "UB.79");
    assert_eq!(city.kind, AgencyKind::PeoplesCommittee);
    assert_eq!(city.name, "UBND Thành phố Hồ Chí Minh");

    // Units only in the 3-level list keep their offices.
    let district_1 = agencies.get(&id("UB.760")).expect("Quận 1's committee");
    assert_eq!(district_1.hierarchy.as_str(), "3level-2025-03");
    assert_eq!(district_1.name, "UBND Quận 1");
    let (graph, unit) = agencies.unit_of(&id("MC.26734")).expect("Tân Định's desk");
    assert_eq!(graph.id().as_str(), "3level-2025-03");
    assert_eq!(unit.name, "Phường Tân Định");
    let (graph, unit) = agencies
        .unit_of(&id("UB.26740"))
        .expect("Sài Gòn's committee");
    assert_eq!(graph.id().as_str(), "2level-2025-07");
    assert_eq!(unit.level, UnitLevel::Commune);
}

#[test]
fn unknown_offices_do_not_resolve() {
    let agencies = AgencyDirectory::derived(UnitRegistry::official());
    for unknown in [
        "MC.99999",
        "UB.00000",
        "SO.26740",
        "MC.2674",
        "UB.7900",
        "000.00.00.H29",
    ] {
        assert_eq!(agencies.get(&id(unknown)), None, "{unknown}");
        assert!(agencies.unit_of(&id(unknown)).is_none(), "{unknown}");
    }
    for invalid in ["mc.26740", "MC-26740", "MC.", "UB", ".MC.26740"] {
        assert!(invalid.parse::<AgencyId>().is_err(), "{invalid}");
    }
}

#[test]
fn configured_offices_sit_beside_the_derived_ones() {
    let agencies = AgencyDirectory::derived(UnitRegistry::official())
        .with_csv(
            "id,name,kind,unit_code,hierarchy\n\
             000.00.10.H29,Sở Tư pháp Thành phố Hồ Chí Minh,department,79,2level-2025-07\n\
             000.00.20.H29,Trung tâm Phục vụ hành chính công Phường Sài Gòn,one_stop_desk,26740,2level-2025-07\n",
        )
        .expect("a valid agency list");
    let justice = agencies.get(&id("000.00.10.H29")).expect("configured");
    assert_eq!(justice.kind, AgencyKind::Department);
    assert_eq!(justice.unit, code("79"));
    assert_eq!(agencies.configured_at(&code("79")).count(), 1);
    assert_eq!(agencies.configured_at(&code("26740")).count(), 1);
    assert!(
        agencies.get(&id("MC.26740")).is_some(),
        "the derived desk stays"
    );
    let (_, unit) = agencies
        .unit_of(&id("000.00.20.H29"))
        .expect("attached to a unit");
    assert_eq!(unit.name, "Phường Sài Gòn");
}

#[test]
fn a_bad_agency_list_is_refused_with_its_line() {
    let header = "id,name,kind,unit_code,hierarchy\n";
    let good = "000.00.10.H29,Sở Tư pháp,department,79,2level-2025-07\n";
    for (body, line, needle) in [
        (
            "000.00.10.H29,Sở Tư pháp,ministry,79,2level-2025-07\n",
            2,
            "unknown kind",
        ),
        (
            "000.00.10.H29,Sở Tư pháp,department,79,1level-2030\n",
            2,
            "unknown unit list",
        ),
        (
            "000.00.10.H29,Sở Tư pháp,department,760,2level-2025-07\n",
            2,
            "not in the list",
        ),
        (
            "sotp,Sở Tư pháp,department,79,2level-2025-07\n",
            2,
            "invalid agency id",
        ),
        (good, 3, "duplicate"),
    ] {
        let text = if line == 3 {
            format!("{header}{good}{body}")
        } else {
            format!("{header}{body}")
        };
        let err = AgencyDirectory::derived(UnitRegistry::official())
            .with_csv(&text)
            .expect_err("refused");
        match &err {
            AgencyError::BadLine { line: l, reason } => {
                assert_eq!(*l, line, "{err}");
                assert!(reason.contains(needle), "{err}");
            }
            other => panic!("unexpected {other}"),
        }
    }
}
