/** What each event of an enforcement case says in its history (办理记录), in a line: the payload in people's words. */
import type { HistoryEntry } from './api/cases'
import { shownYuan } from './money'
import { shanghaiMoment } from './time'

type Payload = Record<string, unknown>

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function fen(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? shownYuan(value) : undefined
}

function names(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined
  const listed = value.map((p: unknown) => {
    const person = (p ?? {}) as { name?: unknown; days?: unknown }
    const days = typeof person.days === 'number' ? ` ${person.days} 日` : ''
    return `${text(person.name) ?? '?'}${days}`
  })
  return listed.join('、')
}

const LINES: Record<string, (d: Payload) => (string | undefined)[]> = {
  EnforcementCaseOpened: (d) => [text((d.enterprise as Payload | undefined)?.name), text(d.violation), text(d.legal_basis)],
  PenaltyIssued: (d) =>
    d.basis === 'daily_continuous'
      ? [text(d.decision_no), `按日连续处罚 ${String(d.days)} 日（${text(d.period_start)} 至 ${text(d.period_end)}）× ${fen(d.daily_amount_fen)}`, `计 ${fen(d.amount_fen)}`]
      : [text(d.decision_no), `罚款 ${fen(d.amount_fen)}`, text(d.due_date) && `缴纳期限 ${text(d.due_date)}`],
  PenaltyPaid: (d) => [`缴纳 ${fen(d.amount_fen)}`, text(d.paid_on)],
  RectificationOrdered: (d) => [text(d.requirements), text(d.served_on) && `${text(d.served_on)} 送达`, text(d.deadline) && `改正期限 ${shanghaiMoment(String(d.deadline)) ?? String(d.deadline)}`],
  ReinspectionDone: (d) => [text(d.inspected_on), d.complied === true ? '已改正' : '拒不改正', text(d.note)],
  ProductionStopOrdered: (d) => [text(d.ordered_on), text(d.note)],
  DetentionOrdered: (d) => [names(d.persons), text(d.police_unit)],
  CriminalMeasuresTaken: (d) => [text(d.measure), names(d.persons), text(d.police_unit)],
  ReferredForProsecution: (d) => [names(d.persons), text(d.procuratorate)],
  EnforcementCaseClosed: (d) => [text(d.outcome)],
}

export function enforcementEventDetail(entry: HistoryEntry): string {
  const lines = LINES[entry.type]
  return lines === undefined ? '' : lines(entry.data).filter((p): p is string => typeof p === 'string' && p !== '').join(' · ')
}
