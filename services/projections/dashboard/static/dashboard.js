// 统计大屏: reads projections' API with the viewer's bearer token and draws the figures.
// Every text from the API goes into the page as text (textContent, or esc() for ECharts tooltips):
// titles, townships and units are typed by the public and by staff.
"use strict";

(() => {
  const REFRESH_MS = 10000;
  const REQUEST_TIMEOUT_MS = 15000;
  const TOKEN_KEY = "county-env-dashboard-token";
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
  ];
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
  let token = null;
  let tokenInQuery = false;
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

  // ---------------------------------------------------------------- the token and the API

  class AuthError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // The token comes in the address's fragment (#token=…), which the browser never sends to a server or proxy,
  // or from the form. A token in the query (?token=…) is never used: the server and every proxy on the way
  // have already seen and may have logged it. Either leaves the address bar and the history at once.
  function takeToken() {
    const url = new URL(window.location.href);
    const inQuery = url.searchParams.has("token");
    const given = /^#token=([^&]*)(?:&(.*))?$/.exec(url.hash);
    if (inQuery) url.searchParams.delete("token");
    if (given) {
      let value = "";
      try {
        value = decodeURIComponent(given[1]).trim();
      } catch {
        value = ""; // a mangled link: the form asks for the token
      }
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      url.hash = given[2] ? `#${given[2]}` : "";
    }
    if (inQuery || given) history.replaceState(null, "", `${url.pathname}${url.search}${url.hash}`);
    if (inQuery && !given) tokenInQuery = true;
    return sessionStorage.getItem(TOKEN_KEY);
  }

  // The API's paths ("/v1/…") relative to the page: at projections' own root, or under the proxy's /dashboard/.
  function apiUrl(path) {
    return new URL(path.replace(/^\//, ""), window.location.href).href;
  }

  async function api(path) {
    let response;
    try {
      response = await fetch(apiUrl(path), {
        headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
        cache: "no-store",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(`无法连接统计服务（${error.name === "TimeoutError" ? "请求超时" : "网络错误"}）`);
    }
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

  function askForToken(message) {
    $("notice").hidden = false;
    $("notice-text").textContent = message;
    $("token-form").hidden = false;
    $("refreshed").textContent = "未加载";
  }

  function authProblem(error) {
    if (error.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      token = null;
      askForToken(
        `身份凭证无效或已过期（${error.message}）。请使用管理员发给您的带 #token= 的链接重新打开本页，` +
          "或在下面粘贴新的凭证（在项目目录运行 make token ROLE=viewer 可获取查看人员凭证）。",
      );
    } else {
      askForToken(
        `当前身份无权查看统计数据（${error.message}）。请使用查看人员、县领导等工作人员的凭证打开本页。`,
      );
    }
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

  function workSummary(summary) {
    fill($("work-summary-text"), summary.paragraphs.map((p) => el("p", {}, p)));
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

  // Each section draws what it got; a failed section says so and the others still show.
  function section(id, promise, draw) {
    return promise.then(draw, (error) => {
      if (error instanceof AuthError) throw error;
      const target = $(id);
      if (charts[id]) {
        charts[id].dispose();
        delete charts[id];
      }
      fill(target, el("p", { class: "failed" }, `加载失败：${error.message}`));
    });
  }

  async function refresh() {
    if (refreshing) return;
    if (!token) {
      askForToken(
        (tokenInQuery
          ? "链接把身份凭证放在了“?token=”中，本页不使用这样的凭证：它已随请求发给服务器，可能留在服务器或代理的日志里，" +
            "请让管理员作废并重新签发。"
          : "本页需要身份凭证才能显示统计数据。") +
          "请使用管理员发给您的带 #token= 的链接打开本页，" +
          "或在下面粘贴凭证（在项目目录运行 make token ROLE=viewer 可获取查看人员凭证）。",
      );
      return;
    }
    refreshing = true;
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
        section("work-summary-text", api("/v1/reports/work-summary"), workSummary),
      ]);
      $("notice").hidden = true;
      $("refreshed").textContent = `更新于 ${shanghaiClock.format(new Date())} · 每${REFRESH_MS / 1000}秒自动刷新`;
      document.body.dataset.loaded = String(Date.now());
    } catch (error) {
      if (error instanceof AuthError) authProblem(error);
      else $("refreshed").textContent = `刷新失败：${error.message}`;
    } finally {
      refreshing = false;
    }
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
      const table = kind === "cases" ? caseTable(answer) : kind === "measures" ? measureTable(answer) : enforcementTable(answer);
      fill($("drawer-body"), table, pager(answer, path, title, offset));
    } catch (error) {
      if (error instanceof AuthError) return authProblem(error);
      fill($("drawer-body"), el("p", { class: "failed" }, `加载失败：${error.message}`));
    }
  }

  // Every list is a page (at most PAGE_SIZE items) of `total`: the links to the pages before and after.
  function pager(list, path, title, offset) {
    const page = (to, text) =>
      el("a", { href: `#/list?${new URLSearchParams({ api: path, title, offset: String(to) })}` }, text);
    return el(
      "div",
      { class: "pager" },
      offset > 0 ? page(Math.max(offset - PAGE_SIZE, 0), "← 上一页") : null,
      offset + list.items.length < list.total ? page(offset + PAGE_SIZE, "下一页 →") : null,
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
      if (error instanceof AuthError) return authProblem(error);
      fill($("drawer-body"), el("p", { class: "failed" }, `加载失败：${error.message}`));
    }
  }

  function back(event) {
    event.preventDefault();
    history.back();
  }

  function route() {
    const hash = window.location.hash;
    if (!token) return;
    if (hash.startsWith("#/list?")) showList(new URLSearchParams(hash.slice("#/list?".length)));
    else if (hash.startsWith("#/case/")) showTimeline(decodeURIComponent(hash.slice("#/case/".length)));
    else $("drawer").hidden = true;
  }

  // ---------------------------------------------------------------- the ledger (整改台账)

  async function exportLedger() {
    if (!token) return refresh();
    try {
      const response = await fetch(apiUrl("/v1/exports/ledger.xlsx"), { headers: { Authorization: `Bearer ${token}` } });
      if (response.status === 401 || response.status === 403) throw new AuthError(response.status, await errorMessage(response));
      if (!response.ok) throw new Error(await errorMessage(response));
      const link = el("a", { href: URL.createObjectURL(await response.blob()), download: "整改台账.xlsx" });
      document.body.append(link);
      link.click();
      link.remove();
      // A large ledger comes in parts (at most a few thousand cases each): say so rather than let it pass for all.
      const total = Number(response.headers.get("X-Total-Count"));
      const next = /[?&]offset=(\d+)[^>]*>;\s*rel="next"/.exec(response.headers.get("Link") || "");
      if (next) $("refreshed").textContent = `整改台账共${total}个案件，已导出前${next[1]}个；其余请按 offset 分批导出`;
    } catch (error) {
      if (error instanceof AuthError) authProblem(error);
      else $("refreshed").textContent = `导出失败：${error.message}`;
    }
  }

  // ---------------------------------------------------------------- start

  function start() {
    token = takeToken();
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const given = $("token-input").value.trim();
      if (!given) return;
      sessionStorage.setItem(TOKEN_KEY, given);
      token = given;
      $("token-input").value = "";
      $("notice").hidden = true;
      refresh().then(route);
    });
    $("refresh-now").addEventListener("click", () => refresh());
    $("export-ledger").addEventListener("click", exportLedger);
    window.addEventListener("hashchange", () => {
      if (!window.location.hash.startsWith("#token=")) return route();
      // A link with a token opened on this very page changes only the fragment: take the new token.
      token = takeToken();
      refresh().then(route);
    });
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
    refresh().then(route);
    setInterval(refresh, REFRESH_MS);
  }

  start();
})();
