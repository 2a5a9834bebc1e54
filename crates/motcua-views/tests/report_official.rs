//! The official report end to end, hand-computed: commands through the command service onto a
//! real nats-server, the projector into sled, then Biểu 06 (every column), the on-time rate in
//! every convention, the Decision 766 indicators, reports as of instants inside the month, and
//! the exports (XLSX unzipped and read cell by cell, CSV parsed back, the terminal table).
//!
//! Phường Sài Gòn (HCMC), desk MC.26740, committee UB.26740, procedure 1.004194 (3 working days,
//! 07:00–11:30 and 13:30–17:00, Saturday closed): a receipt on Monday 09:00 is due Thursday
//! 09:00. March 2026 (Monday 02/03):
//!
//! | dossier | story | Biểu 06, March | 766 2.1 | 2.2 working minutes | result | digitised |
//! |---|---|---|---|---|---|---|
//! | W | received Thu 26/02 09:00 (due Tue 03/03 09:00), result Mon 02/03 16:00 | 6, 8 | on time | 360 + 480 + 420 = 1260 | paper | no |
//! | P | received Mon 02/03 09:00 (due Thu 05/03 09:00), result Wed 04/03 10:00 | 5, 8 | on time | 360 + 480 + 180 = 1020 | electronic | scanned |
//! | Q | online, accepted Mon 02/03 08:00 (due Thu 05/03 08:00), result Thu 05/03 07:30 | 4, 9 | on time | 420 + 480 + 480 + 30 = 1410 | paper | online |
//! | R | received Mon 02/03 09:30; fee 10:00 → paid online 15:00; result Tue 10/03 10:00 | 5, 10 | late | 330 + 4 × 480 + 480 + 180 = 2910 | electronic | no |
//! | S | received Tue 03/03 09:00; supplements 03/03 10:00 → 04/03 09:00 and 04/03 10:00 → 05/03 09:00 (due restarts: Tue 10/03 09:00); result Fri 06/03 09:00 | 5, 8 | late (two requests) | 1440 − 420 − 420 = 600 | electronic | scanned |
//! | T | received Tue 03/03 09:00, withdrawn 14:00 | 5, note | on time | | | |
//! | U | received Mon 09/03 09:00; fee 09:30 → paid cash 11:00 (due moves by the pause: Thu 12/03 10:30); never resolved | 5, 13 | late (judged 01/04) | | | |
//! | V | received Mon 09/03 09:30 (due Thu 12/03 09:30), result Thu 12/03 10:00 | 5, 10 | late | 330 + 480 + 480 + 180 = 1470 | electronic | no |
//!
//! Totals: (3) 8 = (4) 1 + (5) 6 + (6) 1; (7) 6 = (8) 3 + (9) 1 + (10) 2; (11) 1 = (12) 0 + (13) 1;
//! ended otherwise 1; 8 = 6 + 1 + 1. Standard rate 4/6 = 66,67%; over dossiers that reached their
//! due date 4/7 = 57,14%; 100% − late share 5/8 = 62,50%. Decision 766: 2.1 4/8 (P, Q, T, W);
//! 2.2 8670 / 6 working minutes = 24,08 working hours; 4.1 4/6; 4.2 2/6 (P, S); 3.3 1/7;
//! 3.6 1/2.
//!
//! On Thursday 12/03, as of 09:15 U and V are pending within time; as of 09:45 V is overdue
//! (its deadline 09:30 has passed); as of 10:00 V is resolved late (an event at the instant has
//! happened); as of 10:45 U is overdue too. The live report cannot say this: V's result later
//! that day is already in the day's counters.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Read as _;

use common::{agency, at, date, reference, unit};
use jiff::Timestamp;
use motcua_command::CommandService;
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::{
    Actor, Applicant, Command, CommandBody, PaymentMethod, Proposal, Role,
};
use motcua_domain::report::{Bieu06Counts, OnTimeConvention};
use motcua_log::{CommitMeta, DossierKey, EventLog, LogSettings};
use motcua_testkit::NatsServer;
use motcua_views::{
    FormRowKind, Judging, OfficialReport, Projector, ProjectorConfig, ReportQuery, ReportSource,
    Shard, Views,
};
use uuid::Uuid;

struct Story {
    svc: CommandService,
}

impl Story {
    async fn run(&self, key: &DossierKey, actor: Actor, body: CommandBody, now: Timestamp) {
        let name = body.name();
        let cmd = Command {
            id: Uuid::now_v7(),
            actor,
            body,
        };
        self.svc
            .handle(key, cmd, CommitMeta::default(), now)
            .await
            .unwrap_or_else(|e| panic!("{name} at {now}: {e}"));
    }

    fn desk() -> Actor {
        Actor::officer("tn01", Role::Reception, agency("MC.26740"))
    }

    fn officer() -> Actor {
        Actor::officer("cv01", Role::HandlingOfficer, agency("UB.26740"))
    }

    /// Received at the ward desk for the ward committee, forwarded 30 minutes later.
    async fn ward(&self, name: &str, received: Timestamp, digitised: bool) -> DossierKey {
        let key = self.svc.new_key(&agency("MC.26740")).unwrap();
        self.run(
            &key,
            Self::desk(),
            CommandBody::Receive {
                code: None,
                procedure: Some("1.004194".parse().unwrap()),
                channel: Some(Channel::Direct),
                applicant: Some(Applicant::named(name)),
                handling_agency: agency("UB.26740"),
                digitised,
            },
            received,
        )
        .await;
        self.forward(&key, received + jiff::SignedDuration::from_mins(30))
            .await;
        key
    }

    async fn forward(&self, key: &DossierKey, now: Timestamp) {
        self.run(
            key,
            Self::desk(),
            CommandBody::Forward {
                to: agency("UB.26740"),
                note: None,
            },
            now,
        )
        .await;
    }

    /// Assign, appraise, submit, approve, issue (electronically or on paper), result ready at
    /// `ready`.
    async fn resolve(&self, key: &DossierKey, ready: Timestamp, electronic: bool) {
        let h = agency("UB.26740");
        let m = |n: i64| ready - jiff::SignedDuration::from_mins(n);
        let steps = [
            (
                Role::Approver,
                CommandBody::Assign {
                    officer: "cv01".into(),
                },
            ),
            (
                Role::HandlingOfficer,
                CommandBody::Appraise {
                    proposal: Proposal::Grant,
                    opinion: "đủ điều kiện".into(),
                },
            ),
            (Role::HandlingOfficer, CommandBody::SubmitForApproval),
            (Role::Approver, CommandBody::Approve),
            (
                Role::Clerk,
                CommandBody::Issue {
                    document_no: "7/XN".into(),
                    electronic,
                },
            ),
            (Role::Clerk, CommandBody::MarkResultReady),
        ];
        for (i, (role, body)) in steps.into_iter().enumerate() {
            let when = m(5 - i as i64);
            let id = match role {
                Role::Approver => "ld01",
                Role::HandlingOfficer => "cv01",
                _ => "vt01",
            };
            self.run(key, Actor::officer(id, role, h.clone()), body, when)
                .await;
        }
    }

    async fn fee(
        &self,
        key: &DossierKey,
        asked: Timestamp,
        paid: Timestamp,
        method: PaymentMethod,
    ) {
        self.run(
            key,
            Self::officer(),
            CommandBody::RequestFee {
                amount_vnd: 20_000,
                reason: "lệ phí".into(),
            },
            asked,
        )
        .await;
        self.run(
            key,
            Self::desk(),
            CommandBody::PayFee {
                amount_vnd: 20_000,
                method,
            },
            paid,
        )
        .await;
    }

    async fn supplement(&self, key: &DossierKey, asked: Timestamp, given: Timestamp) {
        self.run(
            key,
            Self::officer(),
            CommandBody::RequestSupplement {
                items: vec!["giấy xác nhận".into()],
            },
            asked,
        )
        .await;
        self.run(key, Self::desk(), CommandBody::ProvideSupplement, given)
            .await;
    }
}

/// Biểu 06 counts: online, direct/postal, carried over, early, on time, late, pending within
/// time, pending overdue, ended otherwise.
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

/// The cells of an XLSX sheet, by reference (`C9`): strings resolved through the shared
/// strings, numbers as written; and the merged ranges.
struct Sheet {
    cells: BTreeMap<String, String>,
    merged: Vec<String>,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The text of every `<t>` element of `xml`, concatenated.
fn texts(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<t") {
        let after = &rest[i..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        if after[..open_end].ends_with('/') {
            rest = &after[open_end + 1..];
            continue;
        }
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</t>") else {
            break;
        };
        out.push_str(&unescape(&body[..close]));
        rest = &body[close + 4..];
    }
    out
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    let end = tag[i..].find('"')?;
    Some(&tag[i..i + end])
}

fn read_xlsx(bytes: &[u8]) -> (Vec<String>, Vec<Sheet>) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut file = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let shared: Vec<String> = file("xl/sharedStrings.xml")
        .split("<si>")
        .skip(1)
        .map(texts)
        .collect();
    let workbook = file("xl/workbook.xml");
    let names: Vec<String> = workbook
        .split("<sheet ")
        .skip(1)
        .map(|t| unescape(attr(&format!(" {t}"), "name").unwrap()))
        .collect();
    let mut sheets = Vec::new();
    for n in 1..=names.len() {
        let xml = file(&format!("xl/worksheets/sheet{n}.xml"));
        let mut cells = BTreeMap::new();
        for chunk in xml.split("<c ").skip(1) {
            let tag_end = chunk.find('>').unwrap();
            let tag = format!(" {}", &chunk[..tag_end]);
            let r = attr(&tag, "r").unwrap().to_owned();
            if tag.ends_with('/') {
                continue;
            }
            let body = &chunk[tag_end + 1..chunk.find("</c>").unwrap()];
            let v = body
                .find("<v>")
                .map(|i| &body[i + 3..body.find("</v>").unwrap()])
                .unwrap_or_default();
            let value = match attr(&tag, "t") {
                Some("s") => shared[v.parse::<usize>().unwrap()].clone(),
                Some("inlineStr") => texts(body),
                _ => v.to_owned(),
            };
            cells.insert(r, value);
        }
        let merged = xml
            .split("<mergeCell ")
            .skip(1)
            .map(|t| attr(&format!(" {t}"), "ref").unwrap().to_owned())
            .collect();
        sheets.push(Sheet { cells, merged });
    }
    (names, sheets)
}

impl Sheet {
    fn get(&self, r: &str) -> &str {
        self.cells.get(r).map_or("", String::as_str)
    }

    /// The row (1-based) whose column B is `label`.
    fn row_of(&self, label: &str) -> u32 {
        self.cells
            .iter()
            .find(|(r, v)| r.starts_with('B') && v.as_str() == label)
            .map(|(r, _)| r[1..].parse().unwrap())
            .unwrap_or_else(|| panic!("no row {label:?}"))
    }

    /// Columns C to M (form columns 3 to 13) of a row.
    fn numbers(&self, row: u32) -> Vec<u64> {
        ('C'..='M')
            .map(|c| self.get(&format!("{c}{row}")).parse().unwrap())
            .collect()
    }

    fn any_contains(&self, needle: &str) -> bool {
        self.cells.values().any(|v| v.contains(needle))
    }
}

/// The server, the projector and the directories they live in, kept alive together.
struct World {
    _server: NatsServer,
    _dir: tempfile::TempDir,
    projector: Projector,
}

async fn build() -> (World, Vec<DossierKey>) {
    let server = NatsServer::start_single().await.unwrap();
    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap();
    let s = Story {
        svc: CommandService::new(log.clone(), reference()),
    };
    // W: carried over from February.
    let w = s.ward("Phan Văn Vũ", at("2026-02-26T09:00"), false).await;
    s.resolve(&w, at("2026-03-02T16:00"), false).await;
    // P: early, scanned, electronic result.
    let p = s.ward("Đỗ Thị Phúc", at("2026-03-02T09:00"), true).await;
    s.resolve(&p, at("2026-03-04T10:00"), true).await;
    // Q: online, on time on the due date, paper result.
    let q = s.svc.new_key(&agency("MC.26740")).unwrap();
    s.run(
        &q,
        Actor::applicant("acc-q"),
        CommandBody::SubmitOnline {
            procedure: "1.004194".parse().unwrap(),
            applicant: Applicant::named("Quách Văn Quý"),
            receiving_agency: agency("MC.26740"),
        },
        at("2026-03-01T20:00"),
    )
    .await;
    s.run(
        &q,
        Story::desk(),
        CommandBody::Receive {
            code: None,
            procedure: None,
            channel: None,
            applicant: None,
            handling_agency: agency("UB.26740"),
            digitised: false,
        },
        at("2026-03-02T08:00"),
    )
    .await;
    s.forward(&q, at("2026-03-02T08:30")).await;
    s.resolve(&q, at("2026-03-05T07:30"), false).await;
    // R: fee paid online, resolved late with an electronic result.
    let r = s.ward("Lâm Thị Rạng", at("2026-03-02T09:30"), false).await;
    s.fee(
        &r,
        at("2026-03-02T10:00"),
        at("2026-03-02T15:00"),
        PaymentMethod::OnlinePortal,
    )
    .await;
    s.resolve(&r, at("2026-03-10T10:00"), true).await;
    // S: two supplement requests.
    let sd = s.ward("Tạ Văn Sơn", at("2026-03-03T09:00"), true).await;
    s.supplement(&sd, at("2026-03-03T10:00"), at("2026-03-04T09:00"))
        .await;
    s.supplement(&sd, at("2026-03-04T10:00"), at("2026-03-05T09:00"))
        .await;
    s.resolve(&sd, at("2026-03-06T09:00"), true).await;
    // T: withdrawn.
    let t = s.ward("Hà Thị Tâm", at("2026-03-03T09:00"), false).await;
    s.run(
        &t,
        Story::desk(),
        CommandBody::Withdraw {
            reason: "không có nhu cầu".into(),
        },
        at("2026-03-03T14:00"),
    )
    .await;
    // U: fee paid in cash, never resolved. V: resolved late on its due date.
    let u = s.ward("Vương Văn Út", at("2026-03-09T09:00"), false).await;
    s.fee(
        &u,
        at("2026-03-09T09:30"),
        at("2026-03-09T11:00"),
        PaymentMethod::Cash,
    )
    .await;
    let v = s.ward("Kiều Thị Vân", at("2026-03-09T09:30"), false).await;
    s.resolve(&v, at("2026-03-12T10:00"), true).await;

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
    let world = World {
        _server: server,
        _dir: dir,
        projector,
    };
    (world, vec![w, p, q, r, sd, t, u, v])
}

fn query(from: &str, to: &str, when: Timestamp, judging: Judging) -> ReportQuery {
    ReportQuery {
        unit: unit("26740"),
        from: date(from),
        to: date(to),
        at: when,
        judging,
        indicators: true,
    }
}

fn march(v: &Views) -> OfficialReport {
    v.official_report(&query(
        "2026-03-01",
        "2026-03-31",
        at("2026-04-02T10:00"),
        Judging::Live,
    ))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_report_hand_computed() {
    let (world, keys) = build().await;
    let v = world.projector.views();
    let [w, p, q, r, sd, _t, u, vv] = keys.try_into().unwrap();
    // The due times worked out by hand.
    let due = |k: &DossierKey| v.row(k).unwrap().unwrap().deadline.unwrap();
    assert_eq!(due(&w), at("2026-03-03T09:00"));
    assert_eq!(due(&p), at("2026-03-05T09:00"));
    assert_eq!(due(&q), at("2026-03-05T08:00"));
    assert_eq!(
        due(&sd),
        at("2026-03-10T09:00"),
        "restarted after the second supplement"
    );
    assert_eq!(
        due(&u),
        at("2026-03-12T10:30"),
        "moved by the 1 h 30 fee pause"
    );
    assert_eq!(due(&vv), at("2026-03-12T09:30"));
    assert!(due(&r) < at("2026-03-10T10:00"));

    let m = march(v);
    assert_eq!(m.unit_name, "Phường Sài Gòn");
    assert_eq!(m.source, ReportSource::Counters);
    assert_eq!(m.judged_at, at("2026-04-01T00:00"));
    let total = counts([1, 6, 1, 3, 1, 2, 0, 1, 1]);
    assert_eq!(m.bieu06.total, total);
    total.check().unwrap();
    assert_eq!(m.bieu06.total.columns(), [8, 1, 6, 1, 6, 3, 1, 2, 1, 0, 1]);
    let rates: Vec<String> = m
        .on_time
        .iter()
        .map(|c| motcua_views::vn_rate(c.rate))
        .collect();
    assert_eq!(rates, ["66,67% (4/6)", "57,14% (4/7)", "62,50% (5/8)"]);
    assert_eq!(m.on_time[0].convention, OnTimeConvention::Standard);
    // Decision 766.
    assert_eq!((m.kpi766.dossiers, m.kpi766.on_time()), (8, 4));
    let ind = m.indicators.as_ref().unwrap();
    let t = &ind.total;
    assert_eq!(t.on_time, m.kpi766, "the indicators' 2.1 is Biểu 06's");
    // A closed period: every indicator comes from the counters, and equals the fold.
    assert_eq!((ind.dossiers_read, ind.histories_folded), (0, 0));
    let mut folded = v
        .kpi766_indicators_folded(
            &unit("26740"),
            date("2026-03-01"),
            date("2026-03-31"),
            at("2026-04-02T10:00"),
        )
        .unwrap();
    assert!(folded.histories_folded > 0);
    (folded.dossiers_read, folded.histories_folded) = (0, 0);
    assert_eq!(&folded, ind);
    assert_eq!(t.completed, 6);
    assert_eq!(
        t.handling_working_minutes,
        1260 + 1020 + 1410 + 2910 + 600 + 1470
    );
    assert_eq!((t.electronic_result, t.digitised_and_electronic), (4, 2));
    assert_eq!((t.received_online, t.received), (1, 7));
    assert_eq!(t.received_digitised, 3, "P and S scanned, Q online");
    assert_eq!((t.paid_online, t.fee_paid), (1, 2));
    let list: Vec<(&str, String)> = m
        .indicator_list()
        .iter()
        .map(|i| (i.code, format!("{:.2}", i.value.unwrap())))
        .collect();
    assert_eq!(
        list,
        [
            ("2.1", "50.00".to_owned()),
            ("2.2", "24.08".to_owned()),
            ("4.1", "66.67".to_owned()),
            ("4.2", "33.33".to_owned()),
            ("3.3", "14.29".to_owned()),
            ("3.6", "50.00".to_owned()),
        ]
    );

    // As of instants of Thursday 12/03, inside the running month.
    let as_of = |local: &str| {
        v.official_report(&query("2026-03-01", "2026-03-31", at(local), Judging::AsOf))
            .unwrap()
    };
    let r0915 = as_of("2026-03-12T09:15");
    assert_eq!(r0915.source, ReportSource::Histories);
    assert_eq!(r0915.judged_at, at("2026-03-12T09:15"));
    assert_eq!(r0915.bieu06.total, counts([1, 6, 1, 3, 1, 1, 2, 0, 1]));
    assert_eq!(
        as_of("2026-03-12T09:45").bieu06.total,
        counts([1, 6, 1, 3, 1, 1, 1, 1, 1]),
        "V's deadline 09:30 has passed"
    );
    assert_eq!(
        as_of("2026-03-12T10:00").bieu06.total,
        counts([1, 6, 1, 3, 1, 2, 1, 0, 1]),
        "V's result at 10:00 has happened"
    );
    assert_eq!(
        as_of("2026-03-12T10:45").bieu06.total,
        counts([1, 6, 1, 3, 1, 2, 0, 1, 1]),
        "U's deadline 10:30 has passed"
    );
    // The live report cannot rewind: V's result later that day is in the day's counters.
    let live = v
        .bieu06(
            &unit("26740"),
            date("2026-03-01"),
            date("2026-03-31"),
            at("2026-03-12T09:45"),
        )
        .unwrap();
    assert_ne!(live.total, as_of("2026-03-12T09:45").bieu06.total);
    // As of Monday 09/03 10:00: R (resolved 10/03) and S… are as they were then; 766 judged then.
    let mon = as_of("2026-03-09T10:00");
    assert_eq!(mon.bieu06.total, counts([1, 6, 1, 3, 1, 0, 2, 1, 1]));
    // U (received 09:00, fee asked 09:30: waiting, within) and V (09:30) within; R overdue.
    assert_eq!(
        (mon.kpi766.dossiers, mon.kpi766.on_time()),
        (8, 6),
        "W, P, Q, T ended on time; U, V open on time; R late, S two requests"
    );
    let mon_ind = mon.indicators.as_ref().unwrap();
    assert_eq!((mon_ind.total.fee_paid, mon_ind.total.paid_online), (1, 1));
    // As of a closed period: the counters, and the same as the live report.
    let feb = v
        .official_report(&query(
            "2026-02-01",
            "2026-02-28",
            at("2026-03-12T09:45"),
            Judging::AsOf,
        ))
        .unwrap();
    assert_eq!(feb.source, ReportSource::Counters);
    assert_eq!(feb.bieu06.total, counts([0, 1, 0, 0, 0, 0, 1, 0, 0]));

    // Form rows: level I (commune), field 1, total.
    let rows = m.form_rows(false);
    assert_eq!(
        rows.iter()
            .map(|r| (r.kind, r.stt.as_str()))
            .collect::<Vec<_>>(),
        [
            (FormRowKind::Level, "I"),
            (FormRowKind::Field, "1"),
            (FormRowKind::Total, "")
        ]
    );
    assert_eq!(rows[0].label, "Cấp xã");
    let field_name = rows[1].label.clone();
    assert!(!field_name.is_empty());
    assert_eq!(m.form_rows(true).len(), 4);
    assert_eq!(m.form_rows(true)[2].stt, "1.1");

    // XLSX, read back.
    let bytes = motcua_views::to_xlsx(&m, false).unwrap();
    let (names, sheets) = read_xlsx(&bytes);
    assert_eq!(names, ["Biểu 06", "Chỉ tiêu 766"]);
    let s = &sheets[0];
    assert_eq!(s.get("A1"), "Biểu số 06/VPCP/KSTT");
    assert_eq!(s.get("A2"), motcua_views::TITLE);
    assert_eq!(
        s.get("A3"),
        "Kỳ báo cáo: Từ ngày 01/03/2026 đến ngày 31/03/2026"
    );
    assert_eq!(s.get("A4"), "Đơn vị báo cáo: Phường Sài Gòn (mã 26740)");
    assert_eq!(s.get("A5"), "Số liệu tính đến: 00:00 ngày 01/04/2026");
    assert_eq!(s.get("A6"), "STT");
    assert_eq!(s.get("B6"), "Lĩnh vực, công việc giải quyết theo cấp");
    assert_eq!(s.get("C6"), "Số hồ sơ nhận giải quyết");
    assert_eq!(s.get("G6"), "Số hồ sơ đã giải quyết");
    assert_eq!(s.get("K6"), "Số hồ sơ đang giải quyết");
    for m_ref in ["A6:A7", "B6:B7", "C6:F6", "G6:J6", "K6:M6", "A2:M2"] {
        assert!(
            s.merged.iter().any(|x| x == m_ref),
            "{m_ref} in {:?}",
            s.merged
        );
    }
    let second: Vec<&str> = ('C'..='M')
        .map(|c| s.cells[&format!("{c}7")].as_str())
        .collect();
    assert_eq!(second, motcua_views::COLUMNS);
    assert_eq!(s.get("D7"), "Trong kỳ: Trực tuyến");
    let numbers: Vec<String> = ('A'..='M')
        .map(|c| s.get(&format!("{c}8")).to_owned())
        .collect();
    assert_eq!(
        numbers,
        (1..=13).map(|n| format!("({n})")).collect::<Vec<_>>()
    );
    assert_eq!(s.get("A9"), "I");
    assert_eq!(s.get("B9"), "Cấp xã");
    assert_eq!(s.get("A10"), "1");
    assert_eq!(s.get("B10"), field_name);
    let want = vec![8, 1, 6, 1, 6, 3, 1, 2, 1, 0, 1];
    assert_eq!(s.numbers(9), want);
    assert_eq!(s.numbers(10), want);
    let total_row = s.row_of("Tổng cộng");
    assert_eq!(total_row, 11);
    assert_eq!(s.numbers(total_row), want);
    assert!(s.any_contains("Hồ sơ kết thúc không có kết quả trong kỳ (rút, dừng xử lý, đóng do không bổ sung): 1; (3) = (7) + (11) + 1 = 8."));
    assert!(s.any_contains("66,67% (4/6)"));
    assert!(s.any_contains("57,14% (4/7)"));
    assert!(s.any_contains("62,50% (5/8)"));
    assert!(s.any_contains("chỉ tiêu 2.1 — Tỷ lệ hồ sơ xử lý đúng hạn: 50,00% (4/8)"));
    assert!(s.any_contains(
        "chỉ tiêu 2.2 — Thời gian giải quyết trung bình (giờ làm việc): 24,08 giờ (6 hồ sơ)"
    ));
    let k = &sheets[1];
    assert_eq!(k.get("A5"), "2.1");
    assert_eq!((k.get("C5"), k.get("D5")), ("4", "8"));
    assert_eq!(k.get("E5"), "50");
    assert_eq!(
        (k.get("A6"), k.get("C6"), k.get("D6")),
        ("2.2", "8670", "6")
    );
    assert_eq!(
        (k.get("A10"), k.get("C10"), k.get("D10")),
        ("3.6", "1", "2")
    );

    // CSV, parsed back.
    let csv_bytes = motcua_views::to_csv(&m, true).unwrap();
    let mut rd = csv::Reader::from_reader(csv_bytes.as_slice());
    assert_eq!(
        rd.headers().unwrap().iter().collect::<Vec<_>>(),
        motcua_views::CSV_HEADER
    );
    let recs: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    let kinds: Vec<&str> = recs.iter().map(|r| &r[4]).collect();
    assert_eq!(kinds, ["level", "field", "procedure", "total"]);
    for rec in &recs {
        assert_eq!(
            (&rec[0], &rec[1], &rec[2]),
            ("26740", "2026-03-01", "2026-03-31")
        );
        let cols: Vec<u64> = (10..21).map(|i| rec[i].parse().unwrap()).collect();
        assert_eq!(cols, want);
        assert_eq!(&rec[21], "1");
    }
    assert_eq!(&recs[2][8], "1.004194");
    assert_eq!(&recs[3][9], "Tổng cộng");

    // The terminal table.
    let table = motcua_views::to_table(&m, true);
    assert!(
        table.contains("Đơn vị báo cáo: Phường Sài Gòn (26740)"),
        "{table}"
    );
    assert!(table.contains("Kỳ báo cáo: Từ ngày 01/03/2026 đến ngày 31/03/2026"));
    let total_line = table.lines().find(|l| l.contains("Tổng cộng")).unwrap();
    let nums: Vec<u64> = total_line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(nums, want);
    assert!(table.contains("1.004194"), "procedure detail: {table}");
    assert!(table.contains("24,08 giờ làm việc (6 hồ sơ)"), "{table}");

    // JSON carries everything.
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["bieu06"]["total"]["pending_overdue"], 1);
    assert_eq!(
        json["indicators"]["total"]["handling_working_minutes"],
        8670
    );
    assert_eq!(json["on_time"][1]["convention"], "due_reached");
}

/// The published checks of the on-time conventions, as the exports print them.
#[test]
fn published_figures_print_as_published() {
    // Lâm Đồng, Q1 2020: 635,593 of 643,272 resolved dossiers on time or early.
    let lam_dong = Bieu06Counts {
        resolved_early: 600_000,
        resolved_on_time: 35_593,
        resolved_late: 643_272 - 635_593,
        ..Default::default()
    };
    assert_eq!(
        motcua_views::vn_rate(lam_dong.on_time_rate(OnTimeConvention::Standard)),
        "98,81% (635593/643272)"
    );
    // Vĩnh Phúc: 19,255 / 19,944 over the dossiers that reached their due date.
    let vinh_phuc = Bieu06Counts {
        resolved_on_time: 19_255,
        resolved_late: 500,
        pending_overdue: 19_944 - 19_255 - 500,
        ..Default::default()
    };
    assert_eq!(
        motcua_views::vn_rate(vinh_phuc.on_time_rate(OnTimeConvention::DueReached)),
        "96,55% (19255/19944)"
    );
    // Gia Lai's convention on the same counts: 100% − (late + overdue) / received.
    let gia_lai = Bieu06Counts {
        received_direct_postal: 19_944,
        ..vinh_phuc
    };
    assert_eq!(
        motcua_views::vn_rate(gia_lai.on_time_rate(OnTimeConvention::LateShare)),
        "96,55% (19255/19944)"
    );
    assert_eq!(motcua_views::vn_rate(None), "—");
}
