import { describe, expect, it } from 'vitest'

import { fenToYuan, parseYuan, shownAmount, shownYuan } from '../src/money'

describe('money is exact: integer fen inside, the yuan string the API takes', () => {
  it('reads amounts as typed into fen without a float', () => {
    expect(parseYuan('53210.55')).toEqual({ fen: 5_321_055n })
    expect(parseYuan(' 5,000 ')).toEqual({ fen: 500_000n })
    expect(parseYuan('0.1')).toEqual({ fen: 10n })
    expect(parseYuan('0.30')).toEqual({ fen: 30n })
    expect(parseYuan('12.500')).toEqual({ fen: 1_250n })
    expect(parseYuan('10000000000')).toEqual({ fen: 1_000_000_000_000n })
  })

  it('refuses what the service refuses, with its words', () => {
    expect(parseYuan('')).toEqual({ problem: '请填写金额（元）' })
    expect(parseYuan('0')).toEqual({ problem: '金额必须大于0，收到 0' })
    expect(parseYuan('1.005')).toEqual({ problem: '金额最多两位小数（精确到分），收到 1.005' })
    expect(parseYuan('10000000000.01')).toEqual({ problem: '金额不能超过 10000000000 元，收到 10000000000.01' })
    expect(parseYuan('-5').problem).toContain('精确数字')
    expect(parseYuan('1e3').problem).toContain('精确数字')
  })

  it('writes fen back as exact yuan, also beyond what a float holds', () => {
    expect(fenToYuan(5_321_055n)).toBe('53210.55')
    expect(fenToYuan(7)).toBe('0.07')
    expect(fenToYuan(10_000_999_999_989_999n)).toBe('100009999999899.99')
    expect(shownYuan(74_494_770)).toBe('744,947.70 元')
    expect(shownYuan(10_000_999_999_989_999n)).toBe('100,009,999,999,899.99 元')
    expect(shownYuan(0)).toBe('0.00 元')
    expect(shownAmount('100009999999899.99')).toBe('100,009,999,999,899.99 元')
    expect(shownAmount('0.00')).toBe('0.00 元')
  })

  it('adds what 0.1 + 0.2 cannot', () => {
    const a = parseYuan('0.1').fen ?? 0n
    const b = parseYuan('0.2').fen ?? 0n
    expect(fenToYuan(a + b)).toBe('0.30')
  })
})
