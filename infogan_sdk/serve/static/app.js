// The InfoGAN playground: plain JavaScript over the service's own API (no build step, no CDN, works offline).
// Draw a digit -> POST /v1/infer (and POST /v1/edit: your digit redrawn and edited by the sliders);
// move a code -> POST /v1/generate; pick a code -> POST /v1/traverse?format=png.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { model: null, models: [], token: new URLSearchParams(location.hash.slice(1)).get("token") };

// --- the API -------------------------------------------------------------------------------------------------
// The page exported by `infogan export-web` answers the same requests in the browser (local.js sets infoganLocal).
async function api(path, body, wantPng = false) {
  if (window.infoganLocal) return window.infoganLocal(path, body, wantPng);
  const headers = { "Content-Type": "application/json", Accept: wantPng ? "image/png" : "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) });
  if (response.status === 401) $("token-box").hidden = false;
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ error: response.status, detail: response.statusText }));
    throw new Error(`${problem.error}: ${problem.detail}`);
  }
  return wantPng ? response.blob() : response.json();
}

function showStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

// One request at a time per job; a change made meanwhile runs once the current request is back.
function coalesced(job) {
  let running = false, again = false;
  const run = async () => {
    if (running) { again = true; return; }
    running = true;
    try { await job(); } catch (error) { showStatus(error.message, true); }
    running = false;
    if (again) { again = false; run(); }
  };
  return run;
}

// --- the generator panel ----------------------------------------------------------------------------------
function currentModel() { return state.models.find((m) => m.name === state.model); }

function generateRequest() {
  const model = currentModel();
  const continuous = {};
  for (const code of model.continuous) continuous[code.name] = Number($(`code-${code.name}`).value);
  return { model: model.name, digits: [Number($("digit-select").value)], seed: Math.max(0, Math.floor(Number($("seed-input").value) || 0)), continuous };
}

const refreshGenerated = coalesced(async () => {
  const request = generateRequest();
  const answer = await api("/v1/generate", request);
  const image = $("generated-image");
  image.src = `data:image/png;base64,${answer.images[0].png}`;
  image.dataset.request = JSON.stringify(request);  // what made this image (tests compare it with the API)
  showStatus(`model ${answer.model}: digit ${answer.images[0].digit}`);
});

let traverseUrl = null;
const refreshTraversal = coalesced(async () => {
  const code = $("traverse-code").value;
  if (!code) return;
  const { digits, seed, model } = generateRequest();
  const blob = await api("/v1/traverse?format=png", { model, digit: digits[0], code, seed }, true);
  if (traverseUrl) URL.revokeObjectURL(traverseUrl);
  traverseUrl = URL.createObjectURL(blob);
  $("traverse-image").src = traverseUrl;
});

// The strip sweeps each code's `sweep`, wider than the range it was trained on: say so under it.
function traverseNote() {
  const code = currentModel().continuous.find((c) => c.name === $("traverse-code").value);
  if (!code) return;
  const [[low, high], [from, to]] = [code.range, code.sweep];
  $("traverse-note").textContent = from < low || to > high
    ? `swept from ${from} to ${to}: beyond the trained range, ${low} to ${high}, the outer images are extrapolations`
    : `swept from ${from} to ${to}, inside the trained range`;
}

function buildGenerator(model) {
  $("digit-select").replaceChildren(...model.digits.map((d) => new Option(String(d), String(d))));
  $("digit-select").value = model.digits.includes(7) ? "7" : String(model.digits[0] ?? 0);
  const sliders = model.continuous.map((code) => {
    const [low, high] = code.range;  // the trained range: the service refuses codes beyond it unless asked
    const label = document.createElement("label");
    const input = Object.assign(document.createElement("input"), { type: "range", id: `code-${code.name}`, min: low, max: high, step: (high - low) / 50 });
    input.value = String(code.default);
    const value = Object.assign(document.createElement("output"), { id: `code-${code.name}-value`, value: Number(input.value).toFixed(2) });
    input.addEventListener("input", () => { value.value = Number(input.value).toFixed(2); refreshGenerated(); });
    label.append(code.name, input, value);
    return label;
  });
  $("code-sliders").replaceChildren(...sliders);
  $("traverse-code").replaceChildren(...model.continuous.map((c) => new Option(c.name, c.name)));
  traverseNote();
  refreshGenerated();
  refreshTraversal();
}

// --- the edit panel: the drawing redrawn, and edited by adding to its codes ----------------------------------
function editRequest() {
  const model = currentModel();
  const continuous = {};
  for (const code of model.continuous) continuous[code.name] = Number($(`edit-${code.name}`).value);
  const request = { model: model.name, images: [canvas.toDataURL("image/png")], continuous, reconstruct: true };
  if ($("edit-digit").value !== "") request.digit = Number($("edit-digit").value);
  return request;
}

const refreshEdit = coalesced(async () => {
  if (!inked || !currentModel().can_edit) return;
  const request = editRequest(), mine = sheet;
  const answer = await api("/v1/edit", request);
  if (mine !== sheet) return;  // the canvas was cleared while the answer was on its way: it is stale
  const [source, edited] = [answer.sources[0], answer.images[0]];
  $("edit-source").src = `data:image/png;base64,${source.png}`;
  $("edit-reconstruction").src = `data:image/png;base64,${source.reconstruction}`;
  $("edit-error").value = source.reconstruction_error.toFixed(3);
  $("edit-result").src = `data:image/png;base64,${edited.png}`;
  $("edit-result").dataset.request = JSON.stringify({ ...request, images: undefined });  // for the tests
});

function buildEditor(model) {
  $("edit-unavailable").hidden = Boolean(model.can_edit);
  $("edit-controls").hidden = !model.can_edit;
  $("edit-digit").replaceChildren(new Option("as drawn", ""), ...model.digits.map((d) => new Option(String(d), String(d))));
  const sliders = model.continuous.map((code) => {
    const label = document.createElement("label");
    const input = Object.assign(document.createElement("input"), { type: "range", id: `edit-${code.name}`, min: -2, max: 2, step: 0.05 });
    input.value = "0";
    const value = Object.assign(document.createElement("output"), { id: `edit-${code.name}-value`, value: "+0.00" });
    input.addEventListener("input", () => { value.value = (input.value >= 0 ? "+" : "") + Number(input.value).toFixed(2); refreshEdit(); });
    label.append(code.name, input, value);
    return label;
  });
  $("edit-sliders").replaceChildren(...sliders);
  for (const id of ["edit-source", "edit-reconstruction", "edit-result"]) $(id).removeAttribute("src");
  $("edit-error").value = "–";
}

// --- the drawing panel ------------------------------------------------------------------------------------
const canvas = $("draw-canvas");
const pen = canvas.getContext("2d");
let drawing = false, inked = false, lastRead = 0;
let sheet = 0;  // counts clears: an answer about an earlier drawing must not land on a cleared canvas

function clearCanvas() {
  sheet += 1;
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, canvas.width, canvas.height);
  inked = false;
  $("reading-digit").textContent = "–";
  $("reading-is-digit").textContent = "";
  buildBars(currentModel() ? currentModel().digits : []);
  $("reading-codes").replaceChildren();
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
}

function stroke(event) {
  const [x, y] = point(event);
  pen.lineTo(x, y);
  pen.stroke();
  pen.beginPath();
  pen.moveTo(x, y);
  inked = true;
  if (performance.now() - lastRead > 150) { lastRead = performance.now(); refreshReading(); }
}

canvas.addEventListener("pointerdown", (event) => {
  drawing = true;
  canvas.setPointerCapture(event.pointerId);
  Object.assign(pen, { strokeStyle: "#fff", lineWidth: 20, lineCap: "round", lineJoin: "round" });
  pen.beginPath();
  const [x, y] = point(event);
  pen.moveTo(x, y);
  stroke(event);
});
canvas.addEventListener("pointermove", (event) => { if (drawing) stroke(event); });
for (const name of ["pointerup", "pointercancel"]) {
  canvas.addEventListener(name, () => { if (drawing) { drawing = false; refreshReading(); refreshEdit(); } });
}

function buildBars(digits) {
  $("reading-bars").replaceChildren(...digits.map((d) => {
    const item = document.createElement("li");
    item.id = `bar-${d}`;
    item.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span><span class="p">0%</span>`;
    return item;
  }));
}

const refreshReading = coalesced(async () => {
  if (!inked) return;
  const mine = sheet;
  const answer = await api("/v1/infer", { model: state.model, images: [canvas.toDataURL("image/png")] });
  if (mine !== sheet) return;  // cleared meanwhile: a stale reading
  const reading = answer.results[0];
  if (reading.error) { showStatus(reading.detail, true); return; }
  $("reading-digit").textContent = String(reading.digit);
  reading.probabilities.forEach((p, d) => {
    const bar = $(`bar-${d}`);
    bar.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    bar.querySelector(".p").textContent = `${(100 * p).toFixed(1)}%`;
    bar.classList.toggle("top", d === reading.digit);
  });
  const notDigit = reading.is_digit === false;  // only models that can tell say so
  $("reading-is-digit").textContent = reading.is_digit === undefined ? "" : notDigit ? "(not a digit?)" : "(a digit)";
  $("reading-is-digit").classList.toggle("no", notDigit);
  const rows = Object.entries(reading.continuous).flatMap(([name, value]) => [
    Object.assign(document.createElement("dt"), { textContent: name }),
    Object.assign(document.createElement("dd"), { textContent: value.toFixed(3) })]);
  $("reading-codes").replaceChildren(...rows);
});

// --- start ------------------------------------------------------------------------------------------------
async function start() {
  try {
    const answer = await api("/v1/models");
    state.models = answer.models;
    state.model = answer.default;
    $("model-select").replaceChildren(...answer.models.map((m) => new Option(m.name, m.name)));
    $("model-select").value = state.model;
    clearCanvas();
    buildGenerator(currentModel());
    buildEditor(currentModel());
  } catch (error) {
    showStatus(error.message, true);
  }
}

$("model-select").addEventListener("change", () => {
  state.model = $("model-select").value;
  clearCanvas();
  buildGenerator(currentModel());
  buildEditor(currentModel());
});
$("edit-digit").addEventListener("change", refreshEdit);
$("digit-select").addEventListener("change", () => { refreshGenerated(); refreshTraversal(); });
$("seed-input").addEventListener("input", () => { refreshGenerated(); refreshTraversal(); });
$("traverse-code").addEventListener("change", () => { traverseNote(); refreshTraversal(); });
$("clear-button").addEventListener("click", () => { clearCanvas(); buildEditor(currentModel()); });
$("token-input").addEventListener("change", () => { state.token = $("token-input").value; start(); });
start();
