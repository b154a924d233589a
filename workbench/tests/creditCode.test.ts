import { describe, expect, it } from 'vitest'

import { checkDigit, hint, normalize, organizationCheckDigit, problem } from '../src/creditCode'
import realCodes from '../../tests/unit/enforcement/credit_codes_found_online.txt?raw'
import shared from './credit-codes.json'

const REAL = realCodes.split('\n').filter((line) => line !== '' && !line.startsWith('#'))

describe('the unified social credit code, checked as the enforcement service checks it', () => {
  it('says of every sample exactly what the service says (the same file is the service’s test)', () => {
    expect(shared.samples.length).toBeGreaterThanOrEqual(100)
    const answers = shared.samples.map((s) => ({ typed: s.typed, problem: problem(normalize(s.typed)) }))
    expect(answers).toEqual(shared.samples)
  })

  it('finds every real code found online valid, as the service does', () => {
    expect(REAL).toHaveLength(383)
    expect(REAL.filter((code) => problem(code) !== null)).toEqual([])
  })

  it('recomputes both check digits', () => {
    expect(checkDigit('91110108551385082')).toBe('Q')
    expect(organizationCheckDigit('55138508')).toBe('2')
    expect(organizationCheckDigit('71526726')).toBe('X')
  })
})

describe('the hint under the field while the code is typed', () => {
  it('counts the characters until there are 18, and says at once when one is not allowed', () => {
    expect(hint('')).toMatchObject({ state: 'empty' })
    expect(hint('9111010855')).toEqual({ state: 'typing', message: '已输入 10/18 位' })
    expect(hint('91110O')).toEqual({ state: 'invalid', message: '统一社会信用代码含有不允许的字符：O（不使用 I、O、Z、S、V）' })
  })

  it('checks the digits at 18 and forgives blanks and lower case', () => {
    expect(hint(' 9144030071526726xg ')).toEqual({ state: 'valid', message: '校验通过' })
    expect(hint('91110108551385082R')).toEqual({ state: 'invalid', message: '统一社会信用代码校验位不符，请核对代码' })
    expect(hint('91110108551385082Q0').state).toBe('invalid')
  })
})
