//! The knobs of a simulated province, with documented defaults.
//!
//! Every figure says where it comes from: a source in DOMAIN.md (tagged `[V Sxx]`), the issue that
//! asked for the generator ("the issue"), or "assumption" where no source was at hand.
//! A settings file only needs the fields it changes: missing fields take their default.

use std::collections::BTreeMap;

use motcua_domain::units::{HierarchyId, UnitCode};
use serde::{Deserialize, Serialize};

use crate::SimError;

/// Dossiers per working day nationally: 4.4 M in the ≈ 36 working days of 01/07–19/08/2025
/// (DOMAIN.md §11 [V S14]); used to size provinces without a figure of their own.
pub const NATIONAL_DOSSIERS_PER_WORKING_DAY: f64 = 120_000.0;

/// Provinces with a known daily volume: Hồ Chí Minh City, > 645 k dossiers in the same 36 working
/// days (DOMAIN.md §11 [V S14]; SYSTEM.md §8 "~18 k dossiers per working day").
pub const KNOWN_DAILY_VOLUMES: [(&str, f64); 1] = [("79", 18_000.0)];

/// Everything that shapes a simulated province. `Default` is Hồ Chí Minh City on the 2-level list
/// at full size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimSettings {
    /// Seed of every random choice: the same settings and seed give the same dossiers.
    /// Default 2025.
    pub seed: u64,
    /// The province (2-digit code). Default `79`, Hồ Chí Minh City.
    pub province: UnitCode,
    /// The official unit list the province is taken from: `2level-2025-07` (default; province →
    /// commune, in force from 01/07/2025) or `3level-2025-03` (province → district → commune,
    /// 01/03–30/06/2025, with district one-stop desks and People's Committees).
    /// The simulated days must lie in the list's span, where the catalogue has its procedures.
    pub unit_list: String,
    /// Dossiers arriving on an average working day, before `scale`. `None` (default) sizes the
    /// province: its figure in [`KNOWN_DAILY_VOLUMES`] (HCMC 18,000), otherwise its share of
    /// the list's communes times [`NATIONAL_DOSSIERS_PER_WORKING_DAY`] (the rest of the country
    /// after the known provinces).
    pub dossiers_per_working_day: Option<f64>,
    /// Multiplies the daily volume, e.g. `0.11` for a 2,000-dossier HCMC. Default 1.
    pub scale: f64,
    /// Relative volume Monday to Friday; normalised to a mean of 1, so the daily volume is the
    /// average working day. Default Mon 1.15, Tue 1.05, Wed 1.0, Thu 0.95, Fri 0.85 (the issue:
    /// "Mon busiest, Fri lighter"; the figures are an assumption). A swapped working Saturday
    /// counts as a Wednesday.
    pub weekday_profile: [f64; 5],
    /// Direct and postal receipts on ordinary Saturday mornings (DOMAIN.md §7.2: "some units also
    /// receive on Saturday morning" [I S61]), as a factor of an average working day's direct and
    /// postal volume, received 07:30–11:30; the clock of such a dossier starts on Monday.
    /// Default 0: closed.
    pub saturday_morning_receipt: f64,
    /// Relative arrival rate at the desk by local hour (0–23), applied to the open time of each
    /// hour. Default: a morning rush 8–10, a lunch dip, a flatter afternoon (the issue; the
    /// figures are an assumption).
    pub desk_hour_profile: [f64; 24],
    /// Relative rate of online submissions by local hour; the portal never closes. Default: low
    /// at night, office-hour peaks, some evening use (assumption).
    pub online_hour_profile: [f64; 24],
    /// Online submissions on a day off (weekend, holiday), as a factor of a working day's online
    /// volume; they come on top of the working-day volume. Default 0.25 (assumption).
    pub online_day_off_factor: f64,
    /// Channel mix of submissions. Default online 0.70, direct 0.25, postal 0.05: 74.7 % online
    /// nationally in Jul–Aug 2025 (DOMAIN.md §11 [V S14]) and "about 70 %" in the issue; the
    /// postal share is an assumption.
    pub channel_mix: ChannelMix,
    /// Share of dossiers by the level that resolves them. Default from Lâm Đồng, Q1 2020
    /// (DOMAIN.md §11 [V S65]): communes 264,610, districts 340,060, province 54,575 of
    /// 659,245. On a 2-level list the district share goes to the communes, whose centres took
    /// over district procedures in July 2025.
    pub level_mix: LevelMix,
    /// Share of province-level dossiers received at a commune desk rather than at the provincial
    /// centre (receipt regardless of administrative boundary, DOMAIN.md §1 [V S9]). Default 0.25
    /// (assumption).
    pub province_dossiers_at_commune_desks: f64,
    /// Relative weight of procedures by national code (every version of the code). Default: the
    /// high-volume commune procedures (certified copies, civil status, residence) and the
    /// provincial land, passport and criminal-record procedures weigh most (assumption; see
    /// [`default_procedure_weights`]).
    pub procedure_weights: BTreeMap<String, f64>,
    /// Weight of a procedure not listed in `procedure_weights`. Default 1.
    pub other_procedure_weight: f64,
    /// Share of received dossiers handled through a second office (một cửa liên thông): the
    /// commune People's Committee first, then the competent office (or the route's levels).
    /// Procedures whose flow is `liaison` always take it, on-the-spot and same-day ones never; the
    /// rest are drawn so that the overall share meets this figure where the mix allows.
    /// Default 0.10 (assumption).
    pub liaison_share: f64,
    /// Share of received dossiers for which the handling office asks for a supplement (bổ sung),
    /// listed once. Default 0.08 (the issue).
    pub supplement_share: f64,
    /// Among supplemented dossiers, the share asked a second time (the 766 formula counts them
    /// overdue). Default 0.10 (the issue: "a small share").
    pub second_supplement_share: f64,
    /// Among supplemented dossiers, the share whose applicant never completes it: closed after
    /// the rule set's period (15 days, Decree 118 Art. 19.5 [V S81]); under a rule set without
    /// one, withdrawn at the desk 20–40 days later. Default 0.05 (assumption).
    pub supplement_expiry_share: f64,
    /// Share of resolved dossiers whose officers overrun the current appointment (quá hạn).
    /// Default 0.05 (the issue).
    pub late_share: f64,
    /// Among the late ones, the share whose officer apologises before the due time and sets a
    /// new appointment (Decree 118 Art. 19.6 [V S81]), which they then meet: only the others are
    /// resolved after their deadline. With the defaults 3.5 % of resolved dossiers are quá hạn.
    /// Default 0.30 (the issue).
    pub apology_share: f64,
    /// Share of dossiers the applicant withdraws (national status 7). Default 0.01 (the issue).
    pub withdrawal_share: f64,
    /// Share of online submissions refused at intake (Form 03). Default 0.02 (the issue).
    pub intake_refusal_share: f64,
    /// Share of online submissions sent back for completion before intake (Form 02).
    /// Default 0.04 (assumption).
    pub intake_supplement_share: f64,
    /// Share of online submissions accepted after the 8-working-hour intake deadline (Decree 118
    /// Art. 17.2.c [V S81]). Default 0.03 (assumption).
    pub intake_late_share: f64,
    /// Share of appraisals that propose a refusal (Art. 19.3). Default 0.01 (assumption).
    pub appraisal_refusal_share: f64,
    /// Share of submissions for approval the head sends back once. Default 0.03 (assumption).
    pub approval_rejection_share: f64,
    /// Share of received dossiers asked for a fee or tax before going on (national status 6);
    /// the amount is the catalogue's fee when it states one. Default 0.10 (assumption).
    pub fee_share: f64,
    /// Share of returned dossiers whose applicant rates the handling (Decision 766 group 5).
    /// Default 0.20 (assumption).
    pub feedback_share: f64,
    /// Ratings of those who rate; a late dossier is four times as likely to be rated
    /// dissatisfied. Default 0.90 / 0.08 / 0.02 (assumption).
    pub satisfaction_mix: SatisfactionMix,
    /// Share of direct and postal dossiers scanned and signed at receipt (Decree 118 Art. 17.1.c
    /// requires it [V S81]; Decision 766 4.2 counts it). Default 0.90 (assumption).
    pub digitised_share: f64,
    /// Share of results issued as electronic documents (Decision 766 4.1); online applicants
    /// with one get it electronically. Default 0.60 (assumption).
    pub electronic_result_share: f64,
}

/// Relative weights of the three channels; they need not sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelMix {
    /// Trực tuyến, through the national portal.
    pub online: f64,
    /// Trực tiếp, at the desk.
    pub direct: f64,
    /// Bưu chính công ích.
    pub postal: f64,
}

/// Relative weights of the levels that resolve dossiers; they need not sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelMix {
    /// Cấp xã.
    pub commune: f64,
    /// Cấp huyện (3-level list only; folded into `commune` on a 2-level list).
    pub district: f64,
    /// Cấp tỉnh.
    pub province: f64,
}

/// Relative weights of the three ratings; they need not sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SatisfactionMix {
    /// Hài lòng.
    pub satisfied: f64,
    /// Bình thường.
    pub neutral: f64,
    /// Không hài lòng.
    pub dissatisfied: f64,
}

/// The default procedure weights (assumption, for a realistic-looking mix): commune certified
/// copies and civil status, residence registration, provincial land registration, passports and
/// criminal-record certificates dominate; rare procedures weigh little. Procedures without a time
/// limit on a channel are never generated on it, whatever their weight.
pub fn default_procedure_weights() -> BTreeMap<String, f64> {
    [
        // Commune level (2-level list), or commune and district (3-level list).
        ("2.000815", 20.0), // certified copy from an original (direct only)
        ("2.000884", 6.0),  // certified signature (direct only)
        ("1.001193", 6.0),  // birth registration
        ("2.000635", 6.0),  // copy of a civil-status extract
        ("1.000656", 2.0),  // death registration
        ("1.000894", 3.0),  // marriage registration
        ("1.004873", 4.0),  // marital-status certificate
        ("1.004884", 0.5),  // late re-registration of a birth
        ("1.004859", 1.0),  // change or correction of civil status
        ("2.000528", 0.2),  // birth registration with a foreign element
        ("2.000806", 0.2),  // marriage with a foreign element
        ("1.004222", 5.0),  // permanent residence
        ("1.004194", 8.0),  // temporary residence
        ("1.001612", 2.0),  // household business
        ("1.013225", 1.5),  // building permit, grade III/IV and houses
        ("2.000986", 2.0),  // birth + residence + health insurance (liaison)
        ("2.001023", 1.0),  // birth + health insurance (liaison)
        ("1.013978", 1.0),  // first land registration (liaison)
        // Province level.
        ("1.013831", 8.0),  // land-use right transfers
        ("1.001456", 6.0),  // passport
        ("3.000333", 5.0),  // criminal-record certificate
        ("1.012783", 4.0),  // land certificate renewal
        ("1.012784", 3.0),  // land parcel split or merge
        ("1.012786", 1.0),  // land certificate re-issue after loss
        ("3.000348", 2.0),  // driving licence re-issue
        ("2.001583", 2.0),  // one-member limited company
        ("2.002043", 1.0),  // joint-stock company
        ("1.013237", 0.5),  // construction practice certificate
        ("1.000703", 0.5),  // road transport licence
        ("1.013236", 0.3),  // building permit, special grade to grade II
        ("1.000828", 0.1),  // lawyer's practice certificate
        ("1.013835", 0.05), // notary office registration
    ]
    .into_iter()
    .map(|(code, w)| (code.to_owned(), w))
    .collect()
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            seed: 2025,
            province: "79".parse().expect("79 is a valid province code"),
            unit_list: HierarchyId::TWO_LEVEL_2025_07.to_owned(),
            dossiers_per_working_day: None,
            scale: 1.0,
            weekday_profile: [1.15, 1.05, 1.0, 0.95, 0.85],
            saturday_morning_receipt: 0.0,
            desk_hour_profile: [
                0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, // 00–06
                0.7, 1.4, 1.5, 1.3, 0.8, // 07–11: the morning rush
                0.4, 0.7, 1.0, 0.9, 0.6, // 12–16: lunch dip, afternoon
                0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, // 17–23
            ],
            online_hour_profile: [
                0.15, 0.08, 0.05, 0.05, 0.06, 0.15, 0.4, // 00–06
                0.9, 1.4, 1.6, 1.5, 1.2, // 07–11
                0.8, 0.9, 1.3, 1.3, 1.2, // 12–16
                0.9, 0.7, 0.8, 0.9, 0.8, 0.6, 0.3, // 17–23
            ],
            online_day_off_factor: 0.25,
            channel_mix: ChannelMix {
                online: 0.70,
                direct: 0.25,
                postal: 0.05,
            },
            level_mix: LevelMix {
                commune: 264_610.0,
                district: 340_060.0,
                province: 54_575.0,
            },
            province_dossiers_at_commune_desks: 0.25,
            procedure_weights: default_procedure_weights(),
            other_procedure_weight: 1.0,
            liaison_share: 0.10,
            supplement_share: 0.08,
            second_supplement_share: 0.10,
            supplement_expiry_share: 0.05,
            late_share: 0.05,
            apology_share: 0.30,
            withdrawal_share: 0.01,
            intake_refusal_share: 0.02,
            intake_supplement_share: 0.04,
            intake_late_share: 0.03,
            appraisal_refusal_share: 0.01,
            approval_rejection_share: 0.03,
            fee_share: 0.10,
            feedback_share: 0.20,
            satisfaction_mix: SatisfactionMix {
                satisfied: 0.90,
                neutral: 0.08,
                dissatisfied: 0.02,
            },
            digitised_share: 0.90,
            electronic_result_share: 0.60,
        }
    }
}

impl SimSettings {
    /// Checks every figure: shares in `[0, 1]`, weights finite and not negative with a positive
    /// sum, a positive scale. (Whether the province and the unit list exist is checked by
    /// [`crate::Simulation::new`], which has the reference data.)
    pub fn validate(&self) -> Result<(), SimError> {
        let shares = [
            (
                "province_dossiers_at_commune_desks",
                self.province_dossiers_at_commune_desks,
            ),
            ("liaison_share", self.liaison_share),
            ("supplement_share", self.supplement_share),
            ("second_supplement_share", self.second_supplement_share),
            ("supplement_expiry_share", self.supplement_expiry_share),
            ("late_share", self.late_share),
            ("apology_share", self.apology_share),
            ("withdrawal_share", self.withdrawal_share),
            ("intake_refusal_share", self.intake_refusal_share),
            ("intake_supplement_share", self.intake_supplement_share),
            ("intake_late_share", self.intake_late_share),
            ("appraisal_refusal_share", self.appraisal_refusal_share),
            ("approval_rejection_share", self.approval_rejection_share),
            ("fee_share", self.fee_share),
            ("feedback_share", self.feedback_share),
            ("digitised_share", self.digitised_share),
            ("electronic_result_share", self.electronic_result_share),
        ];
        for (name, value) in shares {
            if !(0.0..=1.0).contains(&value) {
                return Err(SimError::Setting {
                    name,
                    reason: format!("{value} is not a share between 0 and 1"),
                });
            }
        }
        if self.intake_refusal_share + self.withdrawal_share > 1.0 {
            return Err(SimError::Setting {
                name: "intake_refusal_share",
                reason: "with withdrawal_share it exceeds 1".to_owned(),
            });
        }
        let factors = [
            ("scale", self.scale),
            ("saturday_morning_receipt", self.saturday_morning_receipt),
            ("online_day_off_factor", self.online_day_off_factor),
            ("other_procedure_weight", self.other_procedure_weight),
        ];
        for (name, value) in factors {
            non_negative(name, value)?;
        }
        if let Some(n) = self.dossiers_per_working_day {
            non_negative("dossiers_per_working_day", n)?;
        }
        weights("weekday_profile", &self.weekday_profile)?;
        weights("desk_hour_profile", &self.desk_hour_profile)?;
        weights("online_hour_profile", &self.online_hour_profile)?;
        let c = self.channel_mix;
        weights("channel_mix", &[c.online, c.direct, c.postal])?;
        let l = self.level_mix;
        weights("level_mix", &[l.commune, l.district, l.province])?;
        let s = self.satisfaction_mix;
        weights(
            "satisfaction_mix",
            &[s.satisfied, s.neutral, s.dissatisfied],
        )?;
        for (code, weight) in &self.procedure_weights {
            if code
                .parse::<motcua_domain::catalogue::ProcedureCode>()
                .is_err()
            {
                return Err(SimError::Setting {
                    name: "procedure_weights",
                    reason: format!("{code:?} is not a procedure code (d.dddddd)"),
                });
            }
            non_negative("procedure_weights", *weight)?;
        }
        Ok(())
    }
}

fn non_negative(name: &'static str, value: f64) -> Result<(), SimError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(SimError::Setting {
            name,
            reason: format!("{value} is not a finite number ≥ 0"),
        })
    }
}

fn weights(name: &'static str, values: &[f64]) -> Result<(), SimError> {
    for v in values {
        non_negative(name, *v)?;
    }
    if values.iter().sum::<f64>() > 0.0 {
        Ok(())
    } else {
        Err(SimError::Setting {
            name,
            reason: "the weights sum to 0".to_owned(),
        })
    }
}
