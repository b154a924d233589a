// 统计大屏: signs the person in at the identity provider (oidc-client-ts), reads projections' API with their access
// token and draws the figures.
// Every text from the API goes into the page as text (textContent, or esc() for ECharts tooltips):
// titles, townships and units are typed by the public and by staff.
"use strict";

(() => {
  const REFRESH_MS = 10000;
  const REQUEST_TIMEOUT_MS = 15000;
  const LEDGER_TIMEOUT_MS = 120000;
  const PAGE_SIZE = 100;
  const TREND_SAMPLES = 12;
  const MAX_OFFENDERS = 6;
  const COLORS = { closed: "#36c77b", on_schedule: "#4a8cff", overdue: "#ff5f5f", open: "#ffb020", rate: "#5fd4ff" };
  const FIGURE_LABELS = {
    all: "问题总数", closed: "已销号", open: "未销号", on_schedule: "未超期", overdue: "超期", reopened: "回头看反弹",
  };
  const TOPIC_LABELS = { intake: "受理", cases: "整改", enforcement: "执法", accountability: "问责" };
  // The drill-down lists the page may open: the hash names one, and nothing else is fetched with the token.
  const LIST_KINDS = [
    { kind: "cases", pattern: /^\/v1\/stats\/closure-rates\/cases(\?|$)/ },
    { kind: "cases", pattern: /^\/v1\/cases\/overdue(\?|$)/ },
    { kind: "measures", pattern: /^\/v1\/stats\/accountability\/items(\?|$)/ },
    { kind: "enforcement", pattern: /^\/v1\/stats\/enforcement\/cases(\?|$)/ },
    { kind: "cases", pattern: /^\/v1\/stats\/task-forces\/cases(\?|$)/ },
    { kind: "measures", pattern: /^\/v1\/stats\/task-forces\/escalations(\?|$)/ },
    { kind: "assessment", pattern: /^\/v1\/stats\/assessment\/items(\?|$)/ },
  ];
  // 专项整治组 columns: the figure and its drill-down.
  const TASK_FORCE_FIGURES = [
    ["total", "all", "问题数"],
    ["closed", "closed", "已销号"],
    ["on_schedule", "on_schedule", "未超期"],
    ["overdue", "overdue", "超期"],
  ];
  const ESCALATION_LABELS = { warning: "预警", summons: "约谈", criticism_notice: "通报批评", discipline_referral: "移交纪委" };
  // 问责统计 columns: the figure's field and the kind its drill-down lists.
  const TALLY_COLUMNS = [
    ["warnings", "warning", "通报预警"],
    ["summons", "summons", "约谈"],
    ["criticism_notices", "criticism_notice", "通报批评"],
    ["discipline_referrals", "discipline_referral", "移交纪委"],
    ["collective_summons", "collective_summons", "集体约谈"],
    ["criticism_education", "criticism_education", "批评教育"],
    ["written_self_criticism", "written_self_criticism", "书面检查"],
    ["admonishment_talk", "admonishment_talk", "诫勉谈话"],
    ["reminder_talk", "reminder_talk", "约谈提醒"],
    ["warning_talk", "warning_talk", "提醒谈话"],
  ];

  const $ = (id) => document.getElementById(id);
  const charts = {};
  let refreshing = false;

  // ---------------------------------------------------------------- building the page safely

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function esc(text) {
    return String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  function fill(container, ...children) {
    container.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  }

  function listHash(api, title) {
    return `#/list?${new URLSearchParams({ api, title })}`;
  }

  function caseHash(issueId) {
    return `#/case/${encodeURIComponent(issueId)}`;
  }

  function drill(api, title, text, attrs) {
    return el("a", { class: "num", href: listHash(api, title), ...(attrs || {}) }, text);
  }

  function caseLink(issueId, text) {
    return el("a", { href: caseHash(issueId), "data-case": issueId }, text || issueId);
  }

  function withQuery(path, extra) {
    const [base, query] = path.split("?");
    const params = new URLSearchParams(query || "");
    for (const [name, value] of Object.entries(extra)) params.set(name, value);
    return `${base}?${params}`;
  }

  // ---------------------------------------------------------------- formatting

  // "2026-05-01T14:03:07.123+08:00" → "2026-05-01 14:03" (the API gives county time already).
  function when(iso, seconds) {
    if (!iso) return "—";
    return iso.slice(0, seconds ? 19 : 16).replace("T", " ");
  }

  // Exact decimal strings from the API, never parsed into floats: "1234567.5" → "1,234,567.50".
  function yuan(text) {
    const [whole, fraction = ""] = String(text).split(".");
    const sign = whole.startsWith("-") ? "-" : "";
    const digits = whole.replace("-", "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return `${sign}${digits}.${(fraction + "00").slice(0, 2)}`;
  }

  const shanghaiClock = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  const shanghaiDay = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
  });

  // ---------------------------------------------------------------- signing in (统一身份认证) and the API

  class AuthError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // The sign-in is oidc-client-ts's, as the workbench's (authorization code with PKCE S256, the realm's public
  // client); the session is kept in the browser tab's sessionStorage and renewed with the refresh token a minute
  // before the access token expires. No token is ever taken from the address.
  let manager = null;
  // The API refused the token once already and a renewal was tried: a second refusal is shown, not signed in
  // again, so that a token the service never accepts (another realm, a wrong audience) cannot loop through sign-ins.
  let renewed = false;
  // The account may not read the figures (403): the board stays hidden until the person signs out.
  let refused = false;

  // The page's own address is the redirect after sign-in and sign-out: projections' root (:8005/) and the proxy's
  // /dashboard/ alike, each allowed by the realm's client.
  function pageAddress() {
    return `${window.location.origin}${window.location.pathname}`;
  }

  // A drill-down the person was on (#/list?…, #/case/…) is carried through the sign-in; nothing else is, so an old
  // link's #token=… goes no further than this page's address bar, which drops it.
  function routeHash(hash) {
    return typeof hash === "string" && /^#\/[^#]*$/.test(hash) ? hash : "";
  }

  function settleAddress(hash) {
    const wanted = `${window.location.pathname}${hash}`;
    if (`${window.location.pathname}${window.location.search}${window.location.hash}` !== wanted) {
      history.replaceState(null, "", wanted);
    }
  }

  class SignInProblem extends Error {}

  async function loadConfig() {
    let config;
    try {
      const response = await fetch(apiUrl("/dashboard/config.json"), { cache: "no-store" });
      if (!response.ok) throw new SignInProblem(`无法读取登录配置（HTTP ${response.status}），请联系系统管理员`);
      config = await response.json();
    } catch (error) {
      if (error instanceof SignInProblem) throw error;
      throw new SignInProblem("无法读取登录配置，请检查网络后刷新页面");
    }
    const { authority, client_id: clientId } = config || {};
    if (typeof authority !== "string" || !/^https?:\/\/[^/]+\/realms\/[^/]+$/.test(authority) || !clientId) {
      throw new SignInProblem("登录配置有误（dashboard/config.json），请联系系统管理员");
    }
    return { authority, clientId };
  }

  async function startSession() {
    if (!window.oidc) throw new SignInProblem("登录组件未安装：请在项目目录运行 make assets 后刷新页面");
    const { authority, clientId } = await loadConfig();
    manager = new window.oidc.UserManager({
      authority,
      client_id: clientId,
      redirect_uri: pageAddress(),
      post_logout_redirect_uri: pageAddress(),
      response_type: "code",
      scope: "openid profile",
      automaticSilentRenew: true,
      loadUserInfo: false,
      userStore: new window.oidc.WebStorageStateStore({ store: window.sessionStorage }),
    });
    const params = new URLSearchParams(window.location.search);
    let user;
    if (params.has("state") && (params.has("code") || params.has("error"))) {
      try {
        user = await manager.signinRedirectCallback();
      } catch (error) {
        settleAddress("");
        throw new SignInProblem(`登录未完成：${error.message}`);
      }
      settleAddress(routeHash(user.state));
    } else {
      settleAddress(routeHash(window.location.hash));
      user = await manager.getUser();
      if (user && user.expired) user = await manager.signinSilent().catch(() => null);
    }
    if (!user) {
      await signInAgain();
      return null;
    }
    showPerson(user);
    manager.events.addUserLoaded(showPerson);
    // Renewal failed (the sign-in ended at the identity provider, or it cannot be reached): sign in again.
    manager.events.addSilentRenewError(() => signInAgain());
    manager.events.addAccessTokenExpired(() => signInAgain());
    return user;
  }

  async function signInAgain() {
    try {
      await manager.signinRedirect({ state: routeHash(window.location.hash) });
    } catch (error) {
      showNotice(`无法连接统一身份认证（${error.message}），请稍后重新登录`, { signIn: true });
    }
  }

  async function signOut() {
    try {
      await manager.signoutRedirect();
    } catch (error) {
      await manager.removeUser();
      showNotice(`已在本页退出登录；统一身份认证暂不可用（${error.message}）`, { signIn: true });
    }
  }

  const ROLE_LABELS = {
    public: "公众", operator: "受理员", inspection_office: "督察办", unit: "责任单位",
    leader: "县领导", discipline: "纪委监委", enforcement: "执法人员", viewer: "查看人员",
  };

  // The access token's claims (its roles are in realm_access, which the ID token need not carry); shown, not trusted:
  // what the person may read is the API's answer.
  function claimsOf(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
    } catch {
      return {};
    }
  }

  function whoIs(user) {
    const claims = { ...user.profile, ...claimsOf(user.access_token) };
    const roles = (claims.realm_access?.roles || []).filter((role) => ROLE_LABELS[role]).map((role) => ROLE_LABELS[role]);
    return [claims.preferred_username, roles.join("、") || "未分配角色", claims.unit].filter(Boolean).join(" · ");
  }

  function showPerson(user) {
    $("who").textContent = whoIs(user);
    $("sign-out").hidden = false;
  }

  async function accessToken() {
    const user = manager && (await manager.getUser());
    return user && !user.expired ? user.access_token : null;
  }

  // The API's paths ("/v1/…") relative to the page: at projections' own root, or under the proxy's /dashboard/.
  function apiUrl(path) {
    return new URL(path.replace(/^\//, ""), window.location.href).href;
  }

  async function call(path, accept, timeoutMs = REQUEST_TIMEOUT_MS) {
    const token = await accessToken();
    if (!token) throw new AuthError(401, "登录已过期");
    try {
      return await fetch(apiUrl(path), {
        headers: { Authorization: `Bearer ${token}`, Accept: accept },
        cache: "no-store",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new Error(`无法连接统计服务（${error.name === "TimeoutError" ? "请求超时" : "网络错误"}）`);
    }
  }

  async function api(path) {
    const response = await call(path, "application/json");
    if (response.status === 401 || response.status === 403) {
      throw new AuthError(response.status, await errorMessage(response));
    }
    if (!response.ok) throw new Error(`统计服务返回错误 ${response.status}：${await errorMessage(response)}`);
    return response.json();
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      return body?.error?.message || body?.detail?.message || response.statusText;
    } catch {
      return response.statusText;
    }
  }

  function showNotice(message, actions) {
    $("notice").hidden = false;
    $("notice-text").textContent = message;
    $("sign-in-again").hidden = !actions.signIn;
    $("notice-sign-out").hidden = !actions.signOut;
    $("refreshed").textContent = "未加载";
  }

  // 401: the token is renewed once and the request tried again (true); a renewal that fails signs in again,
  // a renewed token the API refuses as well is shown. 403: this account may not read the figures at all.
  async function authProblem(error) {
    if (error.status === 403) {
      refused = true;
      $("board").hidden = true;
      $("drawer").hidden = true;
      showNotice(
        `当前账号（${$("who").textContent}）无权查看统计大屏：${error.message}。` +
          "请退出登录后换用有权查看统计的账号（如查看人员、县领导）登录，或联系管理员分配角色。",
        { signOut: true },
      );
      return false;
    }
    if (!renewed) {
      renewed = true;
      if (await manager.signinSilent().catch(() => null)) return true;
      await signInAgain();
      return false;
    }
    showNotice(`统计服务不接受当前的登录（${error.message}）。请重新登录；仍不行请联系系统管理员。`, {
      signIn: true,
      signOut: true,
    });
    return false;
  }

  // ---------------------------------------------------------------- the figures

  function kpis(rates) {
    const t = rates.totals;
    const tile = (figure, value, unit, extraClass) =>
      el(
        "div",
        { class: `kpi ${extraClass || figure}` },
        el("div", { class: "label" }, extraClass === "rate" ? "完成率" : FIGURE_LABELS[figure]),
        drill(t.cases[figure], `${FIGURE_LABELS[figure]}（全县）`, [String(value), el("small", {}, unit)], {
          class: "value num",
          "data-figure": extraClass === "rate" ? "rate" : figure,
        }),
      );
    fill(
      $("kpi-list"),
      tile("all", t.total, "件"),
      tile("closed", t.closed, "件"),
      tile("closed", t.rate_percent, "%", "rate"),
      tile("on_schedule", t.on_schedule, "件"),
      tile("overdue", t.overdue, "件"),
      tile("reopened", t.reopened, "件"),
    );
  }

  function chart(id) {
    if (!window.echarts) {
      fill($(id), el("p", { class: "failed" }, "图表组件未安装：请在项目目录运行 make assets 后刷新页面"));
      return null;
    }
    if (!charts[id]) {
      charts[id] = window.echarts.init($(id), null, { renderer: "canvas" });
      charts[id].on("click", (params) => {
        const target = charts[id].__drill?.(params);
        if (target) window.location.hash = target;
      });
      // A click beside the bars (in the grid, not on a bar or point) opens the whole group's cases.
      charts[id].getZr().on("click", (event) => {
        const c = charts[id];
        const point = [event.offsetX, event.offsetY];
        if (event.target || !c?.__group || !c.containPixel("grid", point)) return;
        const target = c.__group(c.convertFromPixel({ seriesIndex: 0 }, point));
        if (target) window.location.hash = target;
      });
    }
    return charts[id];
  }

  // Only a chart's first drawing is animated: the refresh every few seconds should not replay it.
  function firstDrawing(c) {
    const first = !c.__drawn;
    c.__drawn = true;
    return first;
  }

  function empty(id, text) {
    if (charts[id]) {
      charts[id].dispose();
      delete charts[id];
    }
    fill($(id), el("p", { class: "empty" }, text));
  }

  function tooltipRows(title, rows) {
    return (
      `<b>${esc(title)}</b><br>` +
      rows.map(([marker, name, value]) => `${marker || ""}${esc(name)}：<b>${esc(value)}</b>`).join("<br>")
    );
  }

  const axisText = { color: "#8fa7cf" };
  const splitLine = { lineStyle: { color: "rgba(29,71,137,0.5)" } };

  // Stacked bars of closed / on schedule / overdue per group; a click opens the cases of that bar.
  function rateChart(id, rates, horizontal, what) {
    const rows = rates.rows;
    if (!rows.length) return empty(id, "暂无问题");
    const c = chart(id);
    if (!c) return;
    const figures = ["closed", "on_schedule", "overdue"];
    const category = {
      type: "category",
      data: rows.map((r) => r.label),
      axisLabel: { ...axisText, interval: 0, rotate: horizontal ? 0 : rows.length > 8 ? 35 : 0 },
      inverse: horizontal,
    };
    const value = { type: "value", name: "件", axisLabel: axisText, nameTextStyle: axisText, splitLine };
    const series = figures.map((figure) => ({
      id: figure,
      name: FIGURE_LABELS[figure],
      type: "bar",
      stack: "cases",
      barMaxWidth: 26,
      itemStyle: { color: COLORS[figure] },
      data: rows.map((r) => r[figure]),
    }));
    series.push({
      id: "rate",
      name: "完成率",
      type: horizontal ? "scatter" : "line",
      symbolSize: horizontal ? 0 : 7,
      ...(horizontal ? {} : { yAxisIndex: 1 }),
      xAxisIndex: 0,
      itemStyle: { color: COLORS.rate },
      label: horizontal
        ? { show: true, position: "right", color: "#fff", formatter: (p) => `${rows[p.dataIndex].rate_percent}%` }
        : { show: false },
      data: rows.map((r) => (horizontal ? r.total : Number(r.rate_percent))),
    });
    const open = (row, figure) => (row ? listHash(row.cases[figure], `${what}：${row.label} · ${FIGURE_LABELS[figure]}`) : null);
    c.__drill = (params) => open(rows[params.dataIndex], params.seriesId === "rate" ? "closed" : params.seriesId);
    c.__group = ([x, y]) => open(rows[Math.round(horizontal ? y : x)], "all");
    c.setOption(
      {
        backgroundColor: "transparent",
        animation: firstDrawing(c),
        textStyle: { fontFamily: "Noto Sans CJK SC, Microsoft YaHei, sans-serif" },
        legend: { top: 0, textStyle: { color: "#d9e7ff" }, data: series.map((s) => s.name) },
        grid: { left: 8, right: horizontal ? 60 : 44, top: 36, bottom: 8, containLabel: true },
        tooltip: {
          trigger: "axis",
          axisPointer: { type: "shadow" },
          formatter: (items) => {
            const row = rows[items[0].dataIndex];
            return tooltipRows(row.label, [
              ...figures.map((f) => [null, FIGURE_LABELS[f], row[f]]),
              [null, "问题总数", row.total],
              [null, "完成率", `${row.rate_percent}%`],
              [null, "点击", "查看该组案件"],
            ]);
          },
        },
        xAxis: horizontal ? value : category,
        yAxis: horizontal
          ? category
          : [value, { type: "value", name: "完成率%", min: 0, max: 100, axisLabel: axisText, nameTextStyle: axisText, splitLine: { show: false } }],
        series,
      },
      true,
    );
  }

  // The trend of closed and open cases: per month from the API, or, while the history is shorter
  // than a few months, the figures as of evenly spaced moments since the first report.
  async function trendPoints() {
    const monthly = await api("/v1/stats/closure-trend?interval=month");
    if (monthly.points.length >= 3) {
      $("trend-note").textContent = "（按月，月末时点）";
      return monthly.points;
    }
    const first = await api("/v1/stats/closure-rates/cases?figure=all&limit=1");
    if (!first.items.length) return [];
    const start = Date.parse(first.items[0].reported_at);
    const end = Date.now();
    const span = Math.max(end - start, 1000);
    const moments = Array.from({ length: TREND_SAMPLES }, (_, i) => new Date(start + (span * (i + 1)) / TREND_SAMPLES));
    const answers = await Promise.all(
      moments.map((m) => api(`/v1/stats/closure-rates?${new URLSearchParams({ as_of: m.toISOString() })}`)),
    );
    const format = span < 86400000 ? shanghaiClock : shanghaiDay;
    $("trend-note").textContent = "（历史尚短，按截至时点取样）";
    return answers.map((a, i) => ({ ...a.totals, label: format.format(moments[i]) }));
  }

  function trendChart(points) {
    const id = "chart-trend";
    if (!points.length) return empty(id, "暂无问题");
    const c = chart(id);
    if (!c) return;
    const figures = ["closed", "open", "overdue"];
    const open = (point, figure) => (point ? listHash(point.cases[figure], `截至${point.label} · ${FIGURE_LABELS[figure]}`) : null);
    c.__drill = (params) => open(points[params.dataIndex], params.seriesId);
    c.__group = ([x]) => open(points[Math.round(x)], "all");
    c.setOption(
      {
        backgroundColor: "transparent",
        animation: firstDrawing(c),
        legend: { top: 0, textStyle: { color: "#d9e7ff" } },
        grid: { left: 8, right: 36, top: 36, bottom: 8, containLabel: true },
        tooltip: {
          trigger: "axis",
          formatter: (items) => {
            const p = points[items[0].dataIndex];
            return tooltipRows(`截至 ${p.label}`, [
              ...figures.map((f) => [null, FIGURE_LABELS[f], p[f]]),
              [null, "完成率", `${p.rate_percent}%`],
            ]);
          },
        },
        xAxis: { type: "category", boundaryGap: false, data: points.map((p) => p.label), axisLabel: axisText },
        yAxis: { type: "value", name: "件", axisLabel: axisText, nameTextStyle: axisText, splitLine },
        series: figures.map((figure) => ({
          id: figure,
          name: FIGURE_LABELS[figure],
          type: "line",
          smooth: true,
          symbolSize: 7,
          itemStyle: { color: COLORS[figure] },
          areaStyle: figure === "closed" ? { color: "rgba(54,199,123,0.15)" } : undefined,
          data: points.map((p) => p[figure]),
        })),
      },
      true,
    );
  }

  function overdueTable(list) {
    $("overdue-count").textContent = `（${list.total}件）`;
    if (!list.items.length) {
      fill($("overdue-table"), el("p", { class: "empty" }, "没有超期的问题"));
      return;
    }
    const rows = list.items.map((item) =>
      el(
        "tr",
        { "data-issue": item.issue_id },
        el("td", {}, caseLink(item.issue_id, item.title)),
        el("td", {}, item.township),
        el("td", {}, item.unit || "（未交办）"),
        el("td", {}, item.leader ? `${item.leader.name}` : "—"),
        el("td", { class: "nowrap" }, when(item.deadline)),
        el("td", { class: "n" }, item.days_overdue ? `${item.days_overdue}天` : "不足1天"),
        el("td", { class: "n" }, String(item.times_missed)),
      ),
    );
    const more =
      list.total > list.items.length
        ? el("p", { class: "sub" }, drill("/v1/cases/overdue", "超期清单", `查看全部${list.total}件超期问题 →`))
        : null;
    fill(
      $("overdue-table"),
      el(
        "table",
        { id: "overdue-list" },
        el("thead", {}, el("tr", {}, ["问题", "乡镇", "责任单位", "包案领导", "整改时限", "超期", "超期次数"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows),
      ),
      more,
    );
  }

  function tallyCell(figures, field, query, title) {
    const n = figures[field];
    if (!n) return el("td", { class: "n" }, "0");
    return el("td", { class: "n" }, drill(`/v1/stats/accountability/items?${new URLSearchParams(query)}`, title, String(n)));
  }

  function accountabilityTable(tally) {
    if (!tally.rows.length) {
      fill($("accountability-table"), el("p", { class: "empty" }, "暂无问责记录"));
      return;
    }
    const sum = (figures) => TALLY_COLUMNS.reduce((total, [field]) => total + figures[field], 0);
    const rows = [...tally.rows].sort((a, b) => sum(b.figures) - sum(a.figures));
    const body = rows.map((row) =>
      el(
        "tr",
        {},
        el("td", {}, drill(row.items, `问责记录：${row.label}`, row.label)),
        TALLY_COLUMNS.map(([field, kind, label]) =>
          tallyCell(row.figures, field, { unit: row.key, kind }, `${row.label} · ${label}`),
        ),
      ),
    );
    const totals = el(
      "tr",
      { class: "total" },
      el("td", {}, "合计"),
      TALLY_COLUMNS.map(([field, kind, label]) => tallyCell(tally.totals, field, { kind }, `全县 · ${label}`)),
    );
    fill(
      $("accountability-table"),
      el(
        "table",
        { id: "accountability-list" },
        el("thead", {}, el("tr", {}, el("th", {}, "责任单位"), TALLY_COLUMNS.map(([, , label]) => el("th", { class: "n" }, label)))),
        el("tbody", {}, body, totals),
      ),
      tally.totals.revoked_measures
        ? el("p", { class: "sub" }, `另有${tally.totals.revoked_measures}项措施已撤销，不计入上表`)
        : null,
    );
  }

  // 专项整治组: each task force's leader, closure figures and escalations, every number a drill-down.
  function taskForceTable(stats) {
    const body = stats.rows.map((row) =>
      el(
        "tr",
        { "data-task-force": row.key },
        el("td", {}, row.name, row.lead_department ? el("div", { class: "sub" }, `牵头：${row.lead_department}`) : null),
        el("td", {}, row.leader ? `${row.leader.name}（${row.leader.post}）` : "—"),
        TASK_FORCE_FIGURES.map(([field, figure, label]) =>
          el("td", { class: "n" }, row[field] ? drill(row.cases[figure], `${row.name} · ${label}`, String(row[field])) : "0"),
        ),
        el("td", { class: "n" }, `${row.rate_percent}%`),
        el(
          "td",
          { class: "n" },
          Object.values(row.escalations).some((n) => n)
            ? drill(
                row.escalation_items,
                `${row.name} · 督办问责`,
                Object.entries(row.escalations)
                  .filter(([, n]) => n)
                  .map(([kind, n]) => `${ESCALATION_LABELS[kind] || kind}${n}`)
                  .join(" "),
              )
            : "0",
        ),
      ),
    );
    fill(
      $("task-force-table"),
      el(
        "table",
        { id: "task-force-list" },
        el(
          "thead",
          {},
          el("tr", {}, el("th", {}, "专项整治组"), el("th", {}, "牵头县领导"),
            TASK_FORCE_FIGURES.map(([, , label]) => el("th", { class: "n" }, label)),
            el("th", { class: "n" }, "完成率"), el("th", { class: "n" }, "督办问责")),
        ),
        el("tbody", {}, body),
      ),
    );
  }

  // 绩效考核: the units' ranking of the year, each score a drill-down to the events behind its deductions.
  function assessmentTable(answer) {
    if (!answer.rows.length) {
      fill($("assessment-table"), el("p", { class: "empty" }, `${answer.year}年尚无参加考核的责任单位`));
      return;
    }
    const body = answer.rows.map((row) =>
      el(
        "tr",
        { "data-unit": row.unit },
        el("td", { class: "n" }, String(row.rank)),
        el("td", {}, row.unit),
        el("td", { class: "n" }, drill(row.items, `${row.unit} · ${answer.year}年考核得分明细`, row.score)),
        el("td", { class: "n" }, row.deducted),
        el("td", { class: "n" }, row.bonus),
      ),
    );
    fill(
      $("assessment-table"),
      el(
        "table",
        { id: "assessment-list" },
        el("thead", {}, el("tr", {}, ["排名", "责任单位", "得分", "扣分", "加分"].map((h) => el("th", {}, h)))),
        el("tbody", {}, body),
      ),
      el("p", { class: "sub" }, `基础分${answer.policy.base}分；扣分、加分办法见考核政策文件`),
    );
  }

  function assessmentItems(answer) {
    const rows = answer.items.map((item) =>
      el(
        "tr",
        {},
        el("td", { class: "nowrap" }, when(item.occurred_at)),
        el("td", {}, item.detail),
        el("td", { class: "n" }, item.points),
        el("td", {}, item.case_ids.slice(0, 6).flatMap((id, i) => [i ? "、" : "", caseLink(id, id.slice(0, 8))])),
        el("td", { class: "nowrap" }, item.event_id.slice(0, 8)),
      ),
    );
    return [
      el("p", { class: "meta", id: "list-total" }, `第${answer.row.rank}名，得分${answer.row.score}（基础分${answer.row.base}，扣${answer.row.deducted}，加${answer.row.bonus}）；计分事项共${answer.total}项`),
      el(
        "table",
        { id: "assessment-items" },
        el("thead", {}, el("tr", {}, ["时间", "扣分/加分项", "分值", "涉及问题", "事件"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows),
      ),
    ];
  }

  function enforcementFigures(stats) {
    const t = stats.totals;
    const all = "/v1/stats/enforcement/cases";
    const figure = (label, value, unit, attrs) =>
      el("div", { class: unit === "元" ? "figure money" : "figure" }, el("div", { class: "label" }, label), el("div", { class: "value" }, drill(all, `执法案件 · ${label}`, [value, el("small", {}, unit)], attrs)));
    const years = stats.rows.map((row) =>
      el(
        "tr",
        {},
        el("td", {}, drill(row.cases, `执法案件：${row.label}`, row.label)),
        el("td", { class: "n" }, String(row.figures.cases_filed)),
        el("td", { class: "n" }, yuan(row.figures.fines_issued_yuan)),
        el("td", { class: "n" }, yuan(row.figures.fines_paid_yuan)),
        el("td", { class: "n" }, String(row.figures.daily_penalty_rounds)),
        el("td", { class: "n" }, String(row.figures.persons_detained)),
        el("td", { class: "n" }, String(row.figures.persons_referred)),
      ),
    );
    const offenders = stats.repeat_offenders.slice(0, MAX_OFFENDERS).map((o) =>
      el("li", {}, drill(o.link, `屡查屡犯：${o.enterprise_name}`, o.enterprise_name), `（${o.cases}起）`),
    );
    fill(
      $("enforcement-figures"),
      el(
        "div",
        { class: "figures" },
        figure("立案查处", String(t.cases_filed), "起", { "data-figure": "cases_filed" }),
        figure("已结案", String(t.cases_closed), "起"),
        figure("处罚金额", yuan(t.fines_issued_yuan), "元", { "data-figure": "fines_issued_yuan" }),
        figure("已缴纳", yuan(t.fines_paid_yuan), "元"),
        figure("按日连续处罚", String(t.daily_penalty_rounds), "次"),
        figure("行政拘留", String(t.persons_detained), "人", { "data-figure": "persons_detained" }),
        figure("其中按日计罚", yuan(t.daily_penalty_yuan), "元"),
        figure("刑事强制措施", String(t.persons_criminal_measures), "人"),
        figure("移送起诉", String(t.persons_referred), "人"),
      ),
      years.length
        ? el(
            "table",
            {},
            el("thead", {}, el("tr", {}, ["年度", "立案", "处罚金额(元)", "已缴纳(元)", "按日罚", "拘留", "移送"].map((h, i) => el("th", { class: i ? "n" : "" }, h)))),
            el("tbody", {}, years),
          )
        : el("p", { class: "empty" }, "暂无执法案件"),
      offenders.length
        ? [
            el("p", { class: "sub" }, `屡查屡犯企业（${stats.repeat_offenders.length}家）`),
            el("ul", { class: "offenders" }, offenders),
            stats.repeat_offenders.length > MAX_OFFENDERS
              ? el("p", { class: "sub" }, `另有${stats.repeat_offenders.length - MAX_OFFENDERS}家未列出，见执法案件清单`)
              : null,
          ]
        : null,
    );
  }

  // 工作文书: the year's documents of the work (交办函, 联合督查, 督查通报, 约谈会, 会议), each counted from its events,
  // and the year's issued bulletins, each downloadable as the Word document it was issued as.
  function documentFigures([c, bulletins]) {
    const figure = (label, value, unit) =>
      el("div", { class: "figure" }, el("div", { class: "label" }, label), el("div", { class: "value" }, String(value), el("small", {}, unit)));
    fill(
      $("documents-figures"),
      el(
        "div",
        { class: "figures" },
        figure("交办函", c.assignment_letters, "份"),
        figure("联合督查", c.rounds, "轮"),
        figure("督查发现", c.findings, "个"),
        figure("督查通报", c.bulletins, "期"),
        figure("集体约谈会", c.summons_meetings, "次"),
        figure("约谈单位", c.units_summoned, "个"),
        ...c.meetings.map((m) => figure(m.label, m.count, "次")),
      ),
      bulletins.items.length
        ? el(
            "p",
            { class: "downloads" },
            "下载督查通报（Word）：",
            bulletins.items.map((b) => {
              const { year, number, bulletin_no: name } = b.content;
              const path = `/v1/documents/bulletins/${year}/${number}.docx`;
              return el("button", { type: "button", "data-bulletin": `${year}-${number}`, onclick: () => download(path, `督查通报-${name}.docx`, "下载") }, name);
            }),
          )
        : null,
    );
  }

  // 执法年度对比: this year to date beside the last full year and the same period of last year.
  function enforcementYears(y) {
    const rows = [
      ["立案查处（起）", (f) => String(f.cases_filed)],
      ["处罚金额（元）", (f) => yuan(f.fines_issued_yuan)],
      ["行政拘留（人）", (f) => String(f.persons_detained)],
      ["刑事强制措施（人）", (f) => String(f.persons_criminal_measures)],
      ["移送起诉（人）", (f) => String(f.persons_referred)],
    ];
    fill(
      $("enforcement-years-table"),
      el(
        "table",
        {},
        el("thead", {}, el("tr", {}, ["", `${y.year}年至今`, `${y.year - 1}年全年`, `${y.year - 1}年同期`].map((h, i) => el("th", { class: i ? "n" : "" }, h)))),
        el(
          "tbody",
          {},
          rows.map(([label, value]) =>
            el("tr", {}, el("td", {}, label), el("td", { class: "n" }, value(y.to_date)), el("td", { class: "n" }, value(y.last_year)), el("td", { class: "n" }, value(y.same_period_last_year))),
          ),
        ),
      ),
    );
  }

  function workSummary(summary) {
    fill($("work-summary-text"), summary.paragraphs.map((p) => el("p", {}, p)));
  }

  function shanghaiYear() {
    return new Intl.DateTimeFormat("en", { timeZone: "Asia/Shanghai", year: "numeric" }).format(new Date());
  }

  function showLag(answer) {
    let lag = 0;
    let unknown = false;
    for (const partitions of Object.values(answer.positions || {})) {
      for (const p of Object.values(partitions)) {
        if (p.lag === null || p.lag === undefined) unknown = true;
        else lag += p.lag;
      }
    }
    const node = $("lag");
    node.textContent = unknown ? "数据同步：未知" : lag ? `数据同步中：尚有${lag}条事件未计入` : "数据已同步";
    node.className = lag ? "lagging" : "";
  }

  // Each section draws what it got; a failed section says so and the others still show. A section the account may not read (a unit's, of the county's enforcement figures) says so; the first one's
  // refusal, or an expired sign-in, is the page's.
  function section(id, promise, draw) {
    return promise.then(draw, (error) => {
      if (error instanceof AuthError && (error.status === 401 || id === "kpi-list")) throw error;
      const target = $(id);
      if (charts[id]) {
        charts[id].dispose();
        delete charts[id];
      }
      fill(target, el("p", { class: "failed" }, `${error instanceof AuthError ? "无权查看" : "加载失败"}：${error.message}`));
    });
  }

  async function refresh() {
    if (refreshing || refused) return;
    refreshing = true;
    let again = false;
    try {
      const bySource = api("/v1/stats/closure-rates?group_by=source");
      await Promise.all([
        section("kpi-list", bySource, (rates) => {
          kpis(rates);
          showLag(rates);
        }),
        section("chart-source", bySource, (rates) => rateChart("chart-source", rates, true, "问题来源")),
        section("chart-township", api("/v1/stats/closure-rates?group_by=township"), (rates) =>
          rateChart("chart-township", rates, false, "乡镇"),
        ),
        section("chart-trend", trendPoints(), trendChart),
        section("overdue-table", api("/v1/cases/overdue?limit=30"), overdueTable),
        section("accountability-table", api("/v1/stats/accountability?group_by=unit"), accountabilityTable),
        section("enforcement-figures", api("/v1/stats/enforcement"), enforcementFigures),
        section("task-force-table", api("/v1/stats/task-forces"), taskForceTable),
        section("assessment-table", api("/v1/stats/assessment"), assessmentTable),
        section(
          "documents-figures",
          Promise.all([api(`/v1/stats/documents?year=${shanghaiYear()}`), api(`/v1/documents/bulletins?year=${shanghaiYear()}&limit=20`)]),
          documentFigures,
        ),
        section("enforcement-years-table", api("/v1/stats/enforcement/year-on-year"), enforcementYears),
        section("work-summary-text", api("/v1/reports/work-summary"), workSummary),
      ]);
      renewed = false;
      $("notice").hidden = true;
      $("refreshed").textContent = `更新于 ${shanghaiClock.format(new Date())} · 每${REFRESH_MS / 1000}秒自动刷新`;
      document.body.dataset.loaded = String(Date.now());
    } catch (error) {
      if (error instanceof AuthError) again = await authProblem(error);
      else $("refreshed").textContent = `刷新失败：${error.message}`;
    } finally {
      refreshing = false;
    }
    if (again) await refresh();
  }

  // ---------------------------------------------------------------- drill-down and timelines

  function openDrawer(title) {
    $("drawer").hidden = false;
    $("drawer-title").textContent = title;
    fill($("drawer-body"), el("p", { class: "meta" }, "正在加载…"));
  }

  function listKind(path) {
    if (typeof path !== "string" || path.startsWith("//")) return null;
    return LIST_KINDS.find((k) => k.pattern.test(path))?.kind || null;
  }

  async function showList(params) {
    const path = params.get("api");
    const title = params.get("title") || "案件清单";
    const kind = listKind(path);
    openDrawer(title);
    if (!kind) {
      fill($("drawer-body"), el("p", { class: "failed" }, "链接无效：只能查看统计数字背后的案件清单"));
      return;
    }
    const offset = Number(params.get("offset") || 0);
    const url = withQuery(path, { limit: String(PAGE_SIZE), offset: String(offset) });
    try {
      const answer = await api(url);
      const tables = { cases: caseTable, measures: measureTable, assessment: assessmentItems, enforcement: enforcementTable };
      const table = tables[kind](answer);
      fill($("drawer-body"), table, pager(answer, path, title, offset));
    } catch (error) {
      await drawerProblem(error);
    }
  }

  // Every list is a page (at most PAGE_SIZE items) of `total`: the links to the pages before and after. A list whose
  // items are not what it pages (an assessment's facts, a missed deadline two items) says its next page's offset.
  function pager(list, path, title, offset) {
    const page = (to, text) =>
      el("a", { href: `#/list?${new URLSearchParams({ api: path, title, offset: String(to) })}` }, text);
    const next = "next_offset" in list ? list.next_offset : offset + list.items.length < list.total ? offset + PAGE_SIZE : null;
    return el(
      "div",
      { class: "pager" },
      offset > 0 ? page(Math.max(offset - PAGE_SIZE, 0), "← 上一页") : null,
      next !== null ? page(next, "下一页 →") : null,
    );
  }

  function caseTable(list) {
    const meta = el("p", { class: "meta", id: "list-total" }, `共${list.total}件${list.as_of ? `（截至${when(list.as_of)}）` : ""}`);
    const rows = list.items.map((item) =>
      el(
        "tr",
        { "data-issue": item.issue_id },
        el("td", {}, caseLink(item.issue_id, item.title)),
        el("td", {}, item.source_label),
        el("td", {}, item.batch || "—"),
        el("td", {}, item.township),
        el("td", {}, item.unit || "（未交办）"),
        el("td", { class: "nowrap" }, item.status_label),
        el("td", { class: "nowrap" }, el("span", { class: `tag ${item.standing}` }, item.standing_label)),
        el("td", { class: "nowrap" }, when(item.deadline)),
        el("td", { class: "nowrap" }, when(item.closed_at)),
      ),
    );
    return [
      meta,
      el(
        "table",
        { id: "case-list" },
        el("thead", {}, el("tr", {}, ["问题", "来源", "批次", "乡镇", "责任单位", "状态", "进度", "整改时限", "销号日期"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows),
      ),
    ];
  }

  function measureTable(answer) {
    const rows = answer.items.map((item) =>
      el(
        "tr",
        {},
        el("td", { class: "nowrap" }, when(item.occurred_at)),
        el("td", {}, item.kind_label, item.revoked ? el("span", { class: "tag revoked" }, "已撤销") : null),
        el("td", {}, item.unit),
        el("td", {}, item.person ? `${item.person.name}${item.person.post ? `（${item.person.post}）` : ""}` : "—"),
        el("td", {}, item.reason || (item.source === "escalation" ? "督办问责阶梯自动升级" : "—")),
        el(
          "td",
          {},
          item.case_ids.slice(0, 6).flatMap((id, i) => [i ? "、" : "", caseLink(id, id.slice(0, 8))]),
          item.case_ids.length > 6 ? `等${item.case_ids.length}件` : null,
        ),
      ),
    );
    return [
      el("p", { class: "meta", id: "list-total" }, `共${answer.total}项`),
      el(
        "table",
        { id: "measure-list" },
        el("thead", {}, el("tr", {}, ["时间", "类别", "单位", "对象", "事由", "涉及问题"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows),
      ),
    ];
  }

  function enforcementTable(answer) {
    const rows = answer.items.map((item) =>
      el(
        "tr",
        {},
        el("td", {}, item.enterprise_name || "—"),
        el("td", {}, item.credit_code || "—"),
        el("td", {}, item.violation || "—"),
        el("td", {}, `${item.year}年`),
        el("td", { class: "n" }, yuan(item.figures.fines_issued_yuan)),
        el("td", { class: "n" }, String(item.figures.daily_penalty_rounds)),
        el("td", { class: "n" }, String(item.figures.persons_detained)),
        el("td", { class: "n" }, String(item.figures.persons_referred)),
        el("td", {}, item.issue_id ? caseLink(item.issue_id, "时间线") : "—"),
      ),
    );
    return [
      el("p", { class: "meta", id: "list-total" }, `共${answer.total}起`),
      el(
        "table",
        { id: "enforcement-list" },
        el("thead", {}, el("tr", {}, ["企业", "统一社会信用代码", "违法行为", "年度", "罚款(元)", "按日罚", "拘留", "移送", "来源问题"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows),
      ),
    ];
  }

  async function showTimeline(issueId) {
    openDrawer("案件时间线");
    try {
      const t = await api(`/v1/cases/${encodeURIComponent(issueId)}/timeline`);
      $("drawer-title").textContent = `案件时间线：${t.title || issueId}`;
      const items = t.events.map((e) =>
        el(
          "li",
          { class: `topic-${e.topic}`, "data-type": e.type },
          el("span", { class: "when" }, when(e.occurred_at, true)),
          el("span", { class: "what" }, `[${TOPIC_LABELS[e.topic] || e.topic}] ${e.label}`),
          el("span", { class: "actor" }, e.actor),
          el("p", { class: "summary" }, e.summary),
        ),
      );
      fill(
        $("drawer-body"),
        el("p", { class: "meta" }, `问题编号 ${issueId} · 共${t.events.length}个事件 · `, el("a", { href: "#", onclick: back }, "← 返回")),
        el("ol", { class: "timeline", id: "timeline" }, items),
      );
    } catch (error) {
      await drawerProblem(error);
    }
  }

  // A list or timeline this account may not read says so in the drawer; an expired sign-in is renewed and tried again.
  async function drawerProblem(error) {
    if (error instanceof AuthError && error.status === 401) {
      if (await authProblem(error)) route();
      return;
    }
    fill($("drawer-body"), el("p", { class: "failed" }, `${error instanceof AuthError ? "无权查看" : "加载失败"}：${error.message}`));
  }

  function back(event) {
    event.preventDefault();
    history.back();
  }

  function route() {
    const hash = window.location.hash;
    if (!manager || refused) return;
    if (hash.startsWith("#/list?")) showList(new URLSearchParams(hash.slice("#/list?".length)));
    else if (hash.startsWith("#/case/")) showTimeline(decodeURIComponent(hash.slice("#/case/".length)));
    else $("drawer").hidden = true;
  }

  // ---------------------------------------------------------------- downloads: the ledger (整改台账), the work report (工作汇报)

  // The name the service gave the file (Content-Disposition's filename*, in Chinese), else the fallback.
  function fileName(response, fallback) {
    const match = /filename\*=UTF-8''([^;]+)/i.exec(response.headers.get("Content-Disposition") || "");
    try {
      return match ? decodeURIComponent(match[1]) : fallback;
    } catch {
      return fallback;
    }
  }

  // Downloads a file with the access token (a plain link would carry none); returns the response, or null on failure
  // (said in the status line as `what`'s failure).
  async function download(path, fallbackName, what) {
    try {
      const response = await call(path, "*/*", LEDGER_TIMEOUT_MS);
      if (response.status === 401 || response.status === 403) throw new AuthError(response.status, await errorMessage(response));
      if (!response.ok) throw new Error(await errorMessage(response));
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: fileName(response, fallbackName) });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return response;
    } catch (error) {
      if (error instanceof AuthError && error.status === 401) {
        if (await authProblem(error)) return download(path, fallbackName, what);
      } else $("refreshed").textContent = `${error instanceof AuthError ? `无权${what}` : `${what}失败`}：${error.message}`;
      return null;
    }
  }

  async function exportLedger() {
    const response = await download("/v1/exports/ledger.xlsx", "整改台账.xlsx", "导出");
    if (!response) return;
    // A large ledger comes in parts (at most a few thousand cases each): say so rather than let it pass for all.
    const total = Number(response.headers.get("X-Total-Count"));
    const next = /[?&]offset=(\d+)[^>]*>;\s*rel="next"/.exec(response.headers.get("Link") || "");
    if (next) $("refreshed").textContent = `整改台账共${total}个案件，已导出前${next[1]}个；其余请按 offset 分批导出`;
  }

  // The report as an editable Word document: the same figures as the text above, with its tables and charts.
  async function downloadWorkSummary() {
    const button = $("download-work-summary");
    button.disabled = true;
    try {
      await download("/v1/reports/work-summary.docx", "工作汇报.docx", "下载");
    } finally {
      button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- start

  async function start() {
    $("refresh-now").addEventListener("click", () => refresh());
    $("export-ledger").addEventListener("click", exportLedger);
    $("download-work-summary").addEventListener("click", downloadWorkSummary);
    $("sign-out").addEventListener("click", signOut);
    $("notice-sign-out").addEventListener("click", signOut);
    $("sign-in-again").addEventListener("click", () => (manager ? signInAgain() : window.location.reload()));
    window.addEventListener("hashchange", () => {
      // An old link's token opened on this very page: dropped from the address, never read.
      if (window.location.hash && !routeHash(window.location.hash)) settleAddress("");
      route();
    });
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
    let user;
    try {
      user = await startSession();
    } catch (error) {
      showNotice(error.message, { signIn: true });
      return;
    }
    if (!user) return; // on the way to the sign-in page
    refresh().then(route);
    setInterval(refresh, REFRESH_MS);
  }

  start();
})();
