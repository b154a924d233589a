/**
 * 举报人联系方式 as the operator's page shows them: what intake answered for each report, and the words for what is
 * not there — never left (未留) or erased on request (已依申请删除, intake's `erased_notice`). Pure, tested.
 */
import type { Contact, ContactRead } from './api/intake'

export const NOT_LEFT = '未留'

export interface ContactShown {
  name: string
  phone: string
  erased: boolean
}

export function contactShown(contact: Contact): ContactShown {
  if (contact.erased) {
    const notice = contact.erased_notice ?? '已依申请删除'
    return { name: notice, phone: notice, erased: true }
  }
  return { name: contact.name ?? NOT_LEFT, phone: contact.phone ?? NOT_LEFT, erased: false }
}

/** Where a read came from: the client's address, or 未记录 for reads recorded before addresses were. */
export function readFrom(read: ContactRead): string {
  return read.address ?? '未记录'
}
