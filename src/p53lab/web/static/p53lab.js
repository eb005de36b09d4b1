/* p53lab web app: the page's only script (no libraries, works offline).
 *
 * 1. Line plots: <div class="lineplot" data-source="ID" data-x="time_h"> reads the JSON in
 *    <script type="application/json" id="ID"> ({time_h: [...], series: {name: [...]}}) and
 *    draws an SVG with a checkbox per series, a log/linear switch and a hover read-out.
 *    Written by hand because the plot is small and a plotting library would have to be
 *    shipped inside the package to work without a network.
 * 2. Job pages: <div id="job" data-job-id> polls /api/jobs/ID and reloads when it finishes.
 * 3. Links with data-back go back one page.
 */
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function niceTicks(lo, hi, n) {
  const span = hi - lo || Math.abs(hi) || 1;
  const step0 = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}

function fmt(v) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : Number(v.toPrecision(4)).toString();
}

function linePlot(box) {
  const data = JSON.parse(document.getElementById(box.dataset.source).textContent);
  const xs = data[box.dataset.x || "time_h"];
  const names = Object.keys(data.series);
  const shown = new Set((box.dataset.show || "").split(",").filter((n) => names.includes(n)));
  if (!shown.size) names.slice(0, 4).forEach((n) => shown.add(n));
  let logY = false;

  const controls = document.createElement("div");
  controls.className = "plot-controls";
  names.forEach((name, i) => {
    const label = document.createElement("label");
    const cb = document.createElement("input");
    cb.type = "checkbox";
    cb.checked = shown.has(name);
    cb.addEventListener("change", () => { cb.checked ? shown.add(name) : shown.delete(name); draw(); });
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.dataset.colour = String(i % COLOURS.length);
    label.append(cb, swatch, " " + name);
    controls.appendChild(label);
  });
  const logLabel = document.createElement("label");
  const logBox = document.createElement("input");
  logBox.type = "checkbox";
  logBox.addEventListener("change", () => { logY = logBox.checked; draw(); });
  logLabel.append(logBox, " log y");
  controls.appendChild(logLabel);

  const W = 760, H = 380, L = 70, R = 20, T = 15, B = 45;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "plot", role: "img" });
  box.append(svg, controls);
  const readout = document.createElement("div");
  readout.className = "readout";
  box.appendChild(readout);

  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const active = names.filter((n) => shown.has(n));
    const ys = active.flatMap((n) => data.series[n]).filter((v) => v !== null && isFinite(v) && (!logY || v > 0));
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    let y0 = ys.length ? Math.min(...ys) : 0, y1 = ys.length ? Math.max(...ys) : 1;
    if (!logY) y0 = Math.min(0, y0);
    const f = (v) => (logY ? Math.log10(v) : v);
    let fy0 = f(y0), fy1 = f(y1);
    if (fy1 === fy0) { fy0 -= 1; fy1 += 1; }
    const sx = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
    const sy = (y) => T + (1 - (f(y) - fy0) / (fy1 - fy0)) * (H - T - B);
    el("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "frame" }, svg);
    for (const t of niceTicks(x0, x1, 8)) {
      el("line", { x1: sx(t), x2: sx(t), y1: H - B, y2: H - B + 5, class: "tick" }, svg);
      el("text", { x: sx(t), y: H - B + 18, class: "ticklabel", "text-anchor": "middle" }, svg).textContent = fmt(t);
    }
    const yt = logY
      ? niceTicks(Math.floor(fy0), Math.ceil(fy1), 6).filter((t) => t >= fy0 - 1e-9 && t <= fy1 + 1e-9 && Number.isInteger(t)).map((t) => Math.pow(10, t))
      : niceTicks(y0, y1, 6);
    for (const t of yt) {
      el("line", { x1: L - 5, x2: W - R, y1: sy(t), y2: sy(t), class: "grid" }, svg);
      el("text", { x: L - 8, y: sy(t) + 4, class: "ticklabel", "text-anchor": "end" }, svg).textContent = fmt(t);
    }
    el("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", class: "axislabel" }, svg).textContent = box.dataset.xlabel || "x";
    el("text", { x: 14, y: (T + H - B) / 2, "text-anchor": "middle", class: "axislabel", transform: `rotate(-90 14 ${(T + H - B) / 2})` }, svg).textContent = box.dataset.ylabel || "";
    active.forEach((name) => {
      const i = names.indexOf(name);
      const pts = xs.map((x, k) => [x, data.series[name][k]])
        .filter(([, y]) => y !== null && isFinite(y) && (!logY || y > 0))
        .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
      const line = el("polyline", { points: pts.join(" "), class: "series", stroke: COLOURS[i % COLOURS.length] }, svg);
      el("title", {}, line).textContent = name;
    });
    const cursor = el("line", { y1: T, y2: H - B, class: "cursor", visibility: "hidden" }, svg);
    const hit = el("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "hit" }, svg);
    hit.addEventListener("mousemove", (ev) => {
      const r = svg.getBoundingClientRect();
      const px = ((ev.clientX - r.left) / r.width) * W;
      const x = x0 + ((px - L) / (W - L - R)) * (x1 - x0);
      let k = 0;
      xs.forEach((v, j) => { if (Math.abs(v - x) < Math.abs(xs[k] - x)) k = j; });
      cursor.setAttribute("x1", sx(xs[k]));
      cursor.setAttribute("x2", sx(xs[k]));
      cursor.setAttribute("visibility", "visible");
      readout.textContent = `${box.dataset.xlabel || "x"} = ${fmt(xs[k])}: ` +
        active.map((n) => `${n} ${fmt(data.series[n][k])}`).join(" · ");
    });
    hit.addEventListener("mouseleave", () => cursor.setAttribute("visibility", "hidden"));
  }
  draw();
}

function pollJob(box) {
  const id = box.dataset.jobId;
  if (!["queued", "running"].includes(box.dataset.status)) return;
  const status = document.getElementById("job-status");
  const messages = document.getElementById("job-messages");
  const tick = () => {
    fetch(`/api/jobs/${id}`, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((job) => {
        status.textContent = job.status;
        messages.textContent = job.messages.join("\n");
        if (["queued", "running"].includes(job.status)) setTimeout(tick, 700);
        else window.location.reload();
      })
      .catch(() => setTimeout(tick, 3000));
  };
  setTimeout(tick, 500);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".lineplot").forEach(linePlot);
  const job = document.getElementById("job");
  if (job) pollJob(job);
  document.querySelectorAll("a[data-back]").forEach((a) =>
    a.addEventListener("click", (ev) => { if (history.length > 1) { ev.preventDefault(); history.back(); } }));
});
