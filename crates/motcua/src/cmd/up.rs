//! `motcua up`: everything on one machine.
//!
//! Without `--nats-url` (or `NATS_URL`) it starts its own nats-server, the pinned release found
//! in the project's lookup order, storing under `<data-dir>/nats` with fsync before every ack,
//! and stops it on exit. Then it connects (refusing servers below the floor) and serves commands
//! over NATS request/reply.
//! `--demo` walks a dossier through its whole life at a Hồ Chí Minh City ward and keeps serving.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::cmd::projectors::Projectors;
use anyhow::Context;
use jiff::Timestamp;
use motcua_api::{ActorDirectory, ApiSettings, AppState, NodeHealth};
use motcua_command::CommandService;
use motcua_domain::Reference;
use motcua_log::embedded::EmbeddedServer;
use motcua_log::{EventLog, LogSettings};

/// Arguments of `motcua up`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where motcua keeps its files: the embedded server's store and the views (sled).
    #[arg(long, env = "MOTCUA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Use this NATS server (or comma-separated cluster) instead of starting one.
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,
    /// Client port of the embedded nats-server (0: any free port).
    #[arg(long, env = "MOTCUA_NATS_PORT", default_value_t = 14222)]
    pub nats_port: u16,
    /// Stream replicas: 1 on a single node, 3 on a cluster.
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Address of the HTTP API.
    #[arg(long, env = "MOTCUA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// The accounts of the HTTP API (TOML or JSON: officers and portal accounts with token
    /// hashes; see crates/motcua-api/actors.example.toml). With --demo and no file, demo
    /// accounts are made and their tokens printed.
    #[arg(long, env = "MOTCUA_ACTORS")]
    pub actors: Option<PathBuf>,
    /// Walk a demo dossier through its whole life, then keep serving.
    #[arg(long)]
    pub demo: bool,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            args.data_dir.display()
        )
    })?;
    let mut embedded = None;
    let url = match &args.nats_url {
        Some(url) => url.clone(),
        None => {
            let port = (args.nats_port != 0).then_some(args.nats_port);
            let server = EmbeddedServer::start_in(&args.data_dir, port)
                .await
                .context("cannot start the embedded nats-server")?;
            let url = server.client_url();
            say!(
                "nats-server started at {url} (store {}, fsync before every ack)",
                args.data_dir.join("nats").display()
            );
            embedded = Some(server);
            url
        }
    };
    let result = serve(&args, &url).await;
    if let Some(server) = embedded.as_mut() {
        server
            .stop_graceful()
            .await
            .context("stopping nats-server")?;
        say!("nats-server stopped");
    }
    result
}

async fn serve(args: &Args, url: &str) -> anyhow::Result<ExitCode> {
    let settings = LogSettings {
        replicas: args.replicas,
        ..LogSettings::default()
    };
    let log = EventLog::connect(url, settings).await?;
    say!("connected to nats-server {}", log.server_version());
    let reference = Arc::new(Reference::official());
    let service = CommandService::new(log.clone(), reference.clone());
    let server = tokio::spawn(motcua_command::nats::serve(service.clone()));

    let (stop_projectors, projectors_stop) = tokio::sync::watch::channel(false);
    let health = NodeHealth::default();
    let probe = tokio::spawn(disk::probe(args.data_dir.clone(), health.clone()));
    let mut projectors = Projectors::new(
        log.clone(),
        reference.clone(),
        args.data_dir.join("views"),
        health.clone(),
        projectors_stop,
    );
    if args.demo {
        projectors.ensure(&"79".parse()?).await?;
    }
    projectors.discover().await?;
    let views = projectors.views();
    let supervisor = tokio::spawn(projectors.supervise(std::time::Duration::from_secs(5)));

    let actors = match (&args.actors, args.demo) {
        (Some(path), _) => {
            let actors = ActorDirectory::load(path)
                .with_context(|| format!("accounts file {}", path.display()))?;
            actors.check_offices(service.reference())?;
            actors
        }
        (None, true) => demo::accounts()?,
        (None, false) => {
            tracing::warn!(
                "no accounts file (--actors): every HTTP request will be refused with 401"
            );
            ActorDirectory::from_accounts([])?
        }
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let http_addr = listener.local_addr()?;
    let state = AppState::new(service.clone(), actors)
        .with_settings(ApiSettings::default().with_env(|n| std::env::var(n).ok())?)
        .with_views(views)
        .with_health(health);
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let http = tokio::spawn(motcua_api::serve(listener, state, async move {
        let _ = http_stopped.await;
    }));

    say!("commands: NATS request/reply on motcua.cmd.<province>.<office> (see docs/events.md)");
    say!("HTTP API: http://{http_addr}/v1 (OpenAPI at http://{http_addr}/openapi.json)");
    let mut trickle = None;
    if args.demo {
        demo::run(&service, Timestamp::now()).await?;
        trickle = Some(demo::province(&service).await?);
    }
    say!("motcua is up; Ctrl-C stops it");
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
        r = server => {
            r.context("the command service stopped")?.context("the command service failed")?;
        }
    }
    say!("stopping");
    probe.abort();
    if let Some(t) = trickle {
        t.abort();
    }
    let _ = stop_http.send(());
    let _ = stop_projectors.send(true);
    if let Err(e) = supervisor.await {
        tracing::warn!(error = %e, "the projectors did not stop cleanly");
    }
    match http.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "the HTTP API stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "the HTTP API task failed"),
    }
    Ok(ExitCode::SUCCESS)
}

mod disk {
    //! The data disk probe: whether the directory holding sled (the views) takes durable
    //! writes, every second.
    //!
    //! sled learns of a full or read-only disk only when it writes, and then refuses every
    //! write until it is opened again; an idle node would look healthy. The probe writes and
    //! fsyncs a small file, so `/readyz` turns 503 within a second of the fault and back within
    //! a second of its end, and HTTP commands are refused meanwhile.

    use std::io::Write as _;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use motcua_api::NodeHealth;

    const EVERY: Duration = Duration::from_secs(1);
    const PROBE_FILE: &str = ".motcua-disk-probe";

    pub async fn probe(data_dir: PathBuf, health: NodeHealth) {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            let dir = data_dir.clone();
            let problem = match tokio::task::spawn_blocking(move || write_probe(&dir)).await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(e) => Some(format!("probe task failed: {e}")),
            };
            let before = health.storage_problem();
            match (&before, &problem) {
                (None, Some(p)) => {
                    tracing::error!(problem = %p, "the data disk refuses writes; not ready")
                }
                (Some(_), None) => tracing::warn!("the data disk takes writes again"),
                _ => {}
            }
            health.set_storage_problem(problem);
        }
    }

    fn write_probe(dir: &Path) -> std::io::Result<()> {
        let path = dir.join(PROBE_FILE);
        let mut f = std::fs::File::create(&path)?;
        f.write_all(&[0u8; 4096])?;
        f.sync_all()?;
        drop(f);
        std::fs::remove_file(&path)
    }
}

mod demo {
    //! A dossier's whole life at the one-stop desk of Phường Sài Gòn, printed step by step.

    use jiff::Timestamp;
    use motcua_api::ActorDirectory;
    use motcua_api::auth::{Account, AccountKind};
    use motcua_command::CommandService;
    use motcua_domain::catalogue::Channel;
    use motcua_domain::dossier::{
        Actor, Applicant, Command, CommandBody, Proposal, ReturnMethod, Role,
    };
    use motcua_domain::units::AgencyId;
    use motcua_log::CommitMeta;
    use uuid::Uuid;

    /// Demo accounts with fresh tokens, printed once: a desk officer, the ward office's handling
    /// officer (also clerk) and head, a reporter, a portal account.
    pub fn accounts() -> anyhow::Result<ActorDirectory> {
        let officers: [(&str, &str, &str, &[Role]); 4] = [
            (
                "demo-tiepnhan",
                "Cán bộ tiếp nhận",
                "MC.26740",
                &[Role::Reception],
            ),
            (
                "demo-chuyenvien",
                "Chuyên viên",
                "UB.26740",
                &[Role::HandlingOfficer, Role::Clerk],
            ),
            ("demo-lanhdao", "Lãnh đạo", "UB.26740", &[Role::Approver]),
            ("demo-baocao", "Báo cáo", "UB.79", &[Role::Reporter]),
        ];
        let mut accounts = Vec::new();
        say!("demo accounts (tokens shown once):");
        for (id, name, office, roles) in officers {
            let token = motcua_api::new_token()?;
            say!(
                "  {id:<16} {office:<9} {:<28} {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                token.token.expose_secret()
            );
            accounts.push((
                Account {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    kind: AccountKind::Officer {
                        office: office.parse()?,
                        roles: roles.to_vec(),
                    },
                },
                token.sha256,
            ));
        }
        let token = motcua_api::new_token()?;
        say!(
            "  {:<16} {:<9} {:<28} {}",
            "demo-congdan",
            "portal",
            "applicant",
            token.token.expose_secret()
        );
        accounts.push((
            Account {
                id: "demo-congdan".to_owned(),
                name: String::new(),
                kind: AccountKind::Applicant,
            },
            token.sha256,
        ));
        Ok(ActorDirectory::from_accounts(accounts)?)
    }

    /// A simulated Hồ Chí Minh City: 30 days of history at 1 % of its real volume, imported at
    /// once, then a live trickle in the background.
    pub async fn province(service: &CommandService) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        let reference = service.reference().clone();
        let settings = motcua_sim::SimSettings {
            scale: 0.01,
            ..motcua_sim::SimSettings::default()
        };
        let sim = motcua_sim::Simulation::new(reference.clone(), settings)?;
        let today = reference.calendar.local_date(Timestamp::now());
        let from = today.checked_sub(jiff::Span::new().days(30))?;
        let started = std::time::Instant::now();
        let summary = crate::cmd::simulate::import_history(
            service.log().clone(),
            reference,
            sim.dossiers(from, 30)?,
        )
        .await?;
        say!(
            "demo province: {} dossiers of Hồ Chí Minh City since {from} imported in {:.1} s; a live trickle follows",
            summary.imported,
            started.elapsed().as_secs_f64()
        );
        let service = service.clone();
        Ok(tokio::spawn(async move {
            let (sent, refused) = crate::cmd::simulate::trickle(
                &sim,
                motcua_sim::LiveRate::Profile,
                std::future::pending(),
                |step| {
                    let service = service.clone();
                    async move {
                        let Ok(key) = motcua_log::DossierKey::new(step.province, step.dossier)
                        else {
                            return false;
                        };
                        let mut command = step.command;
                        if let CommandBody::Receive { code, .. } = &mut command.body {
                            *code = None;
                        }
                        service
                            .handle(&key, command, CommitMeta::default(), Timestamp::now())
                            .await
                            .is_ok()
                    }
                },
            )
            .await;
            tracing::info!(sent, refused, "demo trickle ended");
        }))
    }

    pub async fn run(service: &CommandService, now: Timestamp) -> anyhow::Result<()> {
        let desk: AgencyId = "MC.26740".parse()?;
        let office: AgencyId = "UB.26740".parse()?;
        let key = service.new_key(&desk)?;
        let reception = Actor::officer("demo-tiepnhan", Role::Reception, desk.clone());
        let officer = Actor::officer("demo-chuyenvien", Role::HandlingOfficer, office.clone());
        let head = Actor::officer("demo-lanhdao", Role::Approver, office.clone());
        let clerk = Actor::officer("demo-vanthu", Role::Clerk, office.clone());
        let steps: Vec<(&str, Actor, CommandBody)> = vec![
            (
                "tiếp nhận (receive)",
                reception.clone(),
                CommandBody::Receive {
                    code: None,
                    procedure: Some("1.004194".parse()?),
                    channel: Some(Channel::Direct),
                    applicant: Some(Applicant::named("Công dân minh hoạ")),
                    handling_agency: office.clone(),
                    digitised: true,
                },
            ),
            (
                "chuyển xử lý (forward)",
                reception.clone(),
                CommandBody::Forward {
                    to: office.clone(),
                    note: None,
                },
            ),
            (
                "phân công (assign)",
                head.clone(),
                CommandBody::Assign {
                    officer: officer.id.clone(),
                },
            ),
            (
                "thẩm định (appraise)",
                officer.clone(),
                CommandBody::Appraise {
                    proposal: Proposal::Grant,
                    opinion: "Hồ sơ đủ điều kiện".into(),
                },
            ),
            (
                "trình duyệt (submit for approval)",
                officer.clone(),
                CommandBody::SubmitForApproval,
            ),
            ("phê duyệt (approve)", head, CommandBody::Approve),
            (
                "ban hành (issue)",
                clerk.clone(),
                CommandBody::Issue {
                    document_no: "01/XN-DEMO".into(),
                    electronic: true,
                },
            ),
            (
                "có kết quả (result ready)",
                clerk,
                CommandBody::MarkResultReady,
            ),
            (
                "trả kết quả (return)",
                reception,
                CommandBody::ReturnResult {
                    method: ReturnMethod::Desk,
                },
            ),
        ];
        say!("demo dossier {key} (temporary residence, 3 working days):");
        for (label, actor, body) in steps {
            let command = Command {
                id: Uuid::now_v7(),
                actor,
                body,
            };
            let out = service
                .handle(&key, command, CommitMeta::default(), now)
                .await?;
            let code = out.code.map(|c| c.to_string()).unwrap_or_default();
            say!(
                "  {label:<34} status {:>2}  message {:>5}  {code}",
                out.status_code.unwrap_or(0),
                out.stream_seq
            );
        }
        let state = service.load(&key).await?;
        let cal = &service.reference().calendar;
        let local = |t: Option<Timestamp>| {
            t.map(|t| cal.local(t).strftime("%d/%m/%Y %H:%M").to_string())
                .unwrap_or_default()
        };
        say!(
            "  received {}, due {}, result ready {}: {}",
            local(state.received_at),
            local(state.due_at),
            local(state.resolved_at),
            match state.timeliness {
                Some(motcua_domain::calendar::Timeliness::Early) => "trước hạn (early)",
                Some(motcua_domain::calendar::Timeliness::OnTime) => "đúng hạn (on time)",
                Some(motcua_domain::calendar::Timeliness::Late) => "quá hạn (late)",
                None => "",
            }
        );
        Ok(())
    }
}
