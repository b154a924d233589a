/**
 * What the enforcement forms become as the API's request bodies (services/enforcement/schemas.py): money as the exact
 * yuan string (never a number), dates as "YYYY-MM-DD", the order's deadline as a moment in +08:00. A date left blank
 * is left out, so the API's 422 says 必填 next to it (an empty string would read as a malformed date); so are blank
 * optional texts.
 */
import type {
  CaseBody,
  CloseBody,
  CriminalMeasuresBody,
  DetentionBody,
  OrderBody,
  PaymentBody,
  PenaltyBody,
  ProductionStopBody,
  ReferralBody,
  ReinspectionBody,
} from '../api/enforcement'
import { normalize } from '../creditCode'
import { fenToYuan, parseYuan } from '../money'
import { named, present } from './text'

/** The amount as the API takes it: exact yuan from fen when it reads as an amount, else as typed (the API says why). */
export function amountOf(typed: string): string {
  const parsed = parseYuan(typed)
  return parsed.fen !== undefined ? fenToYuan(parsed.fen) : typed.trim()
}

export interface CaseForm {
  name: string
  creditCode: string
  address: string
  violation: string
  legalBasis: string
  officer: string
  issueId: string
}

export function caseBody(f: CaseForm): CaseBody {
  return {
    enterprise: { name: f.name, credit_code: normalize(f.creditCode), address: f.address },
    violation: f.violation,
    legal_basis: f.legalBasis,
    officer: f.officer,
    ...present('issue_id', f.issueId.trim()),
  }
}

export function penaltyBody(f: { amount: string; decisionNo: string; dueDate: string }): PenaltyBody {
  return { amount: amountOf(f.amount), decision_no: f.decisionNo, ...present('due_date', f.dueDate) } as PenaltyBody
}

export function paymentBody(f: { penaltyId: string; amount: string; paidOn: string }): PaymentBody {
  return { penalty_id: f.penaltyId, amount: amountOf(f.amount), ...present('paid_on', f.paidOn) } as PaymentBody
}

/** 责令改正: the deadline picked as a day and a time, 北京时间. */
export function orderBody(f: { requirements: string; servedOn: string; deadlineDate: string; deadlineTime: string }): OrderBody {
  const deadline = f.deadlineDate === '' ? '' : `${f.deadlineDate}T${f.deadlineTime || '17:00'}:00+08:00`
  return { requirements: f.requirements, ...present('served_on', f.servedOn), ...present('deadline', deadline) } as OrderBody
}

export interface ReinspectionForm {
  orderId: string
  inspectedOn: string
  complied: boolean
  note: string
  decisionNo: string
  dueDate: string
}

/** 复查: the daily penalty's decision number and due date only when it finds the order not complied with. */
export function reinspectionBody(f: ReinspectionForm): ReinspectionBody {
  return {
    order_id: f.orderId,
    ...present('inspected_on', f.inspectedOn),
    complied: f.complied,
    ...present('note', f.note),
    ...(f.complied ? {} : { ...present('decision_no', f.decisionNo), ...present('due_date', f.dueDate) }),
  } as ReinspectionBody
}

export function productionStopBody(f: { orderedOn: string; note: string }): ProductionStopBody {
  return { ...present('ordered_on', f.orderedOn), ...present('note', f.note) } as ProductionStopBody
}

export function detentionBody(f: { persons: { name: string; days: number }[]; policeUnit: string }): DetentionBody {
  return { persons: named(f.persons).map((p) => ({ name: p.name, days: p.days })), police_unit: f.policeUnit }
}

export function criminalMeasuresBody(f: {
  persons: { name: string }[]
  measure: string
  policeUnit: string
}): CriminalMeasuresBody {
  return { persons: named(f.persons).map((p) => ({ name: p.name })), measure: f.measure, police_unit: f.policeUnit }
}

export function referralBody(f: { persons: { name: string }[]; procuratorate: string }): ReferralBody {
  return { persons: named(f.persons).map((p) => ({ name: p.name })), procuratorate: f.procuratorate }
}

export function closeBody(f: { outcome: string }): CloseBody {
  return { outcome: f.outcome }
}
