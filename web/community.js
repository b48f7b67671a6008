// Shared by the community pages (proposals in the finder, the owner page, the training page):
// their strings, merged into common.js's table when this module loads (kept apart so that
// common.js, which every page's work touches, does not change for them), multipart posts and
// phone photos made small enough to send.
import { STRINGS, answerOf } from "./common.js";

export const COMMUNITY_STRINGS = {
  en: {
    propose_aed: "Propose an AED here", propose_change: "Moved, gone or wrong hours?",
    propose_title: "A new AED", change_title: "A change to this AED",
    k_moved: "It has moved", k_gone: "It is gone", k_wrong_hours: "The hours are wrong",
    k_other: "Something else",
    position: "Position", use_centre: "Map centre", use_device: "My location",
    drag_hint: "Drag the red marker to where the AED hangs.",
    aed_name: "Name (e.g. Library lobby AED)", where_hangs: "Where it hangs (e.g. beside the lift)",
    floor: "Floor", hours: "Opening hours (e.g. Mo-Fr 08:00-18:00)", note: "Note (optional)",
    photo_file: "Photo (camera or file)", proposal_sent: "Thank you: a moderator will check it before it is shown.",
    proposal_failed: "The proposal could not be sent", too_many: "Too many proposals from here: try again later.",
    owner_title: "My AEDs", owner_token: "Owner or admin token", owner_hint:
      "Paste the token you were given once; this device keeps it until you forget it.",
    my_aeds: "My AEDs", todo_none: "Nothing to do", status: "Status", reason: "Reason",
    set_status: "Set status", battery_date: "Battery expires", pads_date: "Pads expire",
    save_dates: "Save dates", inspect: "Record an inspection", inspected: "Last inspected",
    saved: "Saved", register: "Register a new AED", register_hint:
      "Click the map where it hangs, then fill in the form.",
    registered: "Registered", queue: "Moderation queue", queue_empty: "No proposal waits.",
    accept: "Accept", reject: "Reject", reject_reason: "Why (the proposer is told)",
    accepted: "Accepted", rejected: "Rejected", time: "Sent", proposal_note: "Note", no_photo: "no photo", signed_in_as: "Signed in as",
    s_ready: "ready", s_fault: "fault", s_out_of_service: "out of service", s_missing: "missing",
    s_in_use: "in use",
    training_title: "First-aid training", training_hint:
      "Tap the map, use the map centre or “Locate me”: the nearest training sites and their courses.",
    from_centre: "From the map centre",
    by_walk: "On foot", by_drive: "By car", sites: "Training sites nearest you",
    no_sessions: "No upcoming course", free_places: "free places", full: "full",
    enrol: "Enrol", enrol_title: "Enrol in this course", your_name: "Your name",
    your_phone: "Your phone", enrolled: "You are enrolled. The site will contact you.",
    enrol_refused: "Cannot enrol", privacy_note:
      "Your name and phone go only to the training site and the emergency centre.",
    volunteer_title: "Become a volunteer", level_sought: "Level",
    lv_emergency_responder: "Emergency responder", lv_junior: "Junior first-aider",
    lv_senior: "Senior first-aider", certificate_no: "Certificate number",
    certified_until: "Certificate valid until", certificate_photo: "Photo of the certificate",
    apply: "Apply", applied: "Thank you: your application waits for approval.",
  },
  zh: {
    propose_aed: "在此处上报AED", propose_change: "已移动、已不见或开放时间有误？",
    propose_title: "新的AED", change_title: "更正此AED",
    k_moved: "已移到别处", k_gone: "已不见了", k_wrong_hours: "开放时间有误", k_other: "其他",
    position: "位置", use_centre: "地图中心", use_device: "我的位置",
    drag_hint: "把红色标记拖到AED所在的位置。",
    aed_name: "名称（如：图书馆大厅AED）", where_hangs: "放置位置（如：电梯旁）",
    floor: "楼层", hours: "开放时间（如：Mo-Fr 08:00-18:00）", note: "备注（可选）",
    photo_file: "照片（拍照或选择文件）", proposal_sent: "谢谢！审核员核实后才会显示。",
    proposal_failed: "上报失败", too_many: "此处提交过多，请稍后再试。",
    owner_title: "我的AED", owner_token: "设备单位或管理员令牌",
    owner_hint: "粘贴发给您的令牌一次即可；本设备会保存，直到您清除。",
    my_aeds: "我的AED", todo_none: "无待办事项", status: "状态", reason: "原因",
    set_status: "设置状态", battery_date: "电池到期", pads_date: "电极片到期",
    save_dates: "保存日期", inspect: "记录巡检", inspected: "上次巡检", saved: "已保存",
    register: "登记新的AED", register_hint: "在地图上点击AED所在位置，然后填写表格。",
    registered: "已登记", queue: "审核队列", queue_empty: "没有待审核的上报。",
    accept: "通过", reject: "驳回", reject_reason: "驳回原因（会告知上报者）",
    accepted: "已通过", rejected: "已驳回", time: "提交时间", proposal_note: "备注", no_photo: "无照片", signed_in_as: "当前身份",
    s_ready: "可用", s_fault: "故障", s_out_of_service: "停用", s_missing: "丢失",
    s_in_use: "使用中",
    training_title: "急救培训", training_hint: "点击地图、使用地图中心或“定位我”：查看最近的培训点及其课程。",
    from_centre: "从地图中心",
    by_walk: "步行", by_drive: "驾车", sites: "离您最近的培训点",
    no_sessions: "暂无近期课程", free_places: "个空位", full: "已满",
    enrol: "报名", enrol_title: "报名参加此课程", your_name: "您的姓名", your_phone: "您的电话",
    enrolled: "报名成功，培训点会与您联系。", enrol_refused: "无法报名",
    privacy_note: "您的姓名和电话只提供给培训点和急救中心。",
    volunteer_title: "成为志愿者", level_sought: "级别",
    lv_emergency_responder: "急救员", lv_junior: "初级急救员", lv_senior: "高级急救员",
    certificate_no: "证书编号", certified_until: "证书有效期至",
    certificate_photo: "证书照片", apply: "提交申请", applied: "谢谢！您的申请正在等待审核。",
  },
};

for (const lang of Object.keys(COMMUNITY_STRINGS)) {
  Object.assign(STRINGS[lang], COMMUNITY_STRINGS[lang]);
}

/** POST a multipart form; the parsed answer, or an Error with the server's description and
 * its HTTP status (common.js's answerOf). */
export async function postForm(path, formData) {
  return answerOf(await fetch(path, { method: "POST", body: formData }));
}

const PHOTO_LIMIT_BYTES = 2_000_000;
const PHOTO_SIDE_PX = 1600;

/** A phone camera's photo can pass the server's 5 MB limit: a big one is redrawn at most
 * 1600 px wide as a JPEG (which also leaves its metadata behind); a small one, or one the
 * browser cannot decode, is sent as it is and the server checks it. */
export async function shrinkPhoto(file) {
  if (!file || !file.size || file.size <= PHOTO_LIMIT_BYTES) return file && file.size ? file : null;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, PHOTO_SIDE_PX / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    return blob ? new File([blob], "photo.jpg", { type: "image/jpeg" }) : file;
  } catch (error) {
    return file;
  }
}
