//! Applicants: plausible Vietnamese names and synthetic personal data that looks valid (a
//! 12-digit citizen ID with its province, sex-and-century and birth-year parts, a mobile number
//! with a real operator prefix, an address in the applicant's commune) but belongs to nobody.

use motcua_domain::dossier::Applicant;
use rand::Rng as _;

use crate::province::Office;
use crate::random::{Rng, Weighted, chance};

/// Family names with their approximate shares in Vietnam (%, the commonly cited figures), and
/// their plain-ASCII form for e-mail addresses. Index 4 and 6 have a northern and a southern
/// spelling (Hoàng/Huỳnh, Vũ/Võ).
const FAMILY: [(&str, &str, &str, &str, f64); 14] = [
    ("Nguyễn", "nguyen", "Nguyễn", "nguyen", 38.4),
    ("Trần", "tran", "Trần", "tran", 12.1),
    ("Lê", "le", "Lê", "le", 9.5),
    ("Phạm", "pham", "Phạm", "pham", 7.0),
    ("Hoàng", "hoang", "Huỳnh", "huynh", 5.1),
    ("Phan", "phan", "Phan", "phan", 4.5),
    ("Vũ", "vu", "Võ", "vo", 3.9),
    ("Đặng", "dang", "Đặng", "dang", 2.1),
    ("Bùi", "bui", "Bùi", "bui", 2.0),
    ("Đỗ", "do", "Đỗ", "do", 1.4),
    ("Hồ", "ho", "Hồ", "ho", 1.3),
    ("Ngô", "ngo", "Ngô", "ngo", 1.3),
    ("Dương", "duong", "Dương", "duong", 1.0),
    ("Lý", "ly", "Lý", "ly", 0.5),
];

const MIDDLE_MALE: [&str; 8] = ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thành", "Công", "Gia"];
const MIDDLE_FEMALE: [&str; 8] = ["Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Kim", "Bảo", "Phương"];

const GIVEN_MALE: [(&str, &str); 24] = [
    ("Anh", "anh"),
    ("Bình", "binh"),
    ("Cường", "cuong"),
    ("Dũng", "dung"),
    ("Đạt", "dat"),
    ("Hải", "hai"),
    ("Hiếu", "hieu"),
    ("Hùng", "hung"),
    ("Huy", "huy"),
    ("Khang", "khang"),
    ("Khoa", "khoa"),
    ("Long", "long"),
    ("Minh", "minh"),
    ("Nam", "nam"),
    ("Phong", "phong"),
    ("Phúc", "phuc"),
    ("Quang", "quang"),
    ("Sơn", "son"),
    ("Tài", "tai"),
    ("Thắng", "thang"),
    ("Trung", "trung"),
    ("Tuấn", "tuan"),
    ("Việt", "viet"),
    ("Vinh", "vinh"),
];

const GIVEN_FEMALE: [(&str, &str); 24] = [
    ("An", "an"),
    ("Anh", "anh"),
    ("Chi", "chi"),
    ("Dung", "dung"),
    ("Giang", "giang"),
    ("Hà", "ha"),
    ("Hạnh", "hanh"),
    ("Hằng", "hang"),
    ("Hương", "huong"),
    ("Lan", "lan"),
    ("Linh", "linh"),
    ("Mai", "mai"),
    ("Nga", "nga"),
    ("Ngân", "ngan"),
    ("Nhung", "nhung"),
    ("Oanh", "oanh"),
    ("Phương", "phuong"),
    ("Quỳnh", "quynh"),
    ("Thảo", "thao"),
    ("Trang", "trang"),
    ("Uyên", "uyen"),
    ("Vy", "vy"),
    ("Xuân", "xuan"),
    ("Yến", "yen"),
];

const STREETS: [&str; 16] = [
    "Lê Lợi",
    "Nguyễn Huệ",
    "Trần Hưng Đạo",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Điện Biên Phủ",
    "Cách Mạng Tháng Tám",
    "Nguyễn Trãi",
    "Lê Duẩn",
    "Phan Chu Trinh",
    "Quang Trung",
    "Nguyễn Văn Cừ",
    "Trường Chinh",
    "Hùng Vương",
    "Võ Thị Sáu",
    "Pasteur",
];

/// Mobile prefixes of the Vietnamese operators (10-digit numbers).
const MOBILE_PREFIXES: [&str; 24] = [
    "090", "093", "089", "070", "076", "077", "078", "079", "091", "094", "088", "081", "082",
    "083", "084", "085", "096", "097", "098", "086", "032", "033", "034", "035",
];

/// An applicant, and a portal account when they file online.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub applicant: Applicant,
    pub account: Option<String>,
}

/// Where an applicant lives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Home<'a> {
    pub commune: &'a Office,
    pub district: Option<&'a Office>,
    pub province: &'a Office,
    pub south: bool,
}

/// A new applicant living in `home`; `provinces` are the places of birth to draw from.
pub(crate) fn person(
    rng: &mut Rng,
    home: Home<'_>,
    provinces: &[motcua_domain::units::UnitCode],
    online: bool,
) -> Person {
    let family_weights = Weighted::new(FAMILY.iter().map(|f| f.4)).expect("positive weights");
    let (north, north_ascii, south, south_ascii, _) = FAMILY[family_weights.pick(rng)];
    let (family, family_ascii) = if home.south {
        (south, south_ascii)
    } else {
        (north, north_ascii)
    };
    let male = rng.random::<bool>();
    let (middle, (given, given_ascii)) = if male {
        (
            MIDDLE_MALE[rng.random_range(0..MIDDLE_MALE.len())],
            GIVEN_MALE[rng.random_range(0..GIVEN_MALE.len())],
        )
    } else {
        (
            MIDDLE_FEMALE[rng.random_range(0..MIDDLE_FEMALE.len())],
            GIVEN_FEMALE[rng.random_range(0..GIVEN_FEMALE.len())],
        )
    };
    let name = format!("{family} {middle} {given}");

    let birth_year: u32 = rng.random_range(1950..=2006);
    let birth_province = if chance(rng, 0.7) || provinces.is_empty() {
        home.province.unit.as_str().to_owned()
    } else {
        provinces[rng.random_range(0..provinces.len())]
            .as_str()
            .to_owned()
    };
    // Citizen ID (CCCD): 0 + province of birth, sex and century (0/1 for 1900s men/women, 2/3
    // for 2000s), two digits of the birth year, six digits.
    let sex_century = match (birth_year >= 2000, male) {
        (false, true) => 0,
        (false, false) => 1,
        (true, true) => 2,
        (true, false) => 3,
    };
    let id_number = format!(
        "0{birth_province}{sex_century}{:02}{:06}",
        birth_year % 100,
        rng.random_range(0..1_000_000u32)
    );
    let phone = format!(
        "{}{:07}",
        MOBILE_PREFIXES[rng.random_range(0..MOBILE_PREFIXES.len())],
        rng.random_range(0..10_000_000u32)
    );
    let address = address(rng, home);
    let email = chance(rng, if online { 0.6 } else { 0.2 }).then(|| {
        format!(
            "{given_ascii}.{family_ascii}{}@gmail.com",
            rng.random_range(10..10_000u32)
        )
    });
    let account = online.then(|| {
        const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
        let tail: String = (0..10)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        format!("dvc-{tail}")
    });
    Person {
        applicant: Applicant {
            name,
            id_number: Some(id_number),
            phone: Some(phone),
            address: Some(address),
            email,
        },
        account,
    }
}

fn address(rng: &mut Rng, home: Home<'_>) -> String {
    let n = rng.random_range(1..200u32);
    let local = match home.commune.kind.as_str() {
        "Xã" if home.south => format!("Ấp {}", rng.random_range(1..12u32)),
        "Xã" => format!("Thôn {}", rng.random_range(1..12u32)),
        "Đặc khu" => format!("Khu phố {}", rng.random_range(1..8u32)),
        _ => format!(
            "Số {n} đường {}",
            STREETS[rng.random_range(0..STREETS.len())]
        ),
    };
    match home.district {
        Some(d) => format!(
            "{local}, {}, {}, {}",
            home.commune.name, d.name, home.province.name
        ),
        None => format!("{local}, {}, {}", home.commune.name, home.province.name),
    }
}
