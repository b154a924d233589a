/**
 * The dashboard (统计大屏, projections' page at /dashboard/ on the same origin) signs in at the same Keycloak client
 * by itself; the person's Keycloak session lets it through without asking for the password again. So the workbench
 * only opens it: no token ever travels in an address.
 */
export const DASHBOARD_PATH = '/dashboard/'

/** Opens the dashboard in a new tab (the click's user activation allows the window). */
export function openDashboard(): void {
  window.open(DASHBOARD_PATH, '_blank', 'noopener')
}
