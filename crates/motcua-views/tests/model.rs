//! Model-based tests: the sled views equal a plain in-memory fold of the same events.
//!
//! Histories are random walks over the domain's `decide` (every commit is one the rules accept):
//! online and desk intake, liaison across levels in both hierarchies, supplements (provided and
//! expired), fees, apologies, withdrawals, stops, refusals. The model folds each dossier with
//! `evolve` and applies the domain's `classify` / `kpi766_on_time` to its state at the judging
//! instant; the views must give the same rows for every scope and period, the same queues,
//! overdue lists and search results.
//!
//! The property test feeds the messages to `Views::apply` directly, in random batch splits (many
//! cases, no server needed for the part under test); `projector_on_a_real_server_matches_the_model`
//! runs the same comparison end to end through a real nats-server and the durable projector, and
//! compares the digest with a rebuild.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use motcua_log::{EventLog, LogSettings};
use motcua_testkit::NatsServer;
use motcua_views::{Projector, ProjectorConfig, Shard, Views, rebuild};
use proptest::prelude::*;

fn open(dir: &std::path::Path) -> Views {
    Views::open(dir, Shard::province(unit("79")), reference()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, max_shrink_iters: 0, .. ProptestConfig::default() })]

    #[test]
    fn views_equal_a_plain_fold(
        seed in any::<u64>(),
        n in 5usize..45,
        splits in proptest::collection::vec(1usize..60, 1..6),
        // The writer's dossier cache: off, evicting all the time, and roomy.
        cache in prop::sample::select(vec![0usize, 2, 7, 4096]),
    ) {
        let dossiers = Generator::new(seed).dossiers(n);
        let model = Model::new(&dossiers);
        let all = deliveries(&dossiers, 1);
        let dir = tempfile::tempdir().unwrap();
        let views = open(dir.path());
        views.set_cache_capacity(cache).unwrap();
        let mut rest = all.as_slice();
        let mut i = 0;
        while !rest.is_empty() {
            let k = splits[i % splits.len()].min(rest.len());
            views.apply(&rest[..k]).unwrap();
            rest = &rest[k..];
            i += 1;
        }
        prop_assert_eq!(views.checkpoint().unwrap(), all.len() as u64);
        assert_views_match(&views, &model, &format!("seed {seed}"));

        // Same events, one batch, another store: same bytes.
        let dir2 = tempfile::tempdir().unwrap();
        let other = open(dir2.path());
        other.apply(&all).unwrap();
        prop_assert_eq!(views.digest().unwrap(), other.digest().unwrap());

        // Re-applying is a no-op; a reset and a second pass give the same digest.
        let before = views.digest().unwrap();
        let again = views.apply(&all).unwrap();
        prop_assert_eq!(again.skipped, all.len() as u64);
        prop_assert_eq!(views.digest().unwrap(), before);
        views.reset().unwrap();
        prop_assert_eq!(views.checkpoint().unwrap(), 0);
        views.apply(&all).unwrap();
        prop_assert_eq!(views.digest().unwrap(), before);
    }
}

/// The generator reaches every column: otherwise the property above proves little.
#[test]
fn generated_histories_cover_every_column() {
    let dossiers = Generator::new(7).dossiers(400);
    let c = coverage(&dossiers);
    for k in [
        "early",
        "on_time",
        "late",
        "withdrawn",
        "open",
        "paused",
        "apologised",
        "liaison",
    ] {
        assert!(c.get(k).copied().unwrap_or(0) > 0, "no {k} in {c:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projector_on_a_real_server_matches_the_model() {
    let server = NatsServer::start_single().await.unwrap();
    let log = EventLog::connect(&server.client_url(), LogSettings::default())
        .await
        .unwrap();
    let dossiers = Generator::new(42).dossiers(300);
    let model = Model::new(&dossiers);
    let n = append_all(&log, &dossiers, 32).await;
    let last = log.last_sequence(&unit("79")).await.unwrap();
    assert_eq!(n, last);

    let dir = tempfile::tempdir().unwrap();
    let config = ProjectorConfig::new(Shard::province(unit("79")), dir.path().join("views"));
    let projector = Projector::start(log.clone(), reference(), config)
        .await
        .unwrap();
    assert!(projector.healed().is_none());
    projector.run_until(last).await.unwrap();
    assert_views_match(projector.views(), &model, "real server");

    // A rebuild from the stream into a fresh store gives the same digest.
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Views::open(
        fresh_dir.path(),
        Shard::named(unit("79"), "rebuild-check").unwrap(),
        Arc::clone(&reference()),
    )
    .unwrap();
    let mut reports = 0;
    let p = rebuild(&log, &fresh, |_| reports += 1).await.unwrap();
    assert_eq!(p.seq, last);
    assert!(reports > 0);
    assert_eq!(projector.views().digest().unwrap(), fresh.digest().unwrap());
}

/// A migrated history arrives as one message per dossier (every original command inside it, at
/// its own time): the views must be those of the same events arriving command by command.
#[test]
fn imported_histories_give_the_same_views_as_live_commits() {
    for seed in [3u64, 11, 29] {
        let dossiers = Generator::new(seed).dossiers(60);
        let model = Model::new(&dossiers);
        let importer = motcua_domain::dossier::Actor {
            id: "import".into(),
            role: motcua_domain::dossier::Role::Importer,
            agency: None,
        };
        let deliveries: Vec<motcua_views::Delivery> = dossiers
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let state = motcua_domain::dossier::Dossier::replay(d.events());
                let env = motcua_log::Envelope::for_import(
                    &d.key,
                    state.code.as_ref(),
                    state.rule_set.as_deref(),
                    &d.commits,
                    &motcua_log::ImportOrigin {
                        importer: importer.clone(),
                        batch_id: uuid::Uuid::now_v7(),
                        meta: Default::default(),
                    },
                    "",
                )
                .unwrap();
                motcua_views::Delivery {
                    seq: i as u64 + 1,
                    subject: env.subject.subject(),
                    payload: bytes::Bytes::from(env.encode()),
                }
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let views = open(dir.path());
        views.apply(&deliveries).unwrap();
        assert_views_match(&views, &model, &format!("imported, seed {seed}"));
    }
}
