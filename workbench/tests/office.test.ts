import { afterEach, describe, expect, it, vi } from 'vitest'

import { previewDeadline } from '../src/api/cases'
import { Api, type TokenSource } from '../src/api/client'
import { ApiError } from '../src/api/problems'
import { assignBody, extendBody, reopenBody, superviseBody, type AssignForm } from '../src/caseBodies'
import { breaksRelation, deadlineChoice, deadlineError, deadlineFields, latestOnly, previewOf } from '../src/deadline'
import { shanghaiMoment } from '../src/time'

const TOKENS: TokenSource = { token: () => Promise.resolve('t1'), renew: () => Promise.resolve(null) }

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

function answering(answer: Response) {
  const sent: { url: string; init: RequestInit }[] = []
  const api = new Api(TOKENS, '/api', (url, init) => {
    sent.push({ url, init })
    return Promise.resolve(answer)
  })
  return { api, sent }
}

describe('a deadline as the forms send it', () => {
  it('sends working days under <field>_working_days and nothing else', () => {
    expect(deadlineFields({ by: 'days', date: '2026-10-09', workingDays: 5 }, 'new_deadline')).toEqual({
      new_deadline_working_days: 5,
    })
  })

  it('sends a date as that day 18:00 北京时间 under the field itself', () => {
    expect(deadlineFields({ by: 'date', date: '2026-10-09', workingDays: 5 }, 'deadline')).toEqual({
      deadline: '2026-10-09T18:00:00+08:00',
    })
  })

  it('sends no deadline for “no change” or a date not picked (the service names the field in its 422)', () => {
    expect(deadlineFields(deadlineChoice('none'), 'new_deadline')).toEqual({})
    expect(deadlineFields(deadlineChoice('date'), 'deadline')).toEqual({})
  })

  it('shows a 422 on either of the two deadline fields next to the one input', () => {
    expect(deadlineError({ new_deadline_working_days: '不能大于 365' }, 'new_deadline')).toBe('不能大于 365')
    expect(deadlineError({ deadline: '整改时限必须晚于当前时间', note: '必填' }, 'deadline')).toBe('整改时限必须晚于当前时间')
    expect(deadlineError({ note: '必填' }, 'deadline')).toBeUndefined()
  })
})

describe('the bodies of 督察办’s commands', () => {
  const assignForm = (): AssignForm => ({
    problem: '河道两岸被挖空',
    task: '清理采砂设备，恢复河岸',
    unit: '城关镇人民政府',
    leaderName: '王建国',
    leaderPost: '城关镇党委书记',
    leaderLiaison: '',
    deadline: deadlineChoice('days', 10),
    measures: '逾期约谈',
    reason: '原单位无管辖权',
  })

  it('builds a 交办 with the 五定, the reason only for a reassignment', () => {
    const form = assignForm()
    expect(assignBody(form, false)).toEqual({
      problem: '河道两岸被挖空',
      task: '清理采砂设备，恢复河岸',
      unit: '城关镇人民政府',
      leader: { name: '王建国', post: '城关镇党委书记' },
      deadline_working_days: 10,
      measures: '逾期约谈',
    })
    expect(assignBody(form, true).reason).toBe('原单位无管辖权')
    expect(assignBody({ ...form, reason: '  ' }, true)).not.toHaveProperty('reason')
  })

  it('sends the leader’s 联络渠道 trimmed when one was typed, and no such field when none was', () => {
    const form = { ...assignForm(), leaderLiaison: ' 城关镇党政办督查组 ' }
    expect(assignBody(form, false).leader).toEqual({ name: '王建国', post: '城关镇党委书记', liaison: '城关镇党政办督查组' })
    expect(assignBody({ ...form, leaderLiaison: '   ' }, true).leader).toEqual({ name: '王建国', post: '城关镇党委书记' })
    // A draft saved before the field existed is restored without it: the body leaves it out.
    const { leaderLiaison: _, ...older } = form
    expect(assignBody(older as AssignForm, false).leader).not.toHaveProperty('liaison')
  })

  it('builds a 督办 with its letter number, and an earlier deadline only when one was chosen', () => {
    expect(superviseBody({ note: '请加快整改', letterNo: ' 督办〔2026〕7号 ', deadline: deadlineChoice('none') })).toEqual({
      note: '请加快整改',
      letter_no: '督办〔2026〕7号',
    })
    expect(
      superviseBody({ note: '请加快整改', letterNo: '', deadline: { by: 'date', date: '2026-07-01', workingDays: 5 } }),
    ).toEqual({ note: '请加快整改', new_deadline: '2026-07-01T18:00:00+08:00' })
  })

  it('builds a 延期 with the new deadline, the reason and the 批准人', () => {
    expect(extendBody({ deadline: deadlineChoice('days', 15), reason: '汛期无法施工', approvedBy: '副县长 陈明' })).toEqual({
      new_deadline_working_days: 15,
      reason: '汛期无法施工',
      approved_by: '副县长 陈明',
    })
  })

  it('builds a 回头看 with why and the new deadline', () => {
    expect(reopenBody({ reason: '回头看发现反弹', deadline: { by: 'date', date: '2027-03-31', workingDays: 10 } })).toEqual({
      reason: '回头看发现反弹',
      new_deadline: '2027-03-31T18:00:00+08:00',
    })
  })
})

describe('the working-days preview', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('shows the service’s UTC moment in 北京时间 with the weekday, across midnight', () => {
    expect(shanghaiMoment('2026-10-09T15:59:59Z')).toBe('2026-10-09（周五）23:59')
    expect(shanghaiMoment('2026-09-30T16:30:00+00:00')).toBe('2026-10-01（周四）00:30')
    expect(shanghaiMoment('2026-10-09')).toBeNull()
  })

  it('reads the answer’s moment, falls back to its label, and takes nothing without a moment', () => {
    expect(previewOf({ working_days: 5, deadline: '2026-10-09T15:59:59Z', shown: '2026-10-09 23:59:59' })).toEqual({
      deadline: '2026-10-09T15:59:59Z',
      shown: '2026-10-09（周五）23:59',
    })
    expect(previewOf({ deadline_utc: 'unreadable', label: '10月9日' })).toEqual({ deadline: 'unreadable', shown: '10月9日' })
    expect(previewOf({ shown: '2026-10-09' })).toBeNull()
    expect(previewOf('2026-10-09T15:59:59Z')).toBeNull()
  })

  it('asks GET /api/cases/v1/calendar/deadline with the number of working days', async () => {
    const { api, sent } = answering(json(200, { deadline: '2026-10-09T15:59:59Z' }))
    expect(await previewDeadline(api, 5)).toEqual({ deadline: '2026-10-09T15:59:59Z', shown: '2026-10-09（周五）23:59' })
    expect(sent[0]?.url).toBe('/api/cases/v1/calendar/deadline?working_days=5')
  })

  it('shows no date while the service has no such route (404), and passes on any other refusal', async () => {
    expect(await previewDeadline(answering(json(404, { error: { code: 'not_found' } })).api, 5)).toBeNull()
    const error = await previewDeadline(answering(json(503, {})).api, 5).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
  })

  it('asks once per pause in typing, for the last number only', async () => {
    vi.useFakeTimers()
    const asked: number[] = []
    const delivered: (string | undefined)[] = []
    const preview = latestOnly(
      (n: number) => {
        asked.push(n)
        return Promise.resolve(`day ${n}`)
      },
      400,
      (result) => delivered.push(result),
    )
    preview.ask(1)
    preview.ask(12)
    await vi.advanceTimersByTimeAsync(399)
    expect(asked).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(asked).toEqual([12])
    expect(delivered).toEqual(['day 12'])
  })

  it('drops a slow answer once a newer number was asked for', async () => {
    vi.useFakeTimers()
    const pending: ((value: string) => void)[] = []
    const delivered: string[] = []
    const preview = latestOnly(
      () => new Promise<string>((resolve) => pending.push(resolve)),
      10,
      (result) => result !== undefined && delivered.push(result),
    )
    preview.ask(5)
    await vi.advanceTimersByTimeAsync(10)
    preview.ask(6)
    await vi.advanceTimersByTimeAsync(10)
    pending[1]?.('six')
    pending[0]?.('five')
    await vi.advanceTimersByTimeAsync(0)
    expect(delivered).toEqual(['six'])
  })

  it('warns when 延期 is not later, or 督办 not earlier, than the current deadline', () => {
    const current = '2026-07-10T18:00:00+08:00'
    expect(breaksRelation('2026-07-10T10:00:00Z', current, 'later')).toBe(true)
    expect(breaksRelation('2026-07-11T18:00:00+08:00', current, 'later')).toBe(false)
    expect(breaksRelation('2026-07-11T18:00:00+08:00', current, 'earlier')).toBe(true)
    expect(breaksRelation('2026-07-11T18:00:00+08:00', null, 'earlier')).toBe(false)
  })
})
