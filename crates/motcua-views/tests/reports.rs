//! Hand-computed report scenarios, end to end: commands through the command service onto a real
//! nats-server, the projector into sled, and every figure of Biểu 06 and Decision 766 checked
//! against numbers worked out by hand (the counting rules are in `docs/reports.md`).
//!
//! Phường Sài Gòn (HCMC, 2-level list): desk MC.26740, People's Committee UB.26740. Procedure
//! 1.004194 (temporary residence) has 3 working days; office hours 07:00–11:30 and 13:30–17:00,
//! so a receipt on Monday 09:00 is due on Thursday 09:00.
//!
//! | dossier | story (2026 unless said) | Biểu 06, January | 766, January |
//! |---|---|---|---|
//! | A | received Mon 05/01 09:00, due Thu 08/01 09:00, result Wed 07/01 | direct, early | on time |
//! | B | same, result Thu 08/01 08:30 | direct, on time | on time |
//! | C | same, result Fri 09/01 10:00 | direct, late | late |
//! | D | received Thu 29/01 09:00, due Tue 03/02 09:00, never resolved | direct, pending within | on time |
//! | E | received Mon 26/01 09:00, due Thu 29/01 09:00, result Mon 02/02 | direct, pending overdue | late |
//! | F | received Mon 29/12/2025 09:00, due Mon 05/01 09:00 (New Year 01–02/01 off), result 05/01 08:00 | carried over, on time | on time |
//! | G | received 05/01 09:00; supplement asked Tue 06/01 09:00, given Mon 12/01 09:00 (restart: due Thu 15/01 09:00); result Wed 14/01 10:00 | direct, early | late (14/01 10:00 − 6 days > 08/01 09:00) |
//! | H | received 05/01 09:00; timely apology Tue 06/01, new due Tue 13/01 17:00; result Mon 12/01 | direct, early | on time |
//! | I | received 05/01 09:00; late apology Fri 09/01 (deadline stays 08/01 09:00); result Tue 13/01 | direct, late | late |
//! | J | received 05/01 09:00, withdrawn Tue 06/01 | direct, ended otherwise | on time (withdrawal is an end) |
//! | M | online, accepted Tue 06/01 09:00, due Fri 09/01 09:00, result Thu 08/01 | online, early | on time |
//! | K | 2.001583 (province level, 3 wd) received at MC.26740 05/01 09:00 for UB.79, result Wed 07/01 | at province 79 only: early | on time |
//! | K2 | same, 09:30, forwarded MC.26740 → UB.26740 → UB.79, result Mon 12/01 | at province 79 only: late | late |
//! | L | 2025: 1.013978 v1 (3-level liaison, commune 40% / district 60%) at MC.26734 Mon 05/05/2025 for UB.760, result Tue 20/05/2025 | at district 760 and province 79, not commune 26734: early | |
#![allow(clippy::unwrap_used)]

mod common;

use common::{agency, at, date, reference, unit};
use jiff::Timestamp;
use motcua_command::CommandService;
use motcua_domain::calendar::Timeliness;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{
    Actor, Applicant, Command, CommandBody, Proposal, ReturnMethod, Role,
};
use motcua_domain::report::{Bieu06Counts, OnTimeConvention};
use motcua_domain::units::{AgencyId, UnitLevel};
use motcua_log::{CommitMeta, DossierKey, EventLog, LogSettings};
use motcua_testkit::NatsServer;
use motcua_views::{Projector, ProjectorConfig, Scope, Shard, Views};
use uuid::Uuid;

struct Story {
    svc: CommandService,
}

fn cmd(actor: Actor, body: CommandBody) -> Command {
    Command {
        id: Uuid::now_v7(),
        actor,
        body,
    }
}

impl Story {
    async fn run(&self, key: &DossierKey, actor: Actor, body: CommandBody, now: Timestamp) {
        let name = body.name();
        self.svc
            .handle(key, cmd(actor, body), CommitMeta::default(), now)
            .await
            .unwrap_or_else(|e| panic!("{name} at {now}: {e}"));
    }

    async fn receive(
        &self,
        desk: &str,
        handling: &str,
        procedure: &str,
        name: &str,
        now: Timestamp,
    ) -> DossierKey {
        let desk = agency(desk);
        let key = self.svc.new_key(&desk).unwrap();
        self.run(
            &key,
            Actor::officer("tn01", Role::Reception, desk),
            CommandBody::Receive {
                code: None,
                procedure: Some(procedure.parse().unwrap()),
                channel: Some(Channel::Direct),
                applicant: Some(Applicant::named(name)),
                handling_agency: agency(handling),
                digitised: true,
            },
            now,
        )
        .await;
        key
    }

    async fn online(
        &self,
        desk: &str,
        handling: &str,
        procedure: &str,
        name: &str,
        submitted: Timestamp,
        accepted: Timestamp,
    ) -> DossierKey {
        let desk_id = agency(desk);
        let key = self.svc.new_key(&desk_id).unwrap();
        self.run(
            &key,
            Actor::applicant("acc-m"),
            CommandBody::SubmitOnline {
                procedure: procedure.parse().unwrap(),
                applicant: Applicant::named(name),
                receiving_agency: desk_id.clone(),
            },
            submitted,
        )
        .await;
        self.run(
            &key,
            Actor::officer("tn01", Role::Reception, desk_id),
            CommandBody::Receive {
                code: None,
                procedure: None,
                channel: None,
                applicant: None,
                handling_agency: agency(handling),
                digitised: false,
            },
            accepted,
        )
        .await;
        key
    }

    async fn forward(&self, key: &DossierKey, from: &str, to: &str, role: Role, now: Timestamp) {
        self.run(
            key,
            Actor::officer("x01", role, agency(from)),
            CommandBody::Forward {
                to: agency(to),
                note: None,
            },
            now,
        )
        .await;
    }

    /// Assign, appraise, submit, approve, issue, and mark the result ready at `ready`.
    async fn resolve(&self, key: &DossierKey, holder: &str, ready: Timestamp) {
        let h: AgencyId = agency(holder);
        let m = |n: i64| ready - jiff::SignedDuration::from_mins(n);
        self.run(
            key,
            Actor::officer("ld01", Role::Approver, h.clone()),
            CommandBody::Assign {
                officer: "cv01".into(),
            },
            m(5),
        )
        .await;
        self.run(
            key,
            Actor::officer("cv01", Role::HandlingOfficer, h.clone()),
            CommandBody::Appraise {
                proposal: Proposal::Grant,
                opinion: "đủ điều kiện".into(),
            },
            m(4),
        )
        .await;
        self.run(
            key,
            Actor::officer("cv01", Role::HandlingOfficer, h.clone()),
            CommandBody::SubmitForApproval,
            m(3),
        )
        .await;
        self.run(
            key,
            Actor::officer("ld01", Role::Approver, h.clone()),
            CommandBody::Approve,
            m(2),
        )
        .await;
        self.run(
            key,
            Actor::officer("vt01", Role::Clerk, h.clone()),
            CommandBody::Issue {
                document_no: "12/GXN".into(),
                electronic: true,
            },
            m(1),
        )
        .await;
        self.run(
            key,
            Actor::officer("vt01", Role::Clerk, h),
            CommandBody::MarkResultReady,
            ready,
        )
        .await;
    }

    /// Received at the ward desk for the ward committee, forwarded 30 minutes later.
    async fn ward(&self, name: &str, received: Timestamp) -> DossierKey {
        let key = self
            .receive("MC.26740", "UB.26740", "1.004194", name, received)
            .await;
        self.forward(
            &key,
            "MC.26740",
            "UB.26740",
            Role::Reception,
            received + jiff::SignedDuration::from_mins(30),
        )
        .await;
        key
    }
}

/// Biểu 06 counts in the order: online, direct/postal, carried over, early, on time, late,
/// pending within time, pending overdue, ended otherwise.
fn counts(c: [u64; 9]) -> Bieu06Counts {
    Bieu06Counts {
        received_online: c[0],
        received_direct_postal: c[1],
        carried_over: c[2],
        resolved_early: c[3],
        resolved_on_time: c[4],
        resolved_late: c[5],
        pending_within: c[6],
        pending_overdue: c[7],
        ended_otherwise: c[8],
    }
}

fn level_total(
    v: &Views,
    u: &str,
    from: &str,
    to: &str,
    when: Timestamp,
    level: UnitLevel,
) -> Bieu06Counts {
    v.bieu06(&unit(u), date(from), date(to), when)
        .unwrap()
        .levels
        .iter()
        .find(|l| l.level == level)
        .map(|l| l.total)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_computed_bieu06_and_766() {
    let server = NatsServer::start_single().await.unwrap();
    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap();
    let svc = CommandService::new(log.clone(), reference());
    let s = Story { svc };
    let mon = at("2026-01-05T09:00");
    let h = |n: i64| jiff::SignedDuration::from_hours(n);

    // F: carried over from December, due after the New Year holiday.
    let f = s.ward("Phạm Thị Phương", at("2025-12-29T09:00")).await;
    s.resolve(&f, "UB.26740", at("2026-01-05T08:00")).await;
    // A, B, C: early, on time, late.
    let a = s.ward("Nguyễn Văn An", mon).await;
    let b = s.ward("Trần Thị Bình", mon).await;
    let c = s.ward("Lê Văn Cường", mon).await;
    s.resolve(&a, "UB.26740", at("2026-01-07T10:00")).await;
    s.resolve(&b, "UB.26740", at("2026-01-08T08:30")).await;
    s.resolve(&c, "UB.26740", at("2026-01-09T10:00")).await;
    // G: supplement pause, clock restarts.
    let g = s.ward("Đặng Thị Giang", mon).await;
    s.run(
        &g,
        Actor::officer("cv01", Role::HandlingOfficer, agency("UB.26740")),
        CommandBody::RequestSupplement {
            items: vec!["giấy xác nhận".into()],
        },
        at("2026-01-06T09:00"),
    )
    .await;
    s.run(
        &g,
        Actor::officer("tn01", Role::Reception, agency("MC.26740")),
        CommandBody::ProvideSupplement,
        at("2026-01-12T09:00"),
    )
    .await;
    s.resolve(&g, "UB.26740", at("2026-01-14T10:00")).await;
    // H: timely apology moves the deadline; I: a late one does not.
    let hh = s.ward("Võ Văn Hùng", mon).await;
    s.run(
        &hh,
        Actor::officer("ld01", Role::Approver, agency("UB.26740")),
        CommandBody::Apologise {
            reason: "cần xác minh".into(),
            new_due_at: at("2026-01-13T17:00"),
        },
        at("2026-01-06T09:00"),
    )
    .await;
    s.resolve(&hh, "UB.26740", at("2026-01-12T10:00")).await;
    let i = s.ward("Ngô Thị Ích", mon).await;
    s.run(
        &i,
        Actor::officer("ld01", Role::Approver, agency("UB.26740")),
        CommandBody::Apologise {
            reason: "chậm".into(),
            new_due_at: at("2026-01-14T17:00"),
        },
        at("2026-01-09T09:00"),
    )
    .await;
    s.resolve(&i, "UB.26740", at("2026-01-13T10:00")).await;
    // J: withdrawn.
    let j = s.ward("Hồ Văn Khải", mon).await;
    s.run(
        &j,
        Actor::officer("tn01", Role::Reception, agency("MC.26740")),
        CommandBody::Withdraw {
            reason: "không có nhu cầu".into(),
        },
        at("2026-01-06T10:00"),
    )
    .await;
    // M: online.
    let m = s
        .online(
            "MC.26740",
            "UB.26740",
            "1.004194",
            "Lý Thị Mai",
            at("2026-01-05T20:00"),
            at("2026-01-06T09:00"),
        )
        .await;
    s.forward(
        &m,
        "MC.26740",
        "UB.26740",
        Role::Reception,
        at("2026-01-06T09:30"),
    )
    .await;
    s.resolve(&m, "UB.26740", at("2026-01-08T15:00")).await;
    // K, K2: province-level procedure received at the ward desk (liaison across levels).
    let k = s
        .receive("MC.26740", "UB.79", "2.001583", "Công ty An Phát", mon)
        .await;
    s.forward(&k, "MC.26740", "UB.79", Role::Reception, mon + h(1))
        .await;
    s.resolve(&k, "UB.79", at("2026-01-07T10:00")).await;
    let k2 = s
        .receive(
            "MC.26740",
            "UB.79",
            "2.001583",
            "Công ty Bình Minh",
            at("2026-01-05T09:30"),
        )
        .await;
    s.forward(
        &k2,
        "MC.26740",
        "UB.26740",
        Role::Reception,
        at("2026-01-05T10:00"),
    )
    .await;
    s.forward(
        &k2,
        "UB.26740",
        "UB.79",
        Role::Approver,
        at("2026-01-06T10:00"),
    )
    .await;
    s.resolve(&k2, "UB.79", at("2026-01-12T10:00")).await;
    // E: overdue at the end of January, resolved late in February. D: still open.
    let e = s.ward("Trịnh Văn Em", at("2026-01-26T09:00")).await;
    let d = s.ward("Mai Thị Dung", at("2026-01-29T09:00")).await;
    s.resolve(&e, "UB.26740", at("2026-02-02T10:00")).await;
    // Some results are handed back.
    for key in [&a, &b] {
        s.run(
            key,
            Actor::officer("tn01", Role::Reception, agency("MC.26740")),
            CommandBody::ReturnResult {
                method: ReturnMethod::Desk,
            },
            at("2026-01-09T14:00"),
        )
        .await;
    }
    // L: 3-level liaison in May 2025.
    let l = s
        .receive(
            "MC.26734",
            "UB.760",
            "1.013978",
            "Hộ kinh doanh Lan",
            at("2025-05-05T09:00"),
        )
        .await;
    s.forward(
        &l,
        "MC.26734",
        "UB.26734",
        Role::Reception,
        at("2025-05-05T10:00"),
    )
    .await;
    s.forward(
        &l,
        "UB.26734",
        "UB.760",
        Role::Approver,
        at("2025-05-12T10:00"),
    )
    .await;
    s.resolve(&l, "UB.760", at("2025-05-20T10:00")).await;

    // Project.
    let last = log.last_sequence(&unit("79")).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let projector = Projector::start(
        log.clone(),
        reference(),
        ProjectorConfig::new(Shard::province(unit("79")), dir.path().join("v")),
    )
    .await
    .unwrap();
    projector.run_until(last).await.unwrap();
    let v = projector.views();
    let later = at("2026-06-01T00:00");

    // The due times worked out by hand.
    let due = |k: &DossierKey| v.row(k).unwrap().unwrap().deadline.unwrap();
    assert_eq!(due(&a), at("2026-01-08T09:00"));
    assert_eq!(due(&f), at("2026-01-05T09:00"), "New Year 01–02/01 are off");
    assert_eq!(due(&d), at("2026-02-03T09:00"));
    assert_eq!(due(&e), at("2026-01-29T09:00"));
    assert_eq!(due(&m), at("2026-01-09T09:00"));
    assert_eq!(
        due(&g),
        at("2026-01-15T09:00"),
        "restarted after the supplement"
    );
    assert_eq!(
        due(&hh),
        at("2026-01-13T17:00"),
        "a timely apology moves the deadline"
    );
    assert_eq!(due(&i), at("2026-01-08T09:00"), "a late apology does not");
    let t = |k: &DossierKey| v.row(k).unwrap().unwrap().timeliness;
    assert_eq!(
        [
            t(&a),
            t(&b),
            t(&c),
            t(&f),
            t(&g),
            t(&hh),
            t(&i),
            t(&m),
            t(&k),
            t(&k2)
        ],
        [
            Some(Timeliness::Early),
            Some(Timeliness::OnTime),
            Some(Timeliness::Late),
            Some(Timeliness::OnTime),
            Some(Timeliness::Early),
            Some(Timeliness::Early),
            Some(Timeliness::Late),
            Some(Timeliness::Early),
            Some(Timeliness::Early),
            Some(Timeliness::Late)
        ]
    );

    // January 2026 at the ward: the ward's own dossiers only (K, K2 count at the province).
    let jan = v
        .bieu06(
            &unit("26740"),
            date("2026-01-01"),
            date("2026-01-31"),
            later,
        )
        .unwrap();
    assert_eq!(jan.judged_at, at("2026-02-01T00:00"));
    assert_eq!(jan.total, counts([1, 9, 1, 4, 2, 2, 1, 1, 1]));
    jan.total.check().unwrap();
    assert_eq!(jan.levels.len(), 1);
    assert_eq!(jan.levels[0].level, UnitLevel::Commune);
    assert_eq!(jan.levels[0].fields[0].field.as_str(), "CU_TRU");
    assert_eq!(
        jan.levels[0].fields[0].procedures[0].procedure.to_string(),
        "1.004194"
    );
    // Columns 3, 7, 11 and the standard on-time rate: (4 + 2) / 8.
    assert_eq!(jan.total.columns()[..], [11, 1, 9, 1, 8, 4, 2, 2, 2, 1, 1]);
    let rate = jan.total.on_time_rate(OnTimeConvention::Standard).unwrap();
    assert_eq!((rate.numerator, rate.denominator), (6, 8));

    // The province: the ward's rows plus K (early) and K2 (late) under the provincial level.
    let jan79 = v
        .bieu06(&unit("79"), date("2026-01-01"), date("2026-01-31"), later)
        .unwrap();
    assert_eq!(jan79.total, counts([1, 11, 1, 5, 2, 3, 1, 1, 1]));
    assert_eq!(
        level_total(
            v,
            "79",
            "2026-01-01",
            "2026-01-31",
            later,
            UnitLevel::Province
        ),
        counts([0, 2, 0, 1, 0, 1, 0, 0, 0])
    );
    assert_eq!(
        level_total(
            v,
            "79",
            "2026-01-01",
            "2026-01-31",
            later,
            UnitLevel::Commune
        ),
        counts([1, 9, 1, 4, 2, 2, 1, 1, 1])
    );
    // Receipts are counted where received: the ward desk took 12 in January (K and K2 included).
    let intake = v
        .intake(&unit("26740"), date("2026-01-01"), date("2026-01-31"))
        .unwrap();
    assert_eq!(
        (
            intake.total.direct,
            intake.total.online,
            intake.total.postal
        ),
        (11, 1, 0)
    );

    // First nine days: G is paused at the end (within time though its first due passed), H's
    // deadline was moved, I is overdue.
    let early_jan = v
        .bieu06(
            &unit("26740"),
            date("2026-01-01"),
            date("2026-01-09"),
            later,
        )
        .unwrap();
    assert_eq!(early_jan.total, counts([1, 7, 1, 2, 2, 1, 2, 1, 1]));

    // February: D and E carried over, E resolved late, D overdue at the end.
    let feb = v
        .bieu06(
            &unit("26740"),
            date("2026-02-01"),
            date("2026-02-28"),
            later,
        )
        .unwrap();
    assert_eq!(feb.total, counts([0, 0, 2, 0, 0, 1, 0, 1, 0]));
    // The same period while it runs: judged at `at` through the due-time index.
    let before_d = v
        .bieu06(
            &unit("26740"),
            date("2026-02-01"),
            date("2026-02-28"),
            at("2026-02-03T08:00"),
        )
        .unwrap();
    assert_eq!(before_d.judged_at, at("2026-02-03T08:00"));
    assert_eq!(before_d.total, counts([0, 0, 2, 0, 0, 1, 1, 0, 0]));
    let after_d = v
        .bieu06(
            &unit("26740"),
            date("2026-02-01"),
            date("2026-02-28"),
            at("2026-02-03T10:00"),
        )
        .unwrap();
    assert_eq!(after_d.total, counts([0, 0, 2, 0, 0, 1, 0, 1, 0]));

    // 3-level era: counted at the district that handles it and the province, not at the commune.
    let q2 = |u: &str| {
        v.bieu06(&unit(u), date("2025-04-01"), date("2025-06-30"), later)
            .unwrap()
    };
    assert_eq!(q2("760").total, counts([0, 1, 0, 1, 0, 0, 0, 0, 0]));
    assert_eq!(q2("760").levels[0].level, UnitLevel::District);
    assert_eq!(q2("79").total, q2("760").total);
    assert_eq!(q2("26734").total, Bieu06Counts::default());
    let q2_intake = v
        .intake(&unit("26734"), date("2025-04-01"), date("2025-06-30"))
        .unwrap();
    assert_eq!(q2_intake.total.direct, 1);

    // Decision 766 for January at the ward: A, B, D, F, H, J, M on time of 11; G is late under
    // 766 (the 6-day pause is subtracted, not restarted) though early in Biểu 06.
    let kpi = v
        .kpi766_inputs(
            &unit("26740"),
            date("2026-01-01"),
            date("2026-01-31"),
            later,
        )
        .unwrap();
    assert_eq!(kpi.total.dossiers, 11);
    assert_eq!(kpi.total.on_time(), 7);
    assert_eq!(kpi.total.pending_on_time, 1, "D");
    let r = kpi.total.rate().unwrap();
    assert_eq!((r.numerator, r.denominator), (7, 11));
    let kpi79 = v
        .kpi766_inputs(&unit("79"), date("2026-01-01"), date("2026-01-31"), later)
        .unwrap();
    assert_eq!((kpi79.total.dossiers, kpi79.total.on_time()), (13, 8));

    // Lists: overdue at the end of January is E; on 3 February at 10:00 it is D.
    let keys = |items: Vec<motcua_views::ListItem>| {
        items.into_iter().map(|i| i.row.key).collect::<Vec<_>>()
    };
    // Lists are of dossiers open now: E was overdue on 1 February but is resolved since.
    assert!(
        v.overdue(&Scope::Unit(unit("79")), at("2026-02-01T00:00"), 10)
            .unwrap()
            .is_empty()
    );
    let overdue_now = keys(
        v.overdue(&Scope::Unit(unit("79")), at("2026-02-03T10:00"), 10)
            .unwrap(),
    );
    assert_eq!(overdue_now, vec![d.clone()]);
    assert_eq!(
        keys(
            v.overdue(
                &Scope::Agency(agency("UB.26740")),
                at("2026-02-03T10:00"),
                10
            )
            .unwrap()
        ),
        vec![d.clone()]
    );
    assert!(
        v.overdue(&Scope::Unit(unit("26740")), at("2026-02-03T08:00"), 10)
            .unwrap()
            .is_empty()
    );
    // D waits at the ward committee.
    assert_eq!(
        keys(v.queue(&Scope::Agency(agency("UB.26740")), 10).unwrap()),
        vec![d.clone()]
    );
    // Results wait at the desk by appointment; the first is F's (05/01).
    let desk_queue = v.queue(&Scope::Agency(agency("MC.26740")), 100).unwrap();
    assert_eq!(
        desk_queue.first().map(|i| i.row.key.clone()),
        Some(f.clone())
    );
    assert!(
        desk_queue.iter().all(|i| i.row.key != a && i.row.key != b),
        "returned results leave the queue"
    );

    // Lookups: by code, with the control slip of a two-hop liaison.
    let k2_row = v.row(&k2).unwrap().unwrap();
    let detail = v
        .dossier_by_code(k2_row.code.as_ref().unwrap())
        .unwrap()
        .unwrap();
    let slip: Vec<(String, String)> = detail
        .control_slip
        .iter()
        .map(|r| (r.from.to_string(), r.to.to_string()))
        .collect();
    assert_eq!(
        slip,
        [
            ("MC.26740", "UB.26740"),
            ("UB.26740", "UB.79"),
            ("UB.79", "MC.26740")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(detail.row.handling_unit, Some(unit("79")));
    assert_eq!(detail.timeline.len(), 9);
    // Search ignores diacritics and case.
    let found: Vec<DossierKey> = v
        .search_applicant("nguyen van an", 10)
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(found, vec![a.clone()]);
    let found = v.search_applicant("DANG THI", 10).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key, g);
}
