/** What the operator's hotline form becomes as intake's request body (HotlineCallIn): blanks left out, not sent empty. */
import type { HotlineCallBody } from '../api/intake'
import { present } from './text'

export interface HotlineForm {
  line: HotlineCallBody['line']
  callRef: string
  title: string
  description: string
  township: string
  domain: string
  address: string
  lat: number | null
  lon: number | null
  callerName: string
  callerPhone: string
}

export function emptyHotlineForm(): HotlineForm {
  return {
    line: 'hotline_12369',
    callRef: '',
    title: '',
    description: '',
    township: '',
    domain: '',
    address: '',
    lat: null,
    lon: null,
    callerName: '',
    callerPhone: '',
  }
}

export function hotlineBody(f: HotlineForm): HotlineCallBody {
  const location = {
    ...present('address', f.address),
    ...(f.lat !== null ? { lat: f.lat } : {}),
    ...(f.lon !== null ? { lon: f.lon } : {}),
  }
  const caller = { ...present('name', f.callerName), ...present('phone', f.callerPhone) }
  return {
    line: f.line,
    call_ref: f.callRef,
    title: f.title,
    description: f.description,
    township: f.township,
    domain: f.domain,
    ...(Object.keys(location).length > 0 ? { location } : {}),
    ...(Object.keys(caller).length > 0 ? { caller } : {}),
  }
}
