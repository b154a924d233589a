// 信息公开: the public page. Reads projections' public API and posts objections to intake, both through the one
// address (/api/projections/…, /api/intake/…). Everything shown is set as text, never as HTML.
"use strict";

const PROJECTIONS = "/api/projections/v1/public";
const OBJECTIONS = "/api/intake/v1/public/objections";
// ObjectionFiled.text's bounds (shared/contracts/intake.py); the server refuses the same with 422.
const MIN_TEXT = 5;
const MAX_TEXT = 1000;

const state = { page: 1, pages: 1, source: "", batch: "" };

function $(id) {
  return document.getElementById(id);
}

function day(moment) {
  // The API gives Asia/Shanghai (+08:00): the date as written there.
  return moment ? moment.slice(0, 10) : "—";
}

function fill(node, selector, text) {
  node.querySelector(selector).textContent = text === null || text === undefined || text === "" ? "—" : text;
}

async function getJson(url) {
  const answer = await fetch(url, { headers: { Accept: "application/json" } });
  if (!answer.ok) {
    throw new Error(await refusal(answer));
  }
  return answer.json();
}

// A refusal's Chinese message: a 422 names its fields, a 429 says when to try again.
async function refusal(answer) {
  try {
    const body = await answer.json();
    const error = body.error || {};
    const fields = (error.fields || []).map((f) => f.message).filter(Boolean);
    if (fields.length) {
      return fields.join("；");
    }
    if (error.message) {
      return error.message;
    }
  } catch (e) {
    // not JSON: the generic message below
  }
  return `服务暂时无法访问（${answer.status}），请稍后重试`;
}

function setOptions(select, facets, current) {
  const first = select.options[0];
  select.replaceChildren(first);
  for (const facet of facets) {
    const option = document.createElement("option");
    option.value = facet.key;
    option.textContent = `${facet.label}（${facet.total}）`;
    option.selected = facet.key === current;
    select.append(option);
  }
}

// A card of the template with what every item shows: the case, its title, source, township, domain and unit.
function card(template, item) {
  const node = $(template).content.firstElementChild.cloneNode(true);
  node.dataset.case = item.case_id;
  fill(node, ".title", item.title);
  fill(node, ".source", item.source_label);
  fill(node, ".township", item.township);
  fill(node, ".domain", item.domain_label);
  fill(node, ".unit", item.unit || "待交办");
  return node;
}

function problemCard(item) {
  const problem = card("problem-card", item);
  fill(problem, ".batch", item.batch);
  fill(problem, ".deadline", day(item.deadline));
  fill(problem, ".state", item.status_label);
  if (item.result_summary) {
    problem.querySelector(".result").hidden = false;
    fill(problem, ".result-text", item.result_summary);
  }
  return problem;
}

async function loadProblems() {
  const status = $("problems-status");
  const params = new URLSearchParams({ page: String(state.page) });
  if (state.source) params.set("source", state.source);
  if (state.batch) params.set("batch", state.batch);
  try {
    const answer = await getJson(`${PROJECTIONS}/problems?${params}`);
    state.pages = Math.max(1, answer.pages);
    setOptions($("filter-source"), answer.sources, state.source);
    setOptions($("filter-batch"), answer.batches, state.batch);
    $("problem-list").replaceChildren(...answer.items.map(problemCard));
    status.textContent = answer.total ? `共 ${answer.total} 个问题` : "暂无符合条件的问题";
    status.classList.remove("error");
    $("page-info").textContent = `第 ${state.page} / ${state.pages} 页`;
    $("prev").disabled = state.page <= 1;
    $("next").disabled = state.page >= state.pages;
  } catch (error) {
    status.textContent = error.message;
    status.classList.add("error");
  }
}

function noticeCard(item) {
  const node = card("notice-card", item);
  fill(node, ".period", `${day(item.notice_starts_at)} 至 ${day(item.notice_ends_at)}`);
  fill(node, ".summary-text", item.notice_summary || item.result_summary);
  const form = node.querySelector("form.objection");
  const text = form.querySelector("textarea");
  const count = form.querySelector(".count");
  text.addEventListener("input", () => {
    count.textContent = `${text.value.trim().length} / ${MAX_TEXT}`;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    object(item.case_id, form);
  });
  return node;
}

function say(form, text, kind) {
  const message = form.querySelector(".message");
  message.textContent = text;
  message.className = `message ${kind}`;
}

// The client's own check first (the same bounds as the server's), then the server's answer as it gives it.
async function object(caseId, form) {
  const text = form.querySelector("textarea").value.trim();
  if (text.length < MIN_TEXT) {
    say(form, `异议内容至少 ${MIN_TEXT} 个字`, "error");
    return;
  }
  if (text.length > MAX_TEXT) {
    say(form, `异议内容不能超过 ${MAX_TEXT} 个字`, "error");
    return;
  }
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const answer = await fetch(OBJECTIONS, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ case_id: caseId, text }),
    });
    if (!answer.ok) {
      say(form, await refusal(answer), "error");
      return;
    }
    const receipt = await answer.json();
    say(form, `${receipt.message}（异议编号 ${receipt.objection_id}）`, "ok");
    form.querySelector("textarea").value = "";
  } catch (error) {
    say(form, "网络异常，异议未能提交，请稍后重试", "error");
  } finally {
    button.disabled = false;
  }
}

async function loadNotices() {
  const status = $("notices-status");
  try {
    const answer = await getJson(`${PROJECTIONS}/notices`);
    $("objection-note").textContent = answer.objection_note;
    $("notice-list").replaceChildren(...answer.items.map(noticeCard));
    status.textContent = answer.total ? `公示中 ${answer.total} 项` : "目前没有正在公示的整改结果";
    status.classList.remove("error");
  } catch (error) {
    status.textContent = error.message;
    status.classList.add("error");
  }
}

function start() {
  $("filter-source").addEventListener("change", (event) => {
    state.source = event.target.value;
    state.page = 1;
    loadProblems();
  });
  $("filter-batch").addEventListener("change", (event) => {
    state.batch = event.target.value;
    state.page = 1;
    loadProblems();
  });
  $("prev").addEventListener("click", () => {
    state.page = Math.max(1, state.page - 1);
    loadProblems();
  });
  $("next").addEventListener("click", () => {
    state.page = Math.min(state.pages, state.page + 1);
    loadProblems();
  });
  Promise.all([loadNotices(), loadProblems()]).then(() => {
    document.body.dataset.loaded = "";
  });
}

start();
