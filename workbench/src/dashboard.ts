/**
 * The dashboard (统计大屏, projections' page at /dashboard/ on the same origin) takes its token from the address's
 * fragment, which the browser never sends to a server or proxy, and removes it from the address bar at once. The
 * workbench opens it with the signed-in person's current access token, so no second sign-in is needed; the token
 * lives 5 minutes, after which the dashboard asks again (open it from the workbench once more).
 */
export const DASHBOARD_PATH = '/dashboard/'

export function dashboardAddress(token: string | null): string {
  return token === null ? DASHBOARD_PATH : `${DASHBOARD_PATH}#token=${encodeURIComponent(token)}`
}

/** Opens the dashboard in a new tab with the current token (the click's user activation allows the window). */
export async function openDashboard(tokens: { token(): Promise<string | null> }): Promise<void> {
  window.open(dashboardAddress(await tokens.token()), '_blank', 'noopener')
}
