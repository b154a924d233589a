/** Deadlines as people read them (整改时限): the moment in 北京时间, and the time left or how long overdue. */

const HOUR = 3_600_000
const DAY = 24 * HOUR

export interface TimeLeft {
  text: string
  overdue: boolean
}

/** "剩 3 天 4 小时", "剩 5 小时", "已超期 2 天 3 小时"; null without a deadline. */
export function timeLeft(deadline: string | null, now: number = Date.now()): TimeLeft | null {
  if (deadline === null) return null
  const at = Date.parse(deadline)
  if (Number.isNaN(at)) return null
  const diff = at - now
  const span = Math.abs(diff)
  const days = Math.floor(span / DAY)
  const hours = Math.floor((span % DAY) / HOUR)
  const parts = days > 0 ? `${days} 天${hours > 0 ? ` ${hours} 小时` : ''}` : hours > 0 ? `${hours} 小时` : '不到 1 小时'
  return diff < 0 ? { text: `已超期 ${parts}`, overdue: true } : { text: `剩 ${parts}`, overdue: false }
}

/** "2026-12-15 18:00" from the API's "2026-12-15T18:00:00+08:00" (the services show every moment in +08:00). */
export function shownMoment(moment: string | null): string {
  if (moment === null) return '—'
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(moment)
  return m ? `${m[1]} ${m[2]}` : moment
}

/** A deadline picked as a date: that day at 18:00 北京时间, as the API takes it. */
export function deadlineOn(date: string): string {
  return `${date}T18:00:00+08:00`
}

const SHANGHAI = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})
const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六']

/** Any ISO 8601 moment with its zone (UTC included) as "2026-10-09（周五）23:59" in 北京时间; null if unreadable. */
export function shanghaiMoment(moment: string): string | null {
  const at = Date.parse(moment)
  if (Number.isNaN(at) || !/(Z|[+-]\d{2}:?\d{2})$/i.test(moment)) return null
  const parts = Object.fromEntries(SHANGHAI.formatToParts(at).map((p) => [p.type, p.value]))
  // The weekday of the county's day: Shanghai has no daylight saving, so +8 h gives its calendar day.
  const weekday = WEEKDAYS[new Date(at + 8 * 3_600_000).getUTCDay()] ?? ''
  return `${parts.year}-${parts.month}-${parts.day}（周${weekday}）${parts.hour}:${parts.minute}`
}

/** Today's date in 北京时间, "2026-06-30": the default of a form's date. */
export function todayInBeijing(now: number = Date.now()): string {
  return new Date(now + 8 * 3_600_000).toISOString().slice(0, 10)
}
