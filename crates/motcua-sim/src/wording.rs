//! The Vietnamese texts officers and applicants write: supplement lists, reasons, opinions.

use rand::Rng as _;

use crate::random::Rng;

/// Documents a desk or an office asks for (Form 02 lists them once).
const MISSING: [&str; 10] = [
    "Bản sao Giấy khai sinh",
    "Tờ khai theo mẫu có đầy đủ chữ ký",
    "Giấy xác nhận thông tin về cư trú",
    "Bản sao có chứng thực Giấy chứng nhận quyền sử dụng đất",
    "Bản vẽ thiết kế có chữ ký của đơn vị tư vấn",
    "Giấy ủy quyền có chứng thực",
    "Ảnh chân dung cỡ 4x6 cm",
    "Bản sao Căn cước công dân của người được ủy quyền",
    "Văn bản thỏa thuận của các đồng sở hữu",
    "Chứng từ nộp lệ phí",
];

const INTAKE_REFUSALS: [&str; 4] = [
    "Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan tiếp nhận",
    "Thành phần hồ sơ không đúng quy định, người nộp không bổ sung theo hướng dẫn",
    "Nộp trùng hồ sơ đang được giải quyết",
    "Tệp đính kèm không đọc được",
];

const WITHDRAWALS: [&str; 4] = [
    "Công dân đề nghị rút hồ sơ để bổ sung thông tin",
    "Không còn nhu cầu giải quyết",
    "Nộp nhầm thủ tục",
    "Đã nộp hồ sơ tại nơi khác",
];

const DELAYS: [&str; 4] = [
    "Cần xác minh thêm thông tin với cơ quan liên quan",
    "Số lượng hồ sơ tăng đột biến",
    "Chờ ý kiến phối hợp của cơ quan chuyên môn",
    "Cần thẩm tra thực địa",
];

const APPROVAL_REJECTIONS: [&str; 3] = [
    "Đề nghị làm rõ căn cứ pháp lý trong dự thảo",
    "Dự thảo kết quả chưa đúng thể thức",
    "Đề nghị kiểm tra lại thông tin người yêu cầu",
];

const APPRAISAL_REFUSALS: [&str; 3] = [
    "Không đủ điều kiện theo quy định",
    "Thông tin kê khai không trùng khớp với cơ sở dữ liệu",
    "Đối tượng không thuộc diện được giải quyết",
];

const FEE_REASONS: [&str; 3] = [
    "Lệ phí giải quyết thủ tục hành chính",
    "Nghĩa vụ tài chính theo thông báo của cơ quan thuế",
    "Phí thẩm định hồ sơ",
];

const COMMENTS: [&str; 4] = [
    "Cán bộ hướng dẫn tận tình",
    "Thời gian giải quyết nhanh",
    "Thời gian chờ còn lâu",
    "Thủ tục cần đơn giản hơn",
];

fn one(rng: &mut Rng, list: &[&str]) -> String {
    list[rng.random_range(0..list.len())].to_owned()
}

/// One or two documents to add, listed once.
pub(crate) fn missing_items(rng: &mut Rng) -> Vec<String> {
    let first = rng.random_range(0..MISSING.len());
    let mut items = vec![MISSING[first].to_owned()];
    if rng.random::<bool>() {
        let second = (first + 1 + rng.random_range(0..MISSING.len() - 1)) % MISSING.len();
        items.push(MISSING[second].to_owned());
    }
    items
}

/// Why a desk refuses an online dossier.
pub(crate) fn intake_refusal(rng: &mut Rng) -> String {
    one(rng, &INTAKE_REFUSALS)
}

/// Why an applicant withdraws.
pub(crate) fn withdrawal(rng: &mut Rng) -> String {
    one(rng, &WITHDRAWALS)
}

/// Why a dossier is late (apology).
pub(crate) fn delay(rng: &mut Rng) -> String {
    one(rng, &DELAYS)
}

/// Why a head sends the appraisal back.
pub(crate) fn approval_rejection(rng: &mut Rng) -> String {
    one(rng, &APPROVAL_REJECTIONS)
}

/// Why an appraisal proposes a refusal.
pub(crate) fn appraisal_refusal(rng: &mut Rng) -> String {
    one(rng, &APPRAISAL_REFUSALS)
}

/// What a fee is for.
pub(crate) fn fee_reason(rng: &mut Rng) -> String {
    one(rng, &FEE_REASONS)
}

/// An applicant's comment, sometimes.
pub(crate) fn comment(rng: &mut Rng) -> Option<String> {
    (rng.random::<f64>() < 0.3).then(|| one(rng, &COMMENTS))
}

/// The appraisal's opinion.
pub(crate) fn opinion(grant: bool) -> String {
    if grant {
        "Hồ sơ đầy đủ, hợp lệ; đề nghị giải quyết".to_owned()
    } else {
        "Hồ sơ không đủ điều kiện; đề nghị từ chối giải quyết".to_owned()
    }
}

/// The opinion of an office that handles its part of a liaison and passes the dossier on.
pub(crate) fn liaison_opinion() -> String {
    "Đã xác minh phần việc thuộc thẩm quyền; chuyển cơ quan tiếp theo".to_owned()
}

/// The control-slip note of a handover.
pub(crate) fn handover_note(liaison: bool) -> String {
    if liaison {
        "Chuyển liên thông".to_owned()
    } else {
        "Chuyển hồ sơ đến cơ quan giải quyết".to_owned()
    }
}
