/**
 * The workbench's runtime configuration, `config.json` next to index.html (public/config.json in the build):
 * the identity provider's realm and the client, so another installation changes the file, not the build.
 */
export interface WorkbenchConfig {
  /** The realm's issuer, e.g. http://127.0.0.1:8180/realms/county */
  authority: string
  client_id: string
}

export class ConfigError extends Error {}

export function parseConfig(value: unknown): WorkbenchConfig {
  if (typeof value !== 'object' || value === null) throw new ConfigError('config.json 不是 JSON 对象')
  const { authority, client_id } = value as Record<string, unknown>
  if (typeof authority !== 'string' || !/^https?:\/\/[^/]+\/realms\/[^/]+\/?$/.test(authority)) {
    throw new ConfigError('config.json 的 authority 须为身份认证服务的领域地址，例如 http://127.0.0.1:8180/realms/county')
  }
  if (typeof client_id !== 'string' || client_id === '') throw new ConfigError('config.json 缺少 client_id')
  return { authority: authority.replace(/\/$/, ''), client_id }
}

export async function loadConfig(): Promise<WorkbenchConfig> {
  let response: Response
  try {
    response = await fetch('config.json', { cache: 'no-store' })
  } catch {
    throw new ConfigError('无法读取 config.json，请检查网络后刷新页面')
  }
  if (!response.ok) throw new ConfigError(`无法读取 config.json（HTTP ${response.status}），请联系系统管理员`)
  return parseConfig(await response.json())
}
