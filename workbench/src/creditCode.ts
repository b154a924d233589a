/**
 * 统一社会信用代码 checked as it is typed, by the rule of GB 32100-2015 as the enforcement service applies it
 * (services/enforcement/domain/credit_code.py): the same steps, in the same order, with the same Chinese messages,
 * so the page says before sending exactly what a 422 would. tests/credit-codes.json holds codes with the service's
 * answer for each; vitest checks this module against it and tests/unit/enforcement/test_credit_code.py checks the
 * service against the same file.
 */

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
/** Weights of positions 1–17: 3^(i-1) mod 31 (GB 32100-2015, 5.2). */
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
/** 登记管理部门代码: 机构编制 1 … 工商 9, 中央军委改革和编制办公室 A, 农业 N, 其他 Y. */
const REGISTRATION_AUTHORITIES = '123456789ANY'
/** Weights of the organization code's eight body characters (GB 11714-1997). */
const ORGANIZATION_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

/** What people type: surrounding blanks and lower case are forgiven. */
export function normalize(code: string): string {
  return code.trim().toUpperCase()
}

export function checkDigit(first17: string): string {
  const total = [...first17].reduce((sum, c, i) => sum + ALPHABET.indexOf(c) * (WEIGHTS[i] ?? 0), 0)
  return ALPHABET.charAt((31 - (total % 31)) % 31)
}

/** GB 11714: letters count as 10 (A) … 35 (Z); 10 is written X and 11 is written 0. */
export function organizationCheckDigit(body: string): string {
  const total = [...body].reduce((sum, c, i) => {
    const value = /\d/.test(c) ? Number(c) : c.charCodeAt(0) - 'A'.charCodeAt(0) + 10
    return sum + value * (ORGANIZATION_WEIGHTS[i] ?? 0)
  }, 0)
  const value = 11 - (total % 11)
  return value === 10 ? 'X' : value === 11 ? '0' : String(value)
}

/** Why `code` (already normalized) is not a valid credit code, in Chinese; null when it is valid. */
export function problem(code: string): string | null {
  const chars = [...code]
  if (chars.length !== 18) return `统一社会信用代码应为18位，实为${chars.length}位`
  const wrong = wrongCharacters(code)
  if (wrong !== null) return wrong
  if (!REGISTRATION_AUTHORITIES.includes(code.charAt(0))) {
    return `第1位登记管理部门代码“${code.charAt(0)}”无效，应为1–9、A、N或Y`
  }
  if (!'123456789'.includes(code.charAt(1))) return `第2位机构类别代码“${code.charAt(1)}”无效，应为1–9`
  if (!/^\d{6}$/.test(code.slice(2, 8))) return '第3–8位应为登记管理机关行政区划码（6位数字）'
  if (organizationCheckDigit(code.slice(8, 16)) !== code.charAt(16)) {
    return '第9–17位主体标识码（组织机构代码）校验位不符，请核对代码'
  }
  if (checkDigit(code.slice(0, 17)) !== code.charAt(17)) return '统一社会信用代码校验位不符，请核对代码'
  return null
}

function byCodePoint(a: string, b: string): number {
  return (a.codePointAt(0) ?? 0) - (b.codePointAt(0) ?? 0)
}

function wrongCharacters(code: string): string | null {
  const wrong = [...new Set([...code].filter((c) => !ALPHABET.includes(c)))].sort(byCodePoint)
  return wrong.length > 0 ? `统一社会信用代码含有不允许的字符：${wrong.join('、')}（不使用 I、O、Z、S、V）` : null
}

export interface CreditCodeHint {
  /** typing: not 18 characters yet, nothing wrong so far; invalid: the service would refuse it; valid. */
  state: 'empty' | 'typing' | 'invalid' | 'valid'
  message: string
}

/** What the 立案 form says under the field while the code is typed: a wrong character at once, the rest at 18. */
export function hint(typed: string): CreditCodeHint {
  const code = normalize(typed)
  const length = [...code].length
  if (length === 0) return { state: 'empty', message: '18位，字母不区分大小写' }
  const found = length < 18 ? wrongCharacters(code) : problem(code)
  if (found === null && length < 18) return { state: 'typing', message: `已输入 ${length}/18 位` }
  return found === null ? { state: 'valid', message: '校验通过' } : { state: 'invalid', message: found }
}
