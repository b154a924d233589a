/**
 * Money (金额) in the browser, never a float: integer fen (分) as BigInt for arithmetic, yuan (元) as the exact
 * decimal string the enforcement API takes ("53210.55") and shows. The limits are the service's
 * (services/enforcement/domain/money.py): positive, to the fen, at most 100亿元; the messages are the same.
 */

const FEN_PER_YUAN = 100n
/** 100亿元, the service's MAX_YUAN. */
export const MAX_FEN = 10_000_000_000n * FEN_PER_YUAN

export type Parsed = { fen: bigint; problem?: undefined } | { fen?: undefined; problem: string }

/** An amount of yuan as typed ("53210.55", "5,000", "800") as fen, or why it is not an amount the API takes. */
export function parseYuan(typed: string): Parsed {
  const text = typed.trim().replaceAll(',', '').replaceAll('，', '')
  if (text === '') return { problem: '请填写金额（元）' }
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text)
  if (match === null || text === '.') return { problem: `金额须为以元为单位的精确数字，例如 50000.00，收到 ${typed.trim()}` }
  const whole = match[1] || '0'
  const decimals = (match[2] ?? '').replace(/0+$/, '')
  if (decimals.length > 2) return { problem: `金额最多两位小数（精确到分），收到 ${text}` }
  const fen = BigInt(whole) * FEN_PER_YUAN + BigInt(decimals.padEnd(2, '0'))
  if (fen <= 0n) return { problem: `金额必须大于0，收到 ${text}` }
  if (fen > MAX_FEN) return { problem: `金额不能超过 10000000000 元，收到 ${text}` }
  return { fen }
}

/** Exact yuan with two decimals, as the API takes and answers it: 5321055n → "53210.55". */
export function fenToYuan(fen: bigint | number): string {
  const value = BigInt(fen)
  const sign = value < 0n ? '-' : ''
  const abs = value < 0n ? -value : value
  return `${sign}${abs / FEN_PER_YUAN}.${String(abs % FEN_PER_YUAN).padStart(2, '0')}`
}

/** As people read it: thousands grouped, "744,947.70 元". */
export function shownYuan(fen: bigint | number): string {
  const [whole = '0', cents = '00'] = fenToYuan(fen).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${grouped}.${cents} 元`
}

/** An amount the API answered in yuan ("53210.55", "0.00") as people read it; exact at any size. */
export function shownAmount(yuan: string): string {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(yuan)
  if (match === null) return `${yuan} 元`
  return shownYuan(BigInt(match[1] ?? '0') * FEN_PER_YUAN + BigInt((match[2] ?? '').padEnd(2, '0')))
}
