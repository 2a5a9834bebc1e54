// Labels in Vietnamese (default) and English. Static text carries data-i18n="key" (and
// data-i18n-placeholder); dynamic text calls t(key).

import { $$, setLocale } from './dom.js';

const VI = {
  'app.title': 'Bảng điều hành Một cửa',
  'app.subtitle': 'Tình hình giải quyết thủ tục hành chính, trực tiếp',
  'jump.label': 'Mã đơn vị', 'jump.placeholder': 'Mã đơn vị', 'jump.go': 'Đến',
  'auth.title': 'Đăng nhập',
  'auth.help': 'Nhập mã truy cập (bearer token) của tài khoản cán bộ. Mã chỉ được giữ trong phiên làm việc của trình duyệt này và chỉ gửi trong tiêu đề Authorization.',
  'auth.token': 'Mã truy cập', 'auth.submit': 'Đăng nhập', 'auth.logout': 'Đăng xuất',
  'auth.bad': 'Mã truy cập không hợp lệ hoặc đã bị thu hồi.',
  'auth.applicant': 'Bảng điều hành dành cho tài khoản cán bộ.',
  'auth.unreachable': 'Không kết nối được máy chủ.',
  'units.list': 'Danh mục đơn vị',
  'list.2level-2025-07': '2 cấp (từ 01/07/2025)', 'list.3level-2025-03': '3 cấp (đến 30/06/2025)',
  'period.title': 'Kỳ báo cáo', 'period.from': 'Từ ngày', 'period.to': 'Đến ngày',
  'period.today': 'Hôm nay', 'period.last7': '7 ngày', 'period.last30': '30 ngày',
  'period.month': 'Tháng này', 'period.prevMonth': 'Tháng trước', 'period.apply': 'Xem báo cáo',
  'period.bad': 'Kỳ báo cáo không hợp lệ: ngày bắt đầu phải trước ngày kết thúc.',
  'period.judged': 'Số liệu tính đến {0}',
  'kpi.received': 'Hồ sơ nhận giải quyết', 'kpi.resolved': 'Đã giải quyết', 'kpi.onTime': 'Tỷ lệ đúng hạn',
  'kpi.pending': 'Đang giải quyết', 'kpi.overdue': 'Đang quá hạn',
  'kpi.receivedSub': '{0} trong kỳ · {1} từ kỳ trước',
  'kpi.resolvedSub': '{0} trước hạn · {1} đúng hạn · {2} quá hạn',
  'kpi.onTimeSub': '(8)+(9) / (7) = {0}/{1}',
  'kpi.pendingSub': '{0} trong hạn',
  'kpi.overdueSub': 'trên {0} hồ sơ đang giải quyết',
  'trend.title': 'Xu hướng theo ngày', 'trend.days': 'Số ngày', 'trend.d14': '14 ngày gần nhất', 'trend.d30': '30 ngày gần nhất',
  'trend.received': 'Tiếp nhận trong ngày', 'trend.resolved': 'Đã giải quyết', 'trend.late': 'Giải quyết quá hạn',
  'trend.rate': 'Tỷ lệ đúng hạn (%)', 'trend.loading': 'Đang tải {0}/{1} ngày…', 'trend.empty': 'Chưa có số liệu',
  'trend.tip': '{0}: tiếp nhận {1}, giải quyết {2} (quá hạn {3}), đúng hạn {4}',
  'feed.title': 'Sự kiện trực tiếp', 'feed.pause': 'Tạm dừng', 'feed.resume': 'Tiếp tục', 'feed.clear': 'Xoá',
  'feed.type': 'Loại sự kiện', 'feed.allTypes': 'Mọi loại sự kiện', 'feed.level': 'Cấp', 'feed.allLevels': 'Mọi cấp',
  'feed.office': 'Cơ quan', 'feed.allOffices': 'Mọi cơ quan',
  'feed.live': 'Đang nhận sự kiện mới của tỉnh {0}', 'feed.connecting': 'Đang kết nối…',
  'feed.retry': 'Mất kết nối, thử lại sau {0} giây…', 'feed.paused': 'Đã tạm dừng ({0} sự kiện chờ)',
  'feed.denied': 'Không có quyền xem luồng sự kiện của tỉnh này.', 'feed.waiting': 'Chưa có sự kiện mới.',
  'feed.imported': 'nhập {0} bước',
  'bieu06.title': 'Biểu 06: Tình hình, kết quả giải quyết TTHC', 'bieu06.detail': 'Chi tiết theo thủ tục', 'bieu06.csv': 'Tải CSV',
  'bieu06.caption': '{0} (mã {1}) · từ {2} đến {3} · đơn vị tính: hồ sơ',
  'bieu06.empty': 'Không có hồ sơ trong kỳ.', 'bieu06.total': 'Tổng cộng',
  'bieu06.rates': 'Tỷ lệ đúng hạn: (a) ((8)+(9))/(7) = {0}; (b) ((8)+(9))/((7)+(13)) = {1}; (c) 100% − ((10)+(13))/(3) = {2}.',
  'bieu06.note': 'Ghi chú: {0} hồ sơ kết thúc trong kỳ mà không có kết quả (rút, dừng, đóng do không bổ sung); cột (3) = cột (7) + cột (11) + {0}.',
  'b.stt': 'STT', 'b.name': 'Lĩnh vực, công việc giải quyết theo cấp',
  'b.receivedGroup': 'Số hồ sơ nhận giải quyết', 'b.resolvedGroup': 'Số hồ sơ đã giải quyết', 'b.pendingGroup': 'Số hồ sơ đang giải quyết',
  'b.rate': 'Tỷ lệ đúng hạn', 'b.total': 'Tổng số', 'b.online': 'Trực tuyến', 'b.direct': 'Trực tiếp, bưu chính',
  'b.carried': 'Từ kỳ trước', 'b.early': 'Trước hạn', 'b.onTime': 'Đúng hạn', 'b.late': 'Quá hạn',
  'b.within': 'Trong hạn', 'b.overdue': 'Quá hạn',
  'level.province': 'Cấp tỉnh', 'level.district': 'Cấp huyện', 'level.commune': 'Cấp xã',
  'children.title': 'Đơn vị trực thuộc', 'children.filter': 'Lọc theo tên', 'children.unit': 'Đơn vị',
  'children.received': 'Nhận (3)', 'children.resolved': 'Đã GQ (7)', 'children.rate': 'Đúng hạn',
  'children.pending': 'Đang GQ (11)', 'children.overdue': 'Quá hạn (13)',
  'children.loading': 'Đang tải số liệu {0}/{1} đơn vị…', 'children.done': '{0} đơn vị · số liệu của kỳ báo cáo',
  'children.none': 'Đơn vị này không có đơn vị trực thuộc.',
  'overdue.title': 'Hồ sơ đang quá hạn', 'queue.title': 'Hàng đợi tại các bộ phận',
  'list.code': 'Mã hồ sơ', 'list.procedure': 'Thủ tục', 'list.handling': 'Cơ quan giải quyết', 'list.deadline': 'Hạn giải quyết',
  'list.late': 'Quá hạn', 'list.status': 'Trạng thái', 'list.holder': 'Đang ở', 'list.due': 'Hạn tại bộ phận',
  'list.remaining': 'Còn lại', 'list.limit': 'Số dòng', 'list.empty': 'Không có hồ sơ.', 'list.more': '{0}+',
  'list.overdueBy': 'trễ {0}',
  'span.d': 'ngày', 'span.h': 'giờ', 'span.m': 'phút',
  'err.views_unavailable': 'Máy chủ chưa có dữ liệu tổng hợp của tỉnh này.',
  'err.other_province': 'Tài khoản chỉ được xem số liệu của tỉnh mình.',
  'err.unknown_unit': 'Không có đơn vị này trong danh mục.',
  'err.generic': 'Lỗi {0}: {1}',
  'foot.privacy': 'Bảng điều hành không hiển thị dữ liệu cá nhân của người nộp hồ sơ.',
  'foot.updated': 'Cập nhật lúc {0}',
  'role.reporter': 'báo cáo', 'role.admin': 'quản trị', 'role.reception': 'tiếp nhận', 'role.handling_officer': 'chuyên viên',
  'role.approver': 'lãnh đạo', 'role.clerk': 'văn thư', 'role.importer': 'nhập liệu',
  'actor.applicant': 'công dân', 'actor.system': 'hệ thống',
};

const EN = {
  'app.title': 'One-stop operations dashboard',
  'app.subtitle': 'Administrative procedures, live',
  'jump.label': 'Unit code', 'jump.placeholder': 'Unit code', 'jump.go': 'Go',
  'auth.title': 'Sign in',
  'auth.help': 'Enter the access token (bearer token) of an officer account. It is kept only for this browser session and sent only in the Authorization header.',
  'auth.token': 'Access token', 'auth.submit': 'Sign in', 'auth.logout': 'Sign out',
  'auth.bad': 'The token is invalid or was revoked.',
  'auth.applicant': 'The dashboard is for officer accounts.',
  'auth.unreachable': 'The server cannot be reached.',
  'units.list': 'Unit list',
  'list.2level-2025-07': '2 levels (from 01/07/2025)', 'list.3level-2025-03': '3 levels (until 30/06/2025)',
  'period.title': 'Period', 'period.from': 'From', 'period.to': 'To',
  'period.today': 'Today', 'period.last7': '7 days', 'period.last30': '30 days',
  'period.month': 'This month', 'period.prevMonth': 'Last month', 'period.apply': 'Show report',
  'period.bad': 'Invalid period: the first day must not be after the last.',
  'period.judged': 'Figures as of {0}',
  'kpi.received': 'Dossiers to resolve', 'kpi.resolved': 'Resolved', 'kpi.onTime': 'On-time rate',
  'kpi.pending': 'In progress', 'kpi.overdue': 'Overdue now',
  'kpi.receivedSub': '{0} in period · {1} carried over',
  'kpi.resolvedSub': '{0} early · {1} on time · {2} late',
  'kpi.onTimeSub': '(8)+(9) / (7) = {0}/{1}',
  'kpi.pendingSub': '{0} within time',
  'kpi.overdueSub': 'of {0} in progress',
  'trend.title': 'Daily trend', 'trend.days': 'Days', 'trend.d14': 'Last 14 days', 'trend.d30': 'Last 30 days',
  'trend.received': 'Received that day', 'trend.resolved': 'Resolved', 'trend.late': 'Resolved late',
  'trend.rate': 'On-time rate (%)', 'trend.loading': 'Loading {0}/{1} days…', 'trend.empty': 'No figures yet',
  'trend.tip': '{0}: received {1}, resolved {2} ({3} late), on time {4}',
  'feed.title': 'Live events', 'feed.pause': 'Pause', 'feed.resume': 'Resume', 'feed.clear': 'Clear',
  'feed.type': 'Event type', 'feed.allTypes': 'All event types', 'feed.level': 'Level', 'feed.allLevels': 'All levels',
  'feed.office': 'Office', 'feed.allOffices': 'All offices',
  'feed.live': 'Receiving new events of province {0}', 'feed.connecting': 'Connecting…',
  'feed.retry': 'Disconnected, retrying in {0} s…', 'feed.paused': 'Paused ({0} events waiting)',
  'feed.denied': 'This account may not read this province’s feed.', 'feed.waiting': 'No new events yet.',
  'feed.imported': 'imported, {0} steps',
  'bieu06.title': 'Form 06: administrative procedures handled', 'bieu06.detail': 'Per procedure', 'bieu06.csv': 'Download CSV',
  'bieu06.caption': '{0} (code {1}) · {2} to {3} · unit: dossiers',
  'bieu06.empty': 'No dossiers in this period.', 'bieu06.total': 'Total',
  'bieu06.rates': 'On-time rate: (a) ((8)+(9))/(7) = {0}; (b) ((8)+(9))/((7)+(13)) = {1}; (c) 100% − ((10)+(13))/(3) = {2}.',
  'bieu06.note': 'Note: {0} dossiers ended in the period without a result (withdrawn, stopped, closed for a missing supplement); column (3) = column (7) + column (11) + {0}.',
  'b.stt': 'No.', 'b.name': 'Field and procedure, by level',
  'b.receivedGroup': 'Dossiers to resolve', 'b.resolvedGroup': 'Resolved', 'b.pendingGroup': 'In progress',
  'b.rate': 'On-time rate', 'b.total': 'Total', 'b.online': 'Online', 'b.direct': 'At the desk, by post',
  'b.carried': 'Carried over', 'b.early': 'Early', 'b.onTime': 'On time', 'b.late': 'Late',
  'b.within': 'Within time', 'b.overdue': 'Overdue',
  'level.province': 'Province level', 'level.district': 'District level', 'level.commune': 'Commune level',
  'children.title': 'Units below', 'children.filter': 'Filter by name', 'children.unit': 'Unit',
  'children.received': 'Received (3)', 'children.resolved': 'Resolved (7)', 'children.rate': 'On time',
  'children.pending': 'In progress (11)', 'children.overdue': 'Overdue (13)',
  'children.loading': 'Loading figures {0}/{1} units…', 'children.done': '{0} units · figures of the period',
  'children.none': 'This unit has no units below it.',
  'overdue.title': 'Overdue dossiers', 'queue.title': 'Desk queues',
  'list.code': 'Dossier code', 'list.procedure': 'Procedure', 'list.handling': 'Handling office', 'list.deadline': 'Deadline',
  'list.late': 'Overdue', 'list.status': 'Status', 'list.holder': 'At', 'list.due': 'Due at desk',
  'list.remaining': 'Time left', 'list.limit': 'Rows', 'list.empty': 'No dossiers.', 'list.more': '{0}+',
  'list.overdueBy': '{0} late',
  'span.d': 'd', 'span.h': 'h', 'span.m': 'min',
  'err.views_unavailable': 'The server keeps no read models of this province yet.',
  'err.other_province': 'This account reads its own province only.',
  'err.unknown_unit': 'No such unit in the unit lists.',
  'err.generic': 'Error {0}: {1}',
  'foot.privacy': 'The dashboard shows no personal data of applicants.',
  'foot.updated': 'Updated at {0}',
  'role.reporter': 'reporter', 'role.admin': 'admin', 'role.reception': 'reception', 'role.handling_officer': 'handling officer',
  'role.approver': 'approver', 'role.clerk': 'clerk', 'role.importer': 'importer',
  'actor.applicant': 'applicant', 'actor.system': 'system',
};

/** Event types: [Vietnamese, English, tone]. Tones colour the pills of the live feed. */
export const EVENT_TYPES = {
  submitted: ['Nộp trực tuyến', 'Submitted online', 'in'],
  intake_supplement_requested: ['Yêu cầu bổ sung khi tiếp nhận', 'Intake supplement requested', 'wait'],
  intake_supplement_provided: ['Bổ sung khi tiếp nhận', 'Intake supplement provided', 'in'],
  intake_refused: ['Từ chối tiếp nhận', 'Refused at intake', 'bad'],
  received: ['Tiếp nhận', 'Received', 'in'],
  forwarded: ['Chuyển xử lý', 'Forwarded', 'neutral'],
  assigned: ['Phân công', 'Assigned', 'neutral'],
  appraised: ['Thẩm định', 'Appraised', 'neutral'],
  supplement_requested: ['Yêu cầu bổ sung', 'Supplement requested', 'wait'],
  supplement_provided: ['Đã bổ sung', 'Supplement provided', 'neutral'],
  supplement_expired: ['Hết hạn bổ sung', 'Supplement expired', 'bad'],
  fee_requested: ['Yêu cầu nộp phí', 'Fee requested', 'wait'],
  fee_paid: ['Đã nộp phí', 'Fee paid', 'neutral'],
  submitted_for_approval: ['Trình phê duyệt', 'Submitted for approval', 'neutral'],
  approved: ['Phê duyệt', 'Approved', 'neutral'],
  approval_rejected: ['Trả lại thẩm định', 'Approval rejected', 'wait'],
  issued: ['Ban hành', 'Issued', 'neutral'],
  result_ready: ['Có kết quả', 'Result ready', 'ok'],
  returned: ['Trả kết quả', 'Returned', 'ok'],
  withdrawn: ['Rút hồ sơ', 'Withdrawn', 'bad'],
  stopped: ['Dừng xử lý', 'Stopped', 'bad'],
  apologised: ['Xin lỗi, hẹn lại', 'Apologised', 'wait'],
  feedback_recorded: ['Đánh giá', 'Feedback', 'neutral'],
  imported: ['Nhập dữ liệu', 'Imported', 'neutral'],
};

/** National status codes (TrangThaiHoSo) [Vietnamese, English]. */
export const STATUS = {
  1: ['Mới đăng ký', 'Submitted'],
  2: ['Được tiếp nhận', 'Received'],
  3: ['Không được tiếp nhận', 'Refused at intake'],
  4: ['Đang xử lý', 'In progress'],
  5: ['Yêu cầu bổ sung giấy tờ', 'Supplement requested'],
  6: ['Yêu cầu thực hiện nghĩa vụ tài chính', 'Fee requested'],
  7: ['Công dân yêu cầu rút hồ sơ', 'Withdrawn'],
  8: ['Dừng xử lý', 'Stopped'],
  9: ['Đã xử lý xong', 'Result ready'],
  10: ['Đã trả kết quả', 'Returned'],
};

/** The status a commit's event leads to, as its type implies (none for apologies and feedback). */
export const STATUS_AFTER = {
  submitted: 1, intake_supplement_requested: 5, intake_supplement_provided: 1, intake_refused: 3,
  received: 2, forwarded: 4, assigned: 4, appraised: 4, supplement_requested: 5, supplement_provided: 4,
  supplement_expired: 8, fee_requested: 6, fee_paid: 4, submitted_for_approval: 4, approved: 4,
  approval_rejected: 4, issued: 4, result_ready: 9, returned: 10, withdrawn: 7, stopped: 8,
};

let lang = 'vi';

export function currentLang() {
  return lang;
}

/** The label of `key` with {0}, {1}… replaced by `args`. */
export function t(key, ...args) {
  const dict = lang === 'en' ? EN : VI;
  const text = dict[key] ?? VI[key] ?? key;
  return text.replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ''));
}

export function eventLabel(type) {
  const e = EVENT_TYPES[type];
  return e ? (lang === 'en' ? e[1] : e[0]) : type;
}

export function eventTone(type) {
  return EVENT_TYPES[type]?.[2] ?? 'neutral';
}

export function statusLabel(code) {
  const s = STATUS[code];
  return s ? (lang === 'en' ? s[1] : s[0]) : '';
}

/** Switches the language of every labelled element, and of numbers and dates. */
export function setLang(next) {
  lang = next === 'en' ? 'en' : 'vi';
  try { localStorage.setItem('motcua.lang', lang); } catch { /* storage may be disabled */ }
  document.documentElement.lang = lang;
  setLocale(lang);
  for (const el of $$('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of $$('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const b of $$('.lang-btn')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
  document.title = `${t('app.title')} · motcua`;
}

export function initialLang() {
  try { return localStorage.getItem('motcua.lang') || 'vi'; } catch { return 'vi'; }
}
