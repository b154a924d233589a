/**
 * 按日连续处罚 shown before it is issued (预览). The enforcement API has no preview: it computes the round itself when
 * a re-inspection finds an order not complied with (services/enforcement/domain/rules.py `_reinspection` and
 * `_daily_penalty`, the arithmetic in domain/daily_penalty.py, 《环境保护法》第五十九条). This is the same rule on the
 * case as the page shows it, in exact integer fen:
 *
 *   amount = days × the case's first fine (原处罚决定), days = the re-inspection day − the day counted after,
 *   counted after = the previous re-inspection of this order, else the day the order was served;
 *   the period runs from the day after that up to the re-inspection day, both ends counted.
 *
 * and the same refusals first (an order already complied with, a date before service or not after the previous
 * re-inspection, the order's deadline not reached, no fine yet), or no round after a production stop.
 * tests/daily-penalty.json holds rounds with the service's answer for each; vitest checks this module against it and
 * tests/unit/enforcement/test_daily_penalty.py checks the service against the same file.
 */
import type { EnforcementCase, Order } from './api/enforcement'

export interface DailyRound {
  periodStart: string
  periodEnd: string
  days: number
  dailyFen: bigint
  amountFen: bigint
}

export type Preview =
  | { kind: 'round'; round: DailyRound; originalDecisionNo: string }
  /** The finding is recorded and no round issued (责令停产整治 ends the daily penalty). */
  | { kind: 'no_round'; message: string }
  /** The service would refuse the re-inspection: 409 (`code`) or 422 on `inspected_on`. */
  | { kind: 'refused'; code: string; message: string }

const DAY_MS = 86_400_000

function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS
}

function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

/** One round ending on `inspectedOn`, counted from the day after `countedAfter` (daily_penalty.daily_round). */
export function dailyRound(originalFineFen: bigint, countedAfter: string, inspectedOn: string): DailyRound | null {
  const days = dayNumber(inspectedOn) - dayNumber(countedAfter)
  if (!(days > 0)) return null
  return {
    periodStart: dateOf(dayNumber(countedAfter) + 1),
    periodEnd: inspectedOn,
    days,
    dailyFen: originalFineFen,
    amountFen: BigInt(days) * originalFineFen,
  }
}

/** The day part of a moment the services show in +08:00: the order's deadline as a date in 北京时间. */
function beijingDate(moment: string): string {
  return moment.slice(0, 10)
}

/** What a re-inspection of `order` on `inspectedOn` finding it NOT complied with will do on `item`. */
export function previewNonCompliance(item: EnforcementCase, order: Order, inspectedOn: string): Preview {
  if (order.status === 'complied') {
    return { kind: 'refused', code: 'order_complied', message: `责令改正决定 ${order.order_id} 已经复查确认改正，无需再复查` }
  }
  if (inspectedOn < order.served_on) {
    return { kind: 'refused', code: 'inspected_on', message: `复查日期不能早于责令改正决定送达日期 ${order.served_on}` }
  }
  const last = order.reinspections.at(-1)?.inspected_on
  if (last !== undefined && inspectedOn <= last) {
    return { kind: 'refused', code: 'inspected_on', message: `复查日期须晚于上次复查日期 ${last}` }
  }
  const deadline = beijingDate(order.deadline)
  if (inspectedOn < deadline) {
    return {
      kind: 'refused',
      code: 'deadline_not_reached',
      message: `改正期限 ${deadline} 未届满，不能认定拒不改正；请在期限届满后复查`,
    }
  }
  if (item.production_stopped_on !== null) {
    return {
      kind: 'no_round',
      message: `本案已于 ${item.production_stopped_on} 责令停产整治，按日连续处罚至此停止：只登记复查结果，不再计罚`,
    }
  }
  const fine = item.penalties.find((p) => p.basis === 'fine')
  if (fine === undefined) {
    return {
      kind: 'refused',
      code: 'no_original_fine',
      message: '按日连续处罚以原处罚决定的罚款数额按日计罚，本案尚无罚款决定；请先作出罚款处罚，再登记认定拒不改正的复查',
    }
  }
  const countedAfter = last ?? order.served_on
  const round = dailyRound(BigInt(fine.amount_fen), countedAfter, inspectedOn)
  if (round === null) {
    return { kind: 'refused', code: 'inspected_on', message: `认定拒不改正的复查日期须晚于 ${countedAfter}，才有计罚日数` }
  }
  return { kind: 'round', round, originalDecisionNo: fine.decision_no }
}
