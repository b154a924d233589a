/**
 * 整改时限 as a form takes it (交办, 督办, 延期, 回头看): a date (that day 18:00 北京时间), a number of working days
 * (工作日, counted by the cases service: holidays skipped, 调休 counted), or — for 督办 only — no change. The API
 * names the two ways `<field>` and `<field>_working_days`, exactly one of them.
 *
 * The date a number of working days comes to is the cases service's to say (GET /v1/calendar/deadline): the page
 * shows its answer under the input, asked for at most once per pause in typing, and shows nothing while the service
 * has no such route (404) rather than a date of its own making.
 */
import { deadlineOn, shanghaiMoment } from './time'

export type DeadlineBy = 'none' | 'days' | 'date'

export interface DeadlineChoice {
  by: DeadlineBy
  /** YYYY-MM-DD, when `by` is 'date'. */
  date: string
  workingDays: number
}

export function deadlineChoice(by: DeadlineBy = 'days', workingDays = 10): DeadlineChoice {
  return { by, date: '', workingDays }
}

export type DeadlineField = 'deadline' | 'new_deadline'

/** The API's fields for the choice: `{deadline: …}` or `{deadline_working_days: n}`; nothing for 'none'. */
export type DeadlineFields<F extends DeadlineField> = { [K in F]?: string } & { [K in `${F}_working_days`]?: number }

export function deadlineFields<F extends DeadlineField>(choice: DeadlineChoice, field: F): DeadlineFields<F> {
  if (choice.by === 'days') return { [`${field}_working_days`]: choice.workingDays } as DeadlineFields<F>
  // An empty date is sent as no deadline: the service answers 422 on the field, shown next to the input.
  if (choice.by === 'date' && choice.date !== '') return { [field]: deadlineOn(choice.date) } as DeadlineFields<F>
  return {} as DeadlineFields<F>
}

/** The cases service's answer for a number of working days: the moment (UTC) and how 北京时间 reads it. */
export interface DeadlinePreview {
  deadline: string
  shown: string
}

function firstString(body: Record<string, unknown>, names: string[]): string | undefined {
  for (const name of names) {
    const value = body[name]
    if (typeof value === 'string' && value.trim() !== '') return value
  }
  return undefined
}

/**
 * The preview from GET /v1/calendar/deadline's JSON: the deadline in UTC ISO (`deadline`, or `deadline_utc`), shown
 * in 北京时间 by this page from that moment, else by the service's own label; null when the answer holds no moment.
 */
export function previewOf(body: unknown): DeadlinePreview | null {
  if (typeof body !== 'object' || body === null) return null
  const fields = body as Record<string, unknown>
  const deadline = firstString(fields, ['deadline', 'deadline_utc'])
  if (deadline === undefined) return null
  const shown = shanghaiMoment(deadline) ?? firstString(fields, ['deadline_shown', 'shown', 'label', 'deadline_label'])
  return shown === undefined ? null : { deadline, shown }
}

/** Whether a candidate deadline breaks the rule against the current one: 延期 must be later, 督办 only earlier. */
export function breaksRelation(candidate: string, current: string | null, relation: 'later' | 'earlier'): boolean {
  if (current === null) return false
  const a = Date.parse(candidate)
  const b = Date.parse(current)
  if (Number.isNaN(a) || Number.isNaN(b)) return false
  return relation === 'later' ? a <= b : a >= b
}

/**
 * Asks `fetch` for the latest value only, `delay` ms after the last call, and hands on the answer only if no later
 * call came meanwhile (an old, slow answer never replaces a newer one). `cancel` drops what is pending.
 */
export function latestOnly<A, R>(
  fetch: (arg: A) => Promise<R>,
  delay: number,
  deliver: (result: R | undefined, arg: A) => void,
): { ask(arg: A): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  let asked = 0
  return {
    ask(arg: A) {
      asked += 1
      const mine = asked
      clearTimeout(timer)
      timer = setTimeout(() => {
        fetch(arg).then(
          (result) => mine === asked && deliver(result, arg),
          () => mine === asked && deliver(undefined, arg),
        )
      }, delay)
    },
    cancel() {
      asked += 1
      clearTimeout(timer)
    },
  }
}

/** A 422's message for the deadline, whichever of its two fields the service named. */
export function deadlineError(errors: Record<string, string>, field: DeadlineField): string | undefined {
  return errors[field] ?? errors[`${field}_working_days`]
}
