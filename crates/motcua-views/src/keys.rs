//! Byte layouts of the keys and counter values, chosen so that sled's lexicographic order is the
//! order the queries need (time ascending, dates ascending, one scope contiguous).
//!
//! Every textual part (unit codes, agency ids, field codes, dossier keys) is ASCII without NUL,
//! so `0x00` separates variable-length parts unambiguously.

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::catalogue::{Channel, FieldCode, ProcedureCode};
use motcua_domain::units::UnitLevel;

/// Separator after a variable-length part.
pub(crate) const SEP: u8 = 0;

/// An instant as 16 sortable bytes (nanoseconds since the epoch, sign bit flipped, big endian).
pub(crate) fn ts_bytes(t: Timestamp) -> [u8; 16] {
    let n = t.as_nanosecond() as u128 ^ (1u128 << 127);
    n.to_be_bytes()
}

/// The instant of [`ts_bytes`].
pub(crate) fn ts_from(b: &[u8]) -> Option<Timestamp> {
    let arr: [u8; 16] = b.get(..16)?.try_into().ok()?;
    let n = (u128::from_be_bytes(arr) ^ (1u128 << 127)) as i128;
    Timestamp::from_nanosecond(n).ok()
}

/// A date as 4 sortable bytes: year (sign flipped, big endian), month, day.
pub(crate) fn date_bytes(d: Date) -> [u8; 4] {
    let y = (d.year() as u16 ^ 0x8000).to_be_bytes();
    [y[0], y[1], d.month() as u8, d.day() as u8]
}

/// The date of [`date_bytes`] (a year bucket is read as 1 January, a month bucket as the 1st).
#[cfg(test)]
pub(crate) fn date_from(b: &[u8]) -> Option<Date> {
    let y = (u16::from_be_bytes([*b.first()?, *b.get(1)?]) ^ 0x8000) as i16;
    let m = b.get(2).map_or(1, |m| *m as i8);
    let d = b.get(3).map_or(1, |d| *d as i8);
    Date::new(y, m, d).ok()
}

/// Counter granularity: a counter change is written to its day, its month and its year, so a
/// range of any length is summed from at most five contiguous key ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Gran {
    Year,
    Month,
    Day,
}

impl Gran {
    pub(crate) const ALL: [Gran; 3] = [Gran::Year, Gran::Month, Gran::Day];

    fn tag(self) -> u8 {
        match self {
            Gran::Year => b'Y',
            Gran::Month => b'M',
            Gran::Day => b'D',
        }
    }

    pub(crate) fn bucket(self, d: Date) -> Vec<u8> {
        let b = date_bytes(d);
        match self {
            Gran::Year => b[..2].to_vec(),
            Gran::Month => b[..3].to_vec(),
            Gran::Day => b.to_vec(),
        }
    }

    pub(crate) fn bucket_len(self) -> usize {
        match self {
            Gran::Year => 2,
            Gran::Month => 3,
            Gran::Day => 4,
        }
    }
}

/// Which counters: Biểu 06 (at the handling unit), desk intake (at the receiving unit), or the
/// fee-payment pairs of Decision 766 indicator 3.6 (at the handling unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Family {
    Bieu06,
    Intake,
    /// One entry per pair of consecutive payment days `p < q` of a dossier, written on day `q`
    /// with dims `date_bytes(p) ‖ RowDims` (see [`pair_dims`]). Indicator 3.6 counts the
    /// dossiers that paid *at least once* in a period: the payment days in `[a, b]` (cells
    /// [`Cells::FEE_PAID`] of the Biểu 06 family) minus the pairs with `a ≤ p` and `q ≤ b` is
    /// exactly one per dossier that paid in the period, whatever the period. Dossiers paying on
    /// two different days are rare, so the family is small.
    FeePairs,
}

impl Family {
    fn tag(self) -> u8 {
        match self {
            Family::Bieu06 => b'B',
            Family::Intake => b'I',
            Family::FeePairs => b'P',
        }
    }
}

/// The dims of a [`Family::FeePairs`] entry: the earlier payment day of the pair, then the row.
pub(crate) fn pair_dims(earlier: Date, row: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + row.len());
    out.extend_from_slice(&date_bytes(earlier));
    out.extend_from_slice(row);
    out
}

/// The earlier payment day and the row of [`pair_dims`].
pub(crate) fn pair_dims_from(b: &[u8]) -> Option<(Date, RowDims)> {
    let y = (u16::from_be_bytes([*b.first()?, *b.get(1)?]) ^ 0x8000) as i16;
    let day = Date::new(y, *b.get(2)? as i8, *b.get(3)? as i8).ok()?;
    Some((day, RowDims::from_bytes(b.get(4..)?)?))
}

/// The dimensions of one report row: the level of the counting unit, the field, the procedure
/// and the channel.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowDims {
    /// Level of the unit the dossier is counted at (its handling unit for Biểu 06).
    pub level: UnitLevel,
    /// Field (lĩnh vực).
    pub field: FieldCode,
    /// Procedure.
    pub procedure: ProcedureCode,
    /// Submission channel.
    pub channel: Channel,
}

fn level_byte(l: UnitLevel) -> u8 {
    match l {
        UnitLevel::Province => 0,
        UnitLevel::District => 1,
        UnitLevel::Commune => 2,
    }
}

fn level_from(b: u8) -> Option<UnitLevel> {
    Some(match b {
        0 => UnitLevel::Province,
        1 => UnitLevel::District,
        2 => UnitLevel::Commune,
        _ => return None,
    })
}

impl RowDims {
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        out.push(level_byte(self.level));
        out.extend_from_slice(self.field.as_str().as_bytes());
        out.push(SEP);
        out.extend_from_slice(self.procedure.to_string().as_bytes());
        out.push(self.channel.national_code());
        out
    }

    pub(crate) fn from_bytes(b: &[u8]) -> Option<RowDims> {
        let level = level_from(*b.first()?)?;
        let rest = b.get(1..)?;
        let sep = rest.iter().position(|&x| x == SEP)?;
        let field = std::str::from_utf8(&rest[..sep]).ok()?.parse().ok()?;
        let tail = rest.get(sep + 1..)?;
        if tail.len() != 9 {
            return None;
        }
        let procedure = std::str::from_utf8(&tail[..8]).ok()?.parse().ok()?;
        let channel = Channel::from_national_code(tail[8])?;
        Some(RowDims {
            level,
            field,
            procedure,
            channel,
        })
    }
}

fn counter_prefix(family: Family, unit: &str, gran: Gran) -> Vec<u8> {
    let mut k = Vec::with_capacity(unit.len() + 32);
    k.push(family.tag());
    k.extend_from_slice(unit.as_bytes());
    k.push(SEP);
    k.push(gran.tag());
    k
}

/// `family ‖ unit ‖ 0 ‖ granularity ‖ bucket ‖ dims`.
pub(crate) fn counter_key(
    family: Family,
    unit: &str,
    gran: Gran,
    day: Date,
    dims: &[u8],
) -> Vec<u8> {
    let mut k = counter_prefix(family, unit, gran);
    k.extend_from_slice(&gran.bucket(day));
    k.extend_from_slice(dims);
    k
}

/// Inclusive key range of the buckets of `gran` from the one holding `from` to the one holding
/// `to`, and the length of the key prefix before the dims.
pub(crate) fn counter_range(
    family: Family,
    unit: &str,
    gran: Gran,
    from: Date,
    to: Date,
) -> (Vec<u8>, Vec<u8>, usize) {
    let prefix = counter_prefix(family, unit, gran);
    let mut start = prefix.clone();
    start.extend_from_slice(&gran.bucket(from));
    let mut end = prefix.clone();
    end.extend_from_slice(&gran.bucket(to));
    // Dims start with a level byte (0..=2), or for fee pairs with a date whose first byte is
    // 0x80 | the year's high byte (0x87 in 2026), so 0xFF closes the last bucket.
    end.push(0xFF);
    (start, end, prefix.len() + gran.bucket_len())
}

/// The counters of one row on one bucket. Flow counters count events on the bucket's days;
/// `*_delta` counters are changes whose running sum from the beginning of time gives a state
/// (open, overdue, on time) at the end of a day.
///
/// Stored as big-endian `i64`s up to the last non-zero one: the Decision 766 cells after
/// [`Cells::KPI_OPEN_ON_TIME_DELTA`] are zero in most rows, and an intake counter only has
/// [`Cells::RECEIVED`], so most values stay short.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cells(pub(crate) [i64; Cells::LEN]);

impl Cells {
    pub(crate) const LEN: usize = 16;
    pub(crate) const RECEIVED: usize = 0;
    pub(crate) const EARLY: usize = 1;
    pub(crate) const ON_TIME: usize = 2;
    pub(crate) const LATE: usize = 3;
    pub(crate) const ENDED: usize = 4;
    pub(crate) const OPEN_DELTA: usize = 5;
    pub(crate) const OVERDUE_DELTA: usize = 6;
    pub(crate) const KPI_ENDED_ON_TIME: usize = 7;
    pub(crate) const KPI_OPEN_ON_TIME_DELTA: usize = 8;
    /// Received with documents in electronic form (scanned at receipt, or online), on the
    /// receipt day.
    pub(crate) const RECEIVED_DIGITISED: usize = 9;
    /// 2.2: working minutes from receipt to end of processing, supplements subtracted, on the
    /// day of the end of processing (resolved dossiers only).
    pub(crate) const WORKING_MINUTES: usize = 10;
    /// 2.2: the same in elapsed seconds.
    pub(crate) const HANDLING_SECONDS: usize = 11;
    /// 4.1: resolved with an electronic result, on the day of the end of processing.
    pub(crate) const ELECTRONIC_RESULT: usize = 12;
    /// 4.2: resolved, digitised and with an electronic result, on the same day.
    pub(crate) const DIGITISED_AND_ELECTRONIC: usize = 13;
    /// 3.6: days on which the dossier paid a fee (one per local day). In
    /// [`Family::FeePairs`]: pairs of consecutive payment days.
    pub(crate) const FEE_PAID: usize = 14;
    /// 3.6: the same for online payments only.
    pub(crate) const PAID_ONLINE: usize = 15;

    pub(crate) fn one(index: usize, value: i64) -> Cells {
        let mut c = Cells::default();
        c.0[index] = value;
        c
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.0.iter().all(|&v| v == 0)
    }

    pub(crate) fn add(&mut self, o: &Cells) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a += b;
        }
    }

    pub(crate) fn sub(&mut self, o: &Cells) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a -= b;
        }
    }

    pub(crate) fn to_bytes(self) -> Vec<u8> {
        let used = self.0.iter().rposition(|&v| v != 0).map_or(0, |i| i + 1);
        self.0[..used]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect()
    }

    pub(crate) fn from_bytes(b: &[u8]) -> Option<Cells> {
        if b.len() > Cells::LEN * 8 || !b.len().is_multiple_of(8) {
            return None;
        }
        let mut c = Cells::default();
        for (i, chunk) in b.chunks_exact(8).enumerate() {
            c.0[i] = i64::from_be_bytes(chunk.try_into().ok()?);
        }
        Some(c)
    }
}

/// Index families of the `queue` and `due` trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum IndexKind {
    /// By office (holder for queues, handling office for the due index).
    Agency,
    /// By unit, one entry for the unit and one for each ancestor.
    Unit,
    /// Decision 766 thresholds by unit (report corrections within the current day).
    Kpi,
}

impl IndexKind {
    fn tag(self) -> u8 {
        match self {
            IndexKind::Agency => b'A',
            IndexKind::Unit => b'U',
            IndexKind::Kpi => b'K',
        }
    }
}

/// `kind ‖ scope ‖ 0`: every entry of one scope.
pub(crate) fn index_prefix(kind: IndexKind, scope: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(scope.len() + 2 + 16 + 40);
    k.push(kind.tag());
    k.extend_from_slice(scope.as_bytes());
    k.push(SEP);
    k
}

/// `kind ‖ scope ‖ 0 ‖ instant ‖ dossier key`.
pub(crate) fn index_key(kind: IndexKind, scope: &str, at: Timestamp, dossier: &str) -> Vec<u8> {
    let mut k = index_prefix(kind, scope);
    k.extend_from_slice(&ts_bytes(at));
    k.extend_from_slice(dossier.as_bytes());
    k
}

/// The instant and dossier key of an index key with a known prefix length.
pub(crate) fn index_parts(key: &[u8], prefix_len: usize) -> Option<(Timestamp, &str)> {
    let at = ts_from(key.get(prefix_len..)?)?;
    let dossier = std::str::from_utf8(key.get(prefix_len + 16..)?).ok()?;
    Some((at, dossier))
}

/// `folded name suffix ‖ 0 ‖ dossier key`.
pub(crate) fn name_key(suffix: &str, dossier: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(suffix.len() + dossier.len() + 1);
    k.extend_from_slice(suffix.as_bytes());
    k.push(SEP);
    k.extend_from_slice(dossier.as_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_sort_as_bytes() {
        let a: Timestamp = "1969-12-31T23:59:59Z".parse().unwrap();
        let b: Timestamp = "1970-01-01T00:00:00Z".parse().unwrap();
        let c: Timestamp = "2026-11-23T09:00:00+07:00".parse().unwrap();
        assert!(ts_bytes(a) < ts_bytes(b) && ts_bytes(b) < ts_bytes(c));
        assert_eq!(ts_from(&ts_bytes(c)), Some(c));
    }

    #[test]
    fn dates_and_dims_round_trip() {
        let d = jiff::civil::date(2026, 2, 28);
        assert_eq!(date_from(&date_bytes(d)), Some(d));
        assert!(date_bytes(d) < date_bytes(jiff::civil::date(2026, 3, 1)));
        let dims = RowDims {
            level: UnitLevel::Commune,
            field: "HO_TICH".parse().unwrap(),
            procedure: "1.004194".parse().unwrap(),
            channel: Channel::Online,
        };
        assert_eq!(RowDims::from_bytes(&dims.to_bytes()), Some(dims));
    }

    #[test]
    fn cells_round_trip() {
        let mut c = Cells::one(Cells::OPEN_DELTA, -3);
        c.add(&Cells::one(Cells::RECEIVED, 7));
        assert_eq!(
            c.to_bytes().len(),
            6 * 8,
            "trailing zero cells are not stored"
        );
        assert_eq!(Cells::from_bytes(&c.to_bytes()), Some(c));
        c.add(&Cells::one(Cells::PAID_ONLINE, 1));
        assert_eq!(Cells::from_bytes(&c.to_bytes()), Some(c));
        assert_eq!(Cells::from_bytes(&[]), Some(Cells::default()));
        assert_eq!(Cells::from_bytes(&[0; 7]), None);
    }

    #[test]
    fn pair_dims_round_trip() {
        let dims = RowDims {
            level: UnitLevel::Province,
            field: "HO_TICH".parse().unwrap(),
            procedure: "1.004194".parse().unwrap(),
            channel: Channel::Direct,
        };
        let d = jiff::civil::date(2026, 3, 9);
        assert_eq!(
            pair_dims_from(&pair_dims(d, &dims.to_bytes())),
            Some((d, dims))
        );
    }
}
