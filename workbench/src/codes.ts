/**
 * The services' stable codes that the forms offer, with their Chinese labels (代码与名称), as
 * shared/contracts/codes.py has them: tests/unit/test_workbench.py fails when the two differ, so they cannot drift.
 * Labels the services send back in their answers (`domain_label`, `measure_label`, …) are shown as sent.
 */

/** 问题领域 (Domain). */
export const DOMAIN_LABELS: Record<string, string> = {
  quarrying_sand: '非法采砂采石',
  brick_tile: '砖瓦窑',
  ready_mix_concrete: '商品混凝土',
  livestock_aquaculture: '畜禽水产养殖',
  dust_construction_waste: '扬尘与建筑垃圾',
  rural_living_environment: '农村人居环境',
  water: '水污染',
  air: '大气污染',
  solid_waste: '固体废物',
  noise: '噪声污染',
  other: '其他',
}

/** The two hotlines an operator enters calls from (HotlineCallIn.line), labelled as the sources they become. */
export const HOTLINE_LABELS: Record<string, string> = {
  hotline_12369: '12369环保热线',
  county_hotline: '县长热线',
}

/** 问责措施 (MeasureKind). */
export const MEASURE_LABELS: Record<string, string> = {
  criticism_education: '批评教育',
  written_self_criticism: '书面检查',
  admonishment_talk: '诫勉谈话',
  reminder_talk: '约谈提醒',
  warning_talk: '提醒谈话',
  criticism_notice: '通报批评',
  collective_summons: '集体约谈',
}

/** The measures that name a person (PERSON_MEASURES); the others are imposed on a unit. */
export const PERSON_MEASURES: readonly string[] = [
  'criticism_education',
  'written_self_criticism',
  'admonishment_talk',
  'reminder_talk',
  'warning_talk',
]

export interface Choice {
  value: string
  label: string
}

/** A select's options, in the order the labels are written. */
export function choices(labels: Record<string, string>): Choice[] {
  return Object.entries(labels).map(([value, label]) => ({ value, label }))
}

/** 工作会议的种类 (MeetingKind). */
export const MEETING_LABELS: Record<string, string> = {
  standing_committee: '常委会',
  executive: '常务会',
  mobilization: '动员会',
  progress: '推进会',
  dispatch: '调度会',
}
