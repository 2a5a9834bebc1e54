//! Writing an [`OfficialReport`]: a terminal table, CSV, and XLSX laid out like Biểu số
//! 06/VPCP/KSTT (title, unit, period, two header rows with the merged groups, column numbers 1 to
//! 13, rows by level then field, "Tổng cộng", and the notes).
//!
//! Pure functions of the report: the HTTP edge and the command line write the same bytes.

use std::fmt::Write as _;

use jiff::civil::{Date, DateTime};
use motcua_domain::report::{OnTimeConvention, Rate};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::report_official::{
    FormRowKind, Indicator, IndicatorUnit, OfficialReport, convention_label, level_label,
};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The XLSX writer failed.
    #[error("XLSX: {0}")]
    Xlsx(#[from] XlsxError),
    /// The CSV writer failed.
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// Finishing the CSV failed.
    #[error("CSV: {0}")]
    CsvFlush(String),
}

/// The form's title.
pub const TITLE: &str = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC";

/// The three groups of the first header row, with their first and last column (1-based, as
/// numbered on the form).
pub const GROUPS: [(&str, u16, u16); 3] = [
    ("Số hồ sơ nhận giải quyết", 3, 6),
    ("Số hồ sơ đã giải quyết", 7, 10),
    ("Số hồ sơ đang giải quyết", 11, 13),
];

/// The second header row, columns 3 to 13.
pub const COLUMNS: [&str; 11] = [
    "Tổng số",
    "Trong kỳ: Trực tuyến",
    "Trong kỳ: Trực tiếp, dịch vụ bưu chính",
    "Từ kỳ trước",
    "Tổng số",
    "Trước hạn",
    "Đúng hạn",
    "Quá hạn",
    "Tổng số",
    "Trong hạn",
    "Quá hạn",
];

/// Column 2's header.
pub const LABEL_HEADER: &str = "Lĩnh vực, công việc giải quyết theo cấp";

/// A date as printed on the form: `dd/mm/yyyy`.
pub fn vn_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// A local time as printed: `HH:MM ngày dd/mm/yyyy`.
pub fn vn_datetime(t: DateTime) -> String {
    format!(
        "{:02}:{:02} ngày {}",
        t.hour(),
        t.minute(),
        vn_date(t.date())
    )
}

/// A number with a decimal comma and two decimals (`75,00`).
pub fn vn_decimal(v: f64) -> String {
    format!("{v:.2}").replace('.', ",")
}

/// A rate as printed: `75,00% (6/8)`, or `—` for a rate of nothing.
pub fn vn_rate(r: Option<Rate>) -> String {
    match r {
        Some(r) => format!(
            "{}% ({}/{})",
            vn_decimal(r.percent()),
            r.numerator,
            r.denominator
        ),
        None => "—".to_owned(),
    }
}

/// The period line: `Từ ngày 01/01/2026 đến ngày 31/01/2026`.
pub fn period_line(r: &OfficialReport) -> String {
    format!("Từ ngày {} đến ngày {}", vn_date(r.from), vn_date(r.to))
}

fn indicator_value(i: &Indicator) -> String {
    match (i.value, i.unit) {
        (None, _) => "—".to_owned(),
        (Some(v), IndicatorUnit::Percent) => {
            format!("{}% ({}/{})", vn_decimal(v), i.numerator, i.denominator)
        }
        (Some(v), IndicatorUnit::WorkingHours) => {
            format!("{} giờ ({} hồ sơ)", vn_decimal(v), i.denominator)
        }
    }
}

/// The note lines under the table: the dossiers ended otherwise (so that the form's invariant
/// can be checked), the on-time rate in every convention and the Decision 766 indicators.
pub fn notes(r: &OfficialReport) -> Vec<String> {
    let t = &r.bieu06.total;
    let mut out = vec![
        "Ghi chú:".to_owned(),
        format!(
            "- Hồ sơ kết thúc không có kết quả trong kỳ (rút, dừng xử lý, đóng do không bổ sung): {}; (3) = (7) + (11) + {} = {}.",
            t.ended_otherwise,
            t.ended_otherwise,
            t.resolved_total() + t.pending_total() + t.ended_otherwise
        ),
        format!(
            "- Số hồ sơ đang giải quyết tính đến {}.",
            vn_datetime(r.judged_at_local)
        ),
    ];
    for c in &r.on_time {
        let name = match c.convention {
            OnTimeConvention::Standard => "Tỷ lệ giải quyết đúng hạn",
            OnTimeConvention::DueReached => "Tỷ lệ đúng hạn theo hồ sơ đã đến hạn",
            OnTimeConvention::LateShare => "Tỷ lệ đúng hạn theo tỷ lệ quá hạn",
        };
        out.push(format!(
            "- {name}, {}: {}.",
            convention_label(c.convention),
            vn_rate(c.rate)
        ));
    }
    for i in r.indicator_list() {
        out.push(format!(
            "- Quyết định 766/QĐ-TTg, chỉ tiêu {} — {}: {}.",
            i.code,
            i.label,
            indicator_value(&i)
        ));
    }
    out
}

/// A readable terminal table of the report.
pub fn to_table(r: &OfficialReport, detail: bool) -> String {
    let rows = r.form_rows(detail);
    let mut s = String::new();
    let _ = writeln!(s, "{} — {}", r.form, TITLE);
    let _ = writeln!(s, "Đơn vị báo cáo: {} ({})", r.unit_name, r.unit);
    let _ = writeln!(s, "Kỳ báo cáo: {}", period_line(r));
    let _ = writeln!(s, "Đơn vị tính: Số hồ sơ TTHC");
    let _ = writeln!(s);
    let label_w = rows
        .iter()
        .map(|row| row.label.chars().count() + indent(row.kind))
        .chain([LABEL_HEADER.chars().count().min(40)])
        .max()
        .unwrap_or(10)
        .min(60);
    let num_w = rows
        .iter()
        .flat_map(|row| row.counts.columns())
        .map(|n| n.to_string().len())
        .max()
        .unwrap_or(1)
        .max(5);
    let stt_w = rows
        .iter()
        .map(|row| row.stt.len())
        .max()
        .unwrap_or(3)
        .max(3);
    // Group line, then column numbers with a legend.
    let mut head = format!("{:stt_w$}  {:label_w$}", "", "");
    for ((_, a, b), short) in
        GROUPS
            .iter()
            .zip(["Nhận giải quyết", "Đã giải quyết", "Đang giải quyết"])
    {
        let width = usize::from(b - a + 1) * (num_w + 1) - 1;
        let _ = write!(head, " {:^width$}", pad(short, width).trim_end());
    }
    let _ = writeln!(s, "{}", head.trim_end());
    let mut line = format!("{:stt_w$}  {}", "STT", pad(LABEL_HEADER, label_w));
    for n in 3..=13 {
        let _ = write!(line, " {:>num_w$}", format!("({n})"));
    }
    let _ = writeln!(s, "{line}");
    let _ = writeln!(s, "{}", "-".repeat(line.chars().count()));
    for row in &rows {
        if row.kind == FormRowKind::Total {
            let _ = writeln!(s, "{}", "-".repeat(line.chars().count()));
        }
        let label = format!("{}{}", " ".repeat(indent(row.kind)), row.label);
        let mut l = format!("{:stt_w$}  {}", row.stt, pad(&label, label_w));
        for v in row.counts.columns() {
            let _ = write!(l, " {v:>num_w$}");
        }
        let _ = writeln!(s, "{l}");
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Cột: (3) tổng nhận = (4) trực tuyến + (5) trực tiếp, bưu chính + (6) từ kỳ trước; (7) đã giải quyết = (8) trước hạn + (9) đúng hạn + (10) quá hạn; (11) đang giải quyết = (12) trong hạn + (13) quá hạn."
    );
    for n in notes(r) {
        let _ = writeln!(s, "{n}");
    }
    if let Some(ind) = &r.indicators {
        let with_results: Vec<_> = ind.rows.iter().filter(|x| x.counts.completed > 0).collect();
        if !with_results.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "Thời gian giải quyết trung bình theo thủ tục (chỉ tiêu 2.2):"
            );
            for x in with_results {
                let _ = writeln!(
                    s,
                    "  {} {} / {}: {} giờ làm việc ({} hồ sơ)",
                    level_label(x.level),
                    x.field.as_str(),
                    x.procedure,
                    x.counts
                        .average_working_hours()
                        .map_or_else(|| "—".to_owned(), vn_decimal),
                    x.counts.completed
                );
            }
        }
    }
    s
}

fn indent(kind: FormRowKind) -> usize {
    match kind {
        FormRowKind::Level | FormRowKind::Total => 0,
        FormRowKind::Field => 2,
        FormRowKind::Procedure => 4,
    }
}

/// Pads or cuts `text` to `width` characters.
fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        format!("{text}{}", " ".repeat(width - n))
    } else {
        let mut t: String = text.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The CSV header.
pub const CSV_HEADER: [&str; 22] = [
    "unit",
    "from",
    "to",
    "judged_at",
    "kind",
    "stt",
    "level",
    "field",
    "procedure",
    "label",
    "col3_received",
    "col4_online",
    "col5_direct_postal",
    "col6_carried_over",
    "col7_resolved",
    "col8_early",
    "col9_on_time",
    "col10_late",
    "col11_pending",
    "col12_within_time",
    "col13_overdue",
    "ended_otherwise",
];

/// The report as CSV (UTF-8, comma-separated, one header line): one line per form row (levels,
/// fields, with `detail` procedures, and the total), every line carrying the unit, the period and
/// the judging instant so that a saved file stands on its own.
pub fn to_csv(r: &OfficialReport, detail: bool) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    let judged = r.judged_at.to_string();
    for row in r.form_rows(detail) {
        let kind = match row.kind {
            FormRowKind::Level => "level",
            FormRowKind::Field => "field",
            FormRowKind::Procedure => "procedure",
            FormRowKind::Total => "total",
        };
        let mut rec: Vec<String> = vec![
            r.unit.to_string(),
            r.from.to_string(),
            r.to.to_string(),
            judged.clone(),
            kind.to_owned(),
            row.stt.clone(),
            row.level.map(|l| l.as_str().to_owned()).unwrap_or_default(),
            row.field
                .as_ref()
                .map(|f| f.as_str().to_owned())
                .unwrap_or_default(),
            row.procedure.map(|p| p.to_string()).unwrap_or_default(),
            row.label.clone(),
        ];
        rec.extend(row.counts.columns().iter().map(u64::to_string));
        rec.push(row.counts.ended_otherwise.to_string());
        w.write_record(&rec)?;
    }
    w.into_inner()
        .map_err(|e| ExportError::CsvFlush(e.to_string()))
}

struct Formats {
    title: Format,
    center: Format,
    left: Format,
    right_italic: Format,
    header: Format,
    colnum: Format,
    stt: Format,
    stt_bold: Format,
    label: Format,
    label_bold: Format,
    number: Format,
    number_bold: Format,
    note: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(13)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            center: Format::new().set_align(FormatAlign::Center),
            left: Format::new().set_bold(),
            right_italic: Format::new().set_italic().set_align(FormatAlign::Right),
            header: cell
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            colnum: cell.clone().set_italic().set_align(FormatAlign::Center),
            stt: cell.clone().set_align(FormatAlign::Center),
            stt_bold: cell.clone().set_bold().set_align(FormatAlign::Center),
            label: cell.clone().set_text_wrap(),
            label_bold: cell.clone().set_bold().set_text_wrap(),
            number: cell.clone().set_num_format("#,##0"),
            number_bold: cell.set_bold().set_num_format("#,##0"),
            note: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// Rows of the sheet before the data (0-based): the data start at this row.
pub const XLSX_FIRST_DATA_ROW: u32 = 8;

/// The report as an XLSX workbook laid out like the official form: sheet "Biểu 06" with the
/// title, unit, period, the two header rows (merged groups "Số hồ sơ nhận giải quyết" C6:F6,
/// "Số hồ sơ đã giải quyết" G6:J6, "Số hồ sơ đang giải quyết" K6:M6; STT and column 2 merged
/// over both rows), column numbers 1 to 13 on row 8, the rows by level then field (with
/// `detail`, procedures), "Tổng cộng", and the notes; sheet "Chỉ tiêu 766" with the indicators.
pub fn to_xlsx(r: &OfficialReport, detail: bool) -> Result<Vec<u8>, ExportError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name("Biểu 06")?;
        write_form(ws, r, detail, &f)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("Chỉ tiêu 766")?;
        write_indicators(ws, r, &f)?;
    }
    Ok(wb.save_to_buffer()?)
}

fn write_form(
    ws: &mut Worksheet,
    r: &OfficialReport,
    detail: bool,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_column_width(0, 6)?;
    ws.set_column_width(1, 44)?;
    for c in 2..=12 {
        ws.set_column_width(c, 12)?;
    }
    ws.write_string_with_format(0, 0, r.form, &f.left)?;
    ws.merge_range(
        0,
        9,
        0,
        12,
        "Ban hành kèm theo Thông tư số 01/2020/TT-VPCP",
        &f.right_italic,
    )?;
    ws.merge_range(1, 0, 1, 12, TITLE, &f.title)?;
    ws.set_row_height(1, 36)?;
    ws.merge_range(
        2,
        0,
        2,
        12,
        &format!("Kỳ báo cáo: {}", period_line(r)),
        &f.center,
    )?;
    ws.merge_range(
        3,
        0,
        3,
        12,
        &format!("Đơn vị báo cáo: {} (mã {})", r.unit_name, r.unit),
        &f.center,
    )?;
    ws.merge_range(
        4,
        0,
        4,
        5,
        &format!("Số liệu tính đến: {}", vn_datetime(r.judged_at_local)),
        &Format::new().set_italic(),
    )?;
    ws.merge_range(4, 9, 4, 12, "Đơn vị tính: Số hồ sơ TTHC", &f.right_italic)?;
    // Header rows 6 and 7 (0-based 5 and 6).
    ws.merge_range(5, 0, 6, 0, "STT", &f.header)?;
    ws.merge_range(5, 1, 6, 1, LABEL_HEADER, &f.header)?;
    for (name, a, b) in GROUPS {
        ws.merge_range(5, a - 1, 5, b - 1, name, &f.header)?;
    }
    for (i, name) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(6, 2 + i as u16, *name, &f.header)?;
    }
    ws.set_row_height(6, 48)?;
    for n in 1..=13u16 {
        ws.write_string_with_format(7, n - 1, format!("({n})"), &f.colnum)?;
    }
    let mut row = XLSX_FIRST_DATA_ROW;
    for line in r.form_rows(detail) {
        let bold = matches!(line.kind, FormRowKind::Level | FormRowKind::Total);
        let (stt, label, number) = if bold {
            (&f.stt_bold, &f.label_bold, &f.number_bold)
        } else {
            (&f.stt, &f.label, &f.number)
        };
        ws.write_string_with_format(row, 0, &line.stt, stt)?;
        let text = if line.kind == FormRowKind::Procedure {
            format!("- {}", line.label)
        } else {
            line.label.clone()
        };
        ws.write_string_with_format(row, 1, &text, label)?;
        for (i, v) in line.counts.columns().iter().enumerate() {
            ws.write_number_with_format(row, 2 + i as u16, *v as f64, number)?;
        }
        row += 1;
    }
    row += 1;
    for n in notes(r) {
        ws.merge_range(row, 0, row, 12, &n, &f.note)?;
        row += 1;
    }
    ws.set_freeze_panes(XLSX_FIRST_DATA_ROW, 2)?;
    Ok(())
}

fn write_indicators(ws: &mut Worksheet, r: &OfficialReport, f: &Formats) -> Result<(), XlsxError> {
    ws.set_column_width(0, 8)?;
    ws.set_column_width(1, 50)?;
    for c in 2..=4 {
        ws.set_column_width(c, 14)?;
    }
    ws.set_column_width(5, 16)?;
    ws.merge_range(
        0,
        0,
        0,
        5,
        "CHỈ TIÊU ĐÁNH GIÁ THEO QUYẾT ĐỊNH 766/QĐ-TTg (tính từ sự kiện hồ sơ)",
        &f.title,
    )?;
    ws.merge_range(
        1,
        0,
        1,
        5,
        &format!(
            "{} — {} (mã {}) — tính đến {}",
            period_line(r),
            r.unit_name,
            r.unit,
            vn_datetime(r.judged_at_local)
        ),
        &f.center,
    )?;
    let head = [
        "Chỉ tiêu",
        "Nội dung",
        "Tử số",
        "Mẫu số",
        "Giá trị",
        "Đơn vị",
    ];
    for (i, h) in head.iter().enumerate() {
        ws.write_string_with_format(3, i as u16, *h, &f.header)?;
    }
    let value = f.number.clone().set_num_format("0.00");
    let mut row = 4;
    for i in r.indicator_list() {
        ws.write_string_with_format(row, 0, i.code, &f.stt)?;
        ws.write_string_with_format(row, 1, i.label, &f.label)?;
        ws.write_number_with_format(row, 2, i.numerator as f64, &f.number)?;
        ws.write_number_with_format(row, 3, i.denominator as f64, &f.number)?;
        match i.value {
            Some(v) => ws.write_number_with_format(row, 4, v, &value)?,
            None => ws.write_string_with_format(row, 4, "—", &f.stt)?,
        };
        let unit = match i.unit {
            IndicatorUnit::Percent => "%",
            IndicatorUnit::WorkingHours => "giờ làm việc",
        };
        ws.write_string_with_format(row, 5, unit, &f.stt)?;
        row += 1;
    }
    row += 1;
    ws.merge_range(
        row,
        0,
        row,
        5,
        "Số hiệu chỉ tiêu theo bảng điểm tái dựng (DOMAIN.md §9): nhóm 3 chính thức (số hóa) là 4.x, nhóm 4 (dịch vụ trực tuyến) là 3.x; 3.3 chưa nhân tỷ lệ đồng bộ.",
        &f.note,
    )?;
    ws.set_row_height(row, 30)?;
    Ok(())
}
