import { beforeEach, describe, expect, it } from 'vitest'

import { clearAllDrafts, useDraft } from '../src/drafts'

import { MemoryStorage } from './memoryStorage'

describe('an unsent form survives a sign-in', () => {
  beforeEach(() => {
    const storage = new MemoryStorage()
    Object.defineProperty(globalThis, 'sessionStorage', { value: storage, configurable: true })
  })

  it('is kept as it is typed and restored by the next page with the same draft', () => {
    const typed = useDraft('progress:c1', () => ({ note: '', percent: 0 }))
    typed.form.note = '已拆除两台采砂设备'
    typed.form.percent = 40
    const again = useDraft('progress:c1', () => ({ note: '', percent: 0 }))
    expect(again.form).toEqual({ note: '已拆除两台采砂设备', percent: 40 })
    expect(again.restored.value).toBe(true)
    expect(useDraft('progress:c2', () => ({ note: '', percent: 0 })).restored.value).toBe(false)
  })

  it('is gone once its command succeeded, and typing after that is a new draft', () => {
    const draft = useDraft('verify:c1', () => ({ passed: true, note: '' }))
    draft.form.note = '现场核实'
    draft.clear()
    expect(draft.form).toEqual({ passed: true, note: '' })
    expect(sessionStorage.getItem('workbench.draft.verify:c1')).toBeNull()
    draft.form.note = '再次核实'
    expect(sessionStorage.getItem('workbench.draft.verify:c1')).toBe('{"passed":true,"note":"再次核实"}')
  })

  it('are all removed at sign-out, and nothing else is', () => {
    useDraft('assign:c1', () => ({ unit: '' })).form.unit = '城关镇人民政府'
    sessionStorage.setItem('oidc.user:county:workbench', '{}')
    clearAllDrafts()
    expect(sessionStorage.getItem('workbench.draft.assign:c1')).toBeNull()
    expect(sessionStorage.getItem('oidc.user:county:workbench')).toBe('{}')
  })
})
