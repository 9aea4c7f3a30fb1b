// idsync's console: plain script over the daemon's own API (no build step, no CDN). Logged in with a session
// cookie (POST /login); every change sends the session's CSRF token. Nothing here holds the API token.
"use strict";
const AUTH = document.body.dataset.auth === "true";
const $ = (id) => document.getElementById(id);
let SP = "local";
let JOBS = [];
let nextLogPage = null;

function csrf() {
  const m = document.cookie.match(/(?:^|; )idsync_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

async function api(path, options = {}) {
  const method = options.method || "GET";
  const headers = {"Content-Type": "application/json"};
  if (method !== "GET") headers["X-CSRF-Token"] = csrf();
  const response = await fetch(path, {...options, method, headers, credentials: "same-origin"});
  if (response.status === 401 && AUTH && path !== "/login") {
    showLogin(true); throw new Error("Log in to continue.");
  }
  const text = response.status === 204 ? "" : await response.text();
  const json = (response.headers.get("content-type") || "").includes("json");
  const body = text && json ? JSON.parse(text) : text || null;
  if (!response.ok) throw new Error((body && body.error && body.error.message) || response.statusText);
  return body;
}

const sync = () => `/servicePrincipals/${encodeURIComponent(SP)}/synchronization`;
const jobPath = (id) => `${sync()}/jobs/${encodeURIComponent(id)}`;

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
function cell(row, text, cls) {
  const td = row.insertCell(); td.textContent = text == null ? "" : String(text); if (cls) td.className = cls;
  return td;
}
function relative(seconds) {
  const a = Math.abs(seconds);
  const [n, unit] = a < 60 ? [a, "s"] : a < 3600 ? [Math.round(a / 60), "min"]
    : a < 86400 ? [Math.round(a / 3600), "h"] : [Math.round(a / 86400), "d"];
  return seconds <= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}
// Local time and how long ago (or until); the engine's "0001-01-01" means never.
function when(iso) {
  if (!iso || String(iso).startsWith("0001-")) return "never";
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  return `${d.toLocaleString()} (${relative(Math.round((d - Date.now()) / 1000))})`;
}
function showError(err) { $("error").textContent = err ? String(err.message || err) : ""; }
function notice(text) { $("notice").textContent = text || ""; }

function showLogin(visible) {
  $("login").hidden = !visible;
  $("console").hidden = visible;
  $("logout").hidden = visible || !AUTH;
}

async function login(event) {
  event.preventDefault();
  try {
    await api("/login", {method: "POST", body: JSON.stringify({token: $("token").value})});
    $("token").value = "";
    showLogin(false); showError(null);
    await start();
  } catch (err) { showError(err); }
}

async function logout() {
  await api("/logout", {method: "POST", body: "{}"});
  showLogin(true); notice("Logged out.");
}

// --- jobs and actions ---------------------------------------------------------------------------------
async function action(job, label, path, body) {
  if (!window.confirm(`${label} job ${job}?`)) return;
  try {
    await api(`${jobPath(job)}/${path}`, {method: "POST", body: JSON.stringify(body || {})});
    await refreshJobs();
    notice(`${label}: done for ${job}.`); showError(null);
  } catch (err) { showError(err); notice(null); }
}

function actionsCell(row, job) {
  const td = row.insertCell();
  const button = (label, handler) => {
    const b = el("button", label, {"data-action": label.toLowerCase().replace(/ /g, "-"), type: "button"});
    b.addEventListener("click", handler); td.append(b); return b;
  };
  button("Start", () => action(job.id, "Start", "start"));
  button("Pause", () => action(job.id, "Pause", "pause"));
  const scope = el("select", null, {"aria-label": "reset scope", "data-scope": job.id});
  for (const s of ["Watermark, Escrows, QuarantineState", "Watermark", "Escrows", "QuarantineState",
    "ForceDeletes", "Full"]) scope.append(el("option", s));
  button("Restart", () => action(job.id, `Restart (${scope.value})`, "restart",
    {criteria: {resetScope: scope.value}}));
  td.append(scope);
  button("Validate credentials", () => action(job.id, "Validate credentials", "validateCredentials"));
  button("Mappings", () => showMappings(job.id));
}

function quarantineText(q) {
  if (!q || !q.reason) return "";
  const cause = q.error && q.error.message ? `: ${q.error.message}` : "";
  return `${q.reason}${cause}; next attempt ${when(q.nextAttempt)}`;
}

async function refreshJobs() {
  JOBS = (await api(`${sync()}/jobs`)).value;
  const body = $("jobs").tBodies[0]; body.replaceChildren();
  for (const job of JOBS) {
    const s = job.status || {}, last = s.lastExecution || {};
    const p = (s.progress || [])[0];
    const row = body.insertRow(); row.dataset.job = job.id;
    cell(row, job.id); cell(row, s.code, "code-" + s.code);
    cell(row, `${job.schedule.state}, every ${job.schedule.interval}`);
    // one word for a cycle everywhere: the log line and the metrics call a quarantined cycle "quarantined"
    const outcome = s.code === "Quarantine" ? "Quarantined" : last.state;
    cell(row, last.timeEnded ? `${outcome} ${when(last.timeEnded)}` : "never");
    cell(row, p && s.code !== "Paused" ? "running now" : job.nextCycleDateTime ? when(job.nextCycleDateTime) : "");
    cell(row, last.countImported); cell(row, last.countExported); cell(row, last.countEscrowed);
    cell(row, quarantineText(s.quarantine), "quarantine");
    cell(row, p ? `${p.completedUnits}/${p.totalUnits} ${p.units}` : "");
    actionsCell(row, job);
  }
  for (const select of document.querySelectorAll(".job-select")) {
    const keep = select.value;
    const any = select.id === "f-job" ? [el("option", "any", {value: ""})] : [];
    select.replaceChildren(...any, ...JOBS.map((j) => el("option", j.id, {value: j.id})));
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  }
}

// --- provision on demand --------------------------------------------------------------------------------
function stepsList(steps) {
  const list = el("ol", null, {class: "steps"});
  for (const step of steps || []) {
    const item = el("li", `${step.provisioningStepType} · ${step.name} · ${step.status}: ${step.description || ""}`);
    if (step.status === "failure") item.className = "failure";
    const details = Object.entries(step.details || {}).filter(([, v]) => v != null);
    if (details.length) item.append(el("div", details.map(([k, v]) => `${k} = ${v}`).join("; "), {class: "muted"}));
    list.append(item);
  }
  return list;
}

async function provisionOnDemand(event) {
  event.preventDefault();
  const job = $("pod-job").value, id = $("pod-id").value.trim();
  if (!job || !id || !window.confirm(`Provision ${id} now with job ${job}?`)) return;
  try {
    const body = {parameters: [{subjects: [{objectId: id, objectTypeName: "User"}]}]};
    const answer = await api(`${jobPath(job)}/provisionOnDemand`, {method: "POST", body: JSON.stringify(body)});
    const result = JSON.parse(answer.key), record = JSON.parse(answer.value);
    const out = $("pod-result"); out.replaceChildren();
    out.append(el("p", `${result.result}: ${record.provisioningAction || ""} ${(record.sourceIdentity || {}).displayName || id}`,
      {id: "pod-outcome"}));
    out.append(stepsList(record.provisioningSteps));
    showError(null);
  } catch (err) { showError(err); }
}

// --- mappings -------------------------------------------------------------------------------------------
function expressionText(source) {
  if (!source) return "";
  if (source.type === "Attribute") return `[${source.name}]`;
  if (source.type === "Constant") return JSON.stringify(source.value ?? "");
  const args = (source.parameters || []).map((p) => expressionText(p.value));
  return `${source.name}(${args.join(", ")})`;
}
function scopingText(scope) {
  const groups = (scope && scope.groups) || [];
  if (!groups.length) return "all objects";
  return groups.map((g) => (g.clauses || []).map((c) =>
    `${c.sourceOperandName} ${c.operatorName} ${((c.targetOperand || {}).values || []).join(", ")}`).join(" and ")
  ).join(" or ");
}
async function showMappings(jobId) {
  try {
    const schema = await api(`${jobPath(jobId)}/schema`);
    const box = $("mappings"); box.replaceChildren();
    $("mapping-title").textContent = `Mappings of ${jobId}`;
    for (const rule of schema.synchronizationRules || []) {
      for (const m of rule.objectMappings || []) {
        box.append(el("h3", `${rule.sourceDirectoryName} ${m.sourceObjectName} → ${rule.targetDirectoryName} ${m.targetObjectName}${m.enabled === false ? " (disabled)" : ""}`));
        box.append(el("p", `Scope: ${scopingText(m.scope)}; flow: ${m.flowTypes || "Add, Update, Delete"}`, {class: "muted"}));
        const table = el("table", null, {class: "mapping"});
        const head = table.createTHead().insertRow();
        for (const h of ["Target attribute", "", "Source expression", "Flow", "Matching priority"]) head.append(el("th", h));
        const body = table.createTBody();
        for (const a of m.attributeMappings || []) {
          const row = body.insertRow();
          cell(row, a.targetAttributeName); cell(row, "←"); cell(row, expressionText(a.source));
          cell(row, a.flowType || "Always"); cell(row, a.matchingPriority || "");
        }
        box.append(table);
      }
    }
    $("mapping-view").hidden = false; showError(null);
  } catch (err) { showError(err); }
}

// --- provisioning log -----------------------------------------------------------------------------------
function logQuery() {
  const clauses = [];
  const quote = (v) => `'${v.replace(/'/g, "''")}'`;
  if ($("f-job").value) clauses.push(`jobId eq ${quote($("f-job").value)}`);
  if ($("f-cycle").value.trim()) clauses.push(`cycleId eq ${quote($("f-cycle").value.trim())}`);
  if ($("f-action").value) clauses.push(`provisioningAction eq ${quote($("f-action").value)}`);
  if ($("f-from").value) clauses.push(`activityDateTime ge ${new Date($("f-from").value).toISOString()}`);
  if ($("f-to").value) clauses.push(`activityDateTime le ${new Date($("f-to").value).toISOString()}`);
  const params = new URLSearchParams({"$top": "25"});
  if (clauses.length) params.set("$filter", clauses.join(" and "));
  return `/auditLogs/provisioning?${params}`;
}
// Status and identity are matched here, on the page the server returned (the $filter has no such fields).
function wanted(record) {
  const status = $("f-status").value, who = $("f-identity").value.trim().toLowerCase();
  if (status && (record.provisioningStatusInfo || {}).status !== status) return false;
  if (!who) return true;
  const ids = [record.sourceIdentity, record.targetIdentity].flatMap((i) => i ? [i.id, i.displayName] : []);
  return ids.some((v) => v && String(v).toLowerCase().includes(who));
}
function identityText(identity) {
  if (!identity) return "";
  return identity.displayName || identity.id || "";
}
function targetText(identity) {
  const t = identity || {};
  return t.displayName || (t.id ? `(id ${String(t.id).slice(0, 8)}…)` : "");
}
function showRecord(record) {
  const body = $("log-detail-body"); body.replaceChildren();
  body.append(el("p", `${record.provisioningAction} of ${identityText(record.sourceIdentity)} → ${identityText(record.targetIdentity)} (${(record.provisioningStatusInfo || {}).status}) ${when(record.activityDateTime)}`));
  const error = (record.provisioningStatusInfo || {}).errorInformation;
  if (error) body.append(el("p", `${error.errorCode || ""}: ${error.reason || ""}`, {class: "failure"}));
  body.append(stepsList(record.provisioningSteps));
  $("log-detail").hidden = false;
}
async function loadLogs(path, append) {
  const page = await api(path);
  const body = $("logs").tBodies[0];
  if (!append) body.replaceChildren();
  for (const r of page.value.filter(wanted)) {
    const row = body.insertRow(); row.dataset.record = r.id;
    cell(row, when(r.activityDateTime)); cell(row, r.jobId); cell(row, r.provisioningAction);
    cell(row, identityText(r.sourceIdentity));
    // the target's name, not its GUID: a created object's id alone says nothing to a reader
    cell(row, targetText(r.targetIdentity));
    cell(row, (r.provisioningStatusInfo || {}).status); cell(row, (r.cycleId || "").slice(0, 8));
    row.addEventListener("click", () => showRecord(r));
  }
  $("logs").dataset.loads = String(Number($("logs").dataset.loads || 0) + 1);  // for tests and scripts
  const link = page["@odata.nextLink"];
  nextLogPage = link ? new URL(link).pathname + new URL(link).search : null;
  $("log-more").hidden = !nextLogPage;
}
async function applyFilters(event) {
  if (event) event.preventDefault();
  try { await loadLogs(logQuery(), false); showError(null); } catch (err) { showError(err); }
}

// --- expression tester ----------------------------------------------------------------------------------
async function testExpression() {
  try {
    const values = JSON.parse($("values").value || "{}");
    const properties = Object.entries(values).map(([key, value]) => ({key, value}));
    const request = {expression: $("expr").value, testInputObject: {definition: null, properties}};
    const path = JOBS.length ? `${jobPath(JOBS[0].id)}/schema/parseExpression`
      : `${sync()}/templates/scim/schema/parseExpression`;
    const response = await api(path, {method: "POST", body: JSON.stringify(request)});
    // An error's message draws a caret under its column: show it as text, not inside a JSON string
    // (where every quote gains a backslash and the caret lands too far left).
    $("result").textContent = response.error
      ? `${response.error.code}\n${response.error.message}` : JSON.stringify(response, null, 2);
    showError(null);
  } catch (err) { showError(err); }
}

async function loadSource(event) {
  event.preventDefault();
  const job = $("src-job").value, id = $("src-id").value.trim();
  if (!job || !id) return;
  try {
    const explained = await api(`${jobPath(job)}/explain?${new URLSearchParams({objectId: id})}`);
    const imported = (explained.steps || []).find((s) => s.step === "import") || {};
    if (!imported.found) throw new Error(`job ${job}: the source holds no object ${id}`);
    $("values").value = JSON.stringify(imported.attributes || {}, null, 1);
    showError(null);
  } catch (err) { showError(err); }
}

// --- start ----------------------------------------------------------------------------------------------
async function loadPrincipals() {
  const principals = (await api("/servicePrincipals")).value.map((p) => p.id);
  const select = $("principal");
  select.replaceChildren(...principals.map((p) => el("option", p, {value: p})));
  const chosen = new URLSearchParams(location.search).get("servicePrincipal");
  SP = principals.includes(chosen) ? chosen : principals.includes(SP) ? SP : principals[0];
  select.value = SP;
}
async function refresh() {
  if (!$("console").hidden) {
    try { await refreshJobs(); showError(null); } catch (err) { showError(err); }
  }
}
async function start() {
  try {
    await loadPrincipals();
    await refreshJobs();
    await applyFilters();
    const query = new URLSearchParams(location.search);
    if (query.has("expression")) {
      $("expr").value = query.get("expression");
      if (query.has("values")) $("values").value = query.get("values");
      await testExpression();
    }
    showError(null);
  } catch (err) { showError(err); }
}

$("login").addEventListener("submit", login);
$("logout").addEventListener("click", logout);
$("test").addEventListener("click", testExpression);
$("source-form").addEventListener("submit", loadSource);
$("pod-form").addEventListener("submit", provisionOnDemand);
$("log-filters").addEventListener("submit", applyFilters);
$("log-more").addEventListener("click", () => loadLogs(nextLogPage, true).catch(showError));
$("principal").addEventListener("change", async () => { SP = $("principal").value; await start(); });
(async () => {
  const session = await api("/session");
  showLogin(!session.authenticated);
  if (session.authenticated) await start();
  setInterval(refresh, 5000);
})();
