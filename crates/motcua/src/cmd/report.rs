//! `motcua report`: the official report of a unit for a period (Biểu 06, the on-time rate in
//! every convention, Decision 766 indicators) as a terminal table, JSON, CSV or XLSX.
//!
//! It opens the province's read models under `<data-dir>/views/<province>` like `motcua
//! rebuild` does, so run it while `motcua up` is stopped.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use motcua_domain::Reference;
use motcua_domain::units::UnitCode;
use motcua_views::{Judging, OfficialReport, ReportQuery, Shard, Views};

use crate::cmd::views::views_dir;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable terminal table.
    Table,
    /// The report as JSON.
    Json,
    /// One CSV line per row of the form (stdout unless --out).
    Csv,
    /// An XLSX workbook laid out like Biểu số 06/VPCP/KSTT (needs --out).
    Xlsx,
}

/// Arguments of `motcua report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The unit: province (2 digits), district (3) or commune (5); the report covers it and every
    /// unit below it.
    #[arg(long)]
    pub unit: UnitCode,
    /// First day of the period (YYYY-MM-DD, local).
    #[arg(long)]
    pub from: Date,
    /// Last day of the period, inclusive.
    #[arg(long)]
    pub to: Date,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write to this file instead of standard output (required for xlsx).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The report as it stood at this instant: RFC 3339 (`2026-02-03T08:00:00+07:00`), or local
    /// time (`2026-02-03T08:00`, `2026-02-03`). Default: now.
    #[arg(long)]
    pub at: Option<String>,
    /// motcua's data directory (as for `motcua up`).
    #[arg(long, env = "MOTCUA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The province whose read models to open (default: the unit's province).
    #[arg(long)]
    pub province: Option<UnitCode>,
    /// One line per procedure under each field.
    #[arg(long)]
    pub detail: bool,
    /// Leave out the Decision 766 indicators 2.2, 3.6, 4.1 and 4.2 (for an as-of report of a
    /// running period they fold the unit's histories); Biểu 06, 2.1 and 3.3 remain.
    #[arg(long)]
    pub no_indicators: bool,
}

/// Reads `--at`: an RFC 3339 instant, or a local date-time or date in the calendar's offset.
pub fn parse_at(text: &str, reference: &Reference) -> anyhow::Result<Timestamp> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let local: DateTime = match text.parse::<DateTime>() {
        Ok(dt) => dt,
        Err(_) => text
            .parse::<Date>()
            .with_context(|| {
                format!("--at {text:?}: expected 2026-02-03T08:00:00+07:00, 2026-02-03T08:00 or 2026-02-03")
            })?
            .to_datetime(jiff::civil::Time::midnight()),
    };
    Ok(reference.calendar.config().utc_offset.to_timestamp(local)?)
}

/// The province of a unit code, in the newest unit list that has it.
pub fn province_of(unit: &UnitCode, reference: &Reference) -> Option<UnitCode> {
    reference
        .agencies
        .registry()
        .graphs()
        .iter()
        .rev()
        .find_map(|g| g.province_of(unit))
        .map(|p| p.code.clone())
}

/// The bytes of a report in a format.
pub fn render(report: &OfficialReport, format: Format, detail: bool) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        Format::Table => motcua_views::to_table(report, detail).into_bytes(),
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(report)?;
            v.push(b'\n');
            v
        }
        Format::Csv => motcua_views::to_csv(report, detail)?,
        Format::Xlsx => motcua_views::to_xlsx(report, detail)?,
    })
}

/// Makes the report from open views.
pub fn make(views: &Views, args: &Args, now: Timestamp) -> anyhow::Result<OfficialReport> {
    let (at, judging) = match &args.at {
        Some(text) => (parse_at(text, views.reference())?, Judging::AsOf),
        None => (now, Judging::Live),
    };
    let query = ReportQuery {
        unit: args.unit.clone(),
        from: args.from,
        to: args.to,
        at,
        judging,
        indicators: !args.no_indicators,
    };
    Ok(views.official_report(&query)?)
}

fn open(data_dir: &Path, province: &UnitCode, reference: Arc<Reference>) -> anyhow::Result<Views> {
    let path = views_dir(data_dir, province);
    if !path.exists() {
        bail!(
            "no read models at {} (run motcua up or motcua rebuild for province {province} first)",
            path.display()
        );
    }
    Views::open(&path, Shard::province(province.clone()), reference).with_context(|| {
        format!(
            "cannot open the views at {} (is motcua up still running?)",
            path.display()
        )
    })
}

/// `motcua report`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.format == Format::Xlsx && args.out.is_none() {
        bail!("--format xlsx needs --out FILE");
    }
    let reference = Arc::new(Reference::official());
    let province = match &args.province {
        Some(p) => p.clone(),
        None => province_of(&args.unit, &reference)
            .with_context(|| format!("unit {} is in no unit list", args.unit))?,
    };
    let views = open(&args.data_dir, &province, reference)?;
    let report = make(&views, &args, Timestamp::now())?;
    tracing::info!(
        unit = %report.unit,
        source = ?report.source,
        judged_at = %report.judged_at,
        dossiers_read = report.indicators.as_ref().map_or(0, |i| i.dossiers_read),
        "report made"
    );
    let bytes = render(&report, args.format, args.detail)?;
    match &args.out {
        Some(path) => std::fs::write(path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(&bytes).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                r => r?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(at: Option<&str>, no_indicators: bool) -> Args {
        Args {
            unit: "26740".parse().unwrap(),
            from: "2026-01-01".parse().unwrap(),
            to: "2026-01-31".parse().unwrap(),
            format: Format::Table,
            out: None,
            at: at.map(str::to_owned),
            data_dir: PathBuf::from("data"),
            province: None,
            detail: false,
            no_indicators,
        }
    }

    #[test]
    fn at_accepts_instants_local_times_and_dates() {
        let r = Reference::official();
        let want: Timestamp = "2026-02-03T01:00:00Z".parse().unwrap();
        assert_eq!(parse_at("2026-02-03T08:00:00+07:00", &r).unwrap(), want);
        assert_eq!(parse_at("2026-02-03T08:00", &r).unwrap(), want);
        assert_eq!(
            parse_at("2026-02-03", &r).unwrap(),
            "2026-02-02T17:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(parse_at("yesterday", &r).is_err());
    }

    #[test]
    fn a_unit_is_found_in_its_province() {
        let r = Reference::official();
        let p = |u: &str| province_of(&u.parse().unwrap(), &r).map(|p| p.to_string());
        assert_eq!(p("26740").as_deref(), Some("79"));
        assert_eq!(
            p("760").as_deref(),
            Some("79"),
            "a district of the 3-level list"
        );
        assert_eq!(p("79").as_deref(), Some("79"));
    }

    #[test]
    fn every_format_renders_an_empty_report() {
        let dir = tempfile::tempdir().unwrap();
        let views = Views::open(
            dir.path(),
            Shard::province("79".parse().unwrap()),
            Arc::new(Reference::official()),
        )
        .unwrap();
        let now: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
        let live = make(&views, &args(None, false), now).unwrap();
        assert_eq!(live.judging, Judging::Live);
        assert_eq!(live.unit_name, "Phường Sài Gòn");
        let table = String::from_utf8(render(&live, Format::Table, false).unwrap()).unwrap();
        assert!(table.contains("Tổng cộng"), "{table}");
        assert!(
            table.contains("Từ ngày 01/01/2026 đến ngày 31/01/2026"),
            "{table}"
        );
        let json: serde_json::Value =
            serde_json::from_slice(&render(&live, Format::Json, false).unwrap()).unwrap();
        assert_eq!(json["unit"], "26740");
        assert_eq!(json["bieu06"]["total"]["received_online"], 0);
        let csv = String::from_utf8(render(&live, Format::Csv, false).unwrap()).unwrap();
        assert_eq!(csv.lines().count(), 2, "header and the total: {csv}");
        let xlsx = render(&live, Format::Xlsx, false).unwrap();
        assert_eq!(&xlsx[..2], b"PK", "a zip archive");
        let past = make(&views, &args(Some("2026-01-15T10:00"), true), now).unwrap();
        assert_eq!(past.judging, Judging::AsOf);
        assert_eq!(
            past.judged_at,
            "2026-01-15T03:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(past.indicators.is_none());
    }
}
