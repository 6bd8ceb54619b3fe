// vaelab explore: the page. Plain JS, no libraries; it talks to the server that served it and to nothing else.
"use strict";

(function () {
  const MAP_PX = 420;            // CSS pixels of a map canvas
  const PICK_PX = 6;             // a click this close to a point picks its example
  const HOVER_PX = 8;            // hover this close to a point shows its example
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                   "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
                   "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"];
  const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

  const $ = (sel, root) => (root || document).querySelector(sel);
  const page = {
    info: null,
    runs: [],               // one record per run (see makeRun)
    picks: [],              // the last two picks: {run, at: {example} | {point}, text}
    stats: {decodeRequests: 0, decodeSent: 0, decodeResponses: 0, errors: 0},
  };
  window.explore = page;    // for the browser tests and the curious

  // ------------------------------------------------------------------ server calls
  async function call(path, body) {
    const options = body === undefined ? {} : {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
    const response = await fetch(path, options);
    let data;
    try {
      data = await response.json();
    } catch (err) {
      throw new Error(`${path}: answer is not JSON (${response.status})`);
    }
    if (!response.ok) throw new Error(data.error || `${path}: ${response.status}`);
    return data;
  }

  function status(text, isError) {
    const el = $("#status");
    el.textContent = text;
    el.classList.toggle("error", !!isError);
    if (isError) page.stats.errors += 1;
  }

  // At most one request in flight; while it runs only the newest wish is kept, so dragging a slider sends
  // a request, then the latest value when that one is back: never a queue of hundreds.
  class Latest {
    constructor(send, apply) {
      this.send = send;
      this.apply = apply;
      this.next = null;
      this.busy = false;
    }
    request(payload) {
      this.next = payload;
      if (!this.busy) this.pump();
    }
    async pump() {
      this.busy = true;
      while (this.next !== null) {
        const payload = this.next;
        this.next = null;
        page.stats.decodeSent += 1;
        try {
          const answer = await this.send(payload);
          this.apply(answer, this.next === null);
        } catch (err) {
          status(err.message, true);
        }
      }
      this.busy = false;
    }
  }

  // ------------------------------------------------------------------ colours
  function viridis(t) {
    if (!(t >= 0)) return "#bbbbbb";  // NaN: unknown
    const x = Math.min(1, t) * (VIRIDIS.length - 1);
    const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
    const f = x - i;
    const c = VIRIDIS[i].map((v, k) => Math.round(v + f * (VIRIDIS[i + 1][k] - v)));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  function colourer(colour) {
    if (colour.kind === "categorical") {
      const ids = Array.from(new Set(colour.values)).sort((a, b) => a - b);
      const slot = new Map(ids.map((v, i) => [v, PALETTE[i % PALETTE.length]]));
      return {fill: i => slot.get(colour.values[i]), ids, slot};
    }
    const finite = colour.values.filter(v => v !== null);
    const lo = Math.min(...finite), hi = Math.max(...finite);
    const span = hi > lo ? hi - lo : 1;
    return {fill: i => colour.values[i] === null ? "#bbbbbb" : viridis((colour.values[i] - lo) / span), lo, hi};
  }

  function drawLegend(R) {
    const box = $(".legend", R.el);
    box.replaceChildren();
    const c = R.map.colour, col = R.colours;
    const title = document.createElement("span");
    title.textContent = c.label + ":";
    box.append(title);
    if (c.kind === "categorical") {
      for (const id of col.ids.slice(0, 20)) {
        const item = document.createElement("span");
        const sw = document.createElement("span");
        sw.className = "swatch";
        sw.style.background = col.slot.get(id);
        item.append(sw, document.createTextNode(c.names && c.names[id] !== undefined ? c.names[id] : String(id)));
        box.append(item);
      }
    } else {
      const item = document.createElement("span");
      const bar = document.createElement("span");
      bar.className = "bar";
      item.append(document.createTextNode(fmt(col.lo)), bar, document.createTextNode(fmt(col.hi)));
      box.append(item);
    }
  }

  function fmt(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    const a = Math.abs(v);
    return a !== 0 && (a < 0.01 || a >= 1e4) ? v.toExponential(1) : v.toFixed(a < 10 ? 2 : 1);
  }

  // ------------------------------------------------------------------ the map
  function bounds(xys) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const xy of xys) for (const [x, y] of xy) {
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    const w = Math.max(x1 - x0, 1e-9), h = Math.max(y1 - y0, 1e-9);
    return {x0: x0 - 0.05 * w, x1: x1 + 0.05 * w, y0: y0 - 0.05 * h, y1: y1 + 0.05 * h};
  }

  function setView(R, b) {
    const pad = 28;  // room for the axis labels
    // Each axis fills the square (as a scatter plot does): PCA's first axis often holds most of the variance.
    const sx = (MAP_PX - 2 * pad) / (b.x1 - b.x0), sy = (MAP_PX - 2 * pad) / (b.y1 - b.y0);
    const cx = (b.x0 + b.x1) / 2, cy = (b.y0 + b.y1) / 2;
    R.view = {
      toScreen: ([x, y]) => [MAP_PX / 2 + (x - cx) * sx, MAP_PX / 2 - (y - cy) * sy],
      toData: (px, py) => [cx + (px - MAP_PX / 2) / sx, cy - (py - MAP_PX / 2) / sy],
    };
    R.screen = R.map.xy.map(R.view.toScreen);
  }

  function drawMap(R) {
    const canvas = $("canvas.map", R.el);
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== MAP_PX * dpr) {
      canvas.width = MAP_PX * dpr;
      canvas.height = MAP_PX * dpr;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, MAP_PX, MAP_PX);
    ctx.fillStyle = "#667085";
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.fillText(R.map.xlabel, MAP_PX / 2, MAP_PX - 6);
    ctx.save();
    ctx.translate(11, MAP_PX / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(R.map.ylabel, 0, 0);
    ctx.restore();
    ctx.globalAlpha = 0.8;
    R.screen.forEach(([x, y], i) => {
      ctx.fillStyle = R.colours.fill(i);
      ctx.beginPath();
      ctx.arc(x, y, 2.4, 0, 2 * Math.PI);
      ctx.fill();
    });
    ctx.globalAlpha = 1;
    if (R.path) {
      polyline(ctx, R.path.linear.map(R.view.toScreen), "#111", []);
      polyline(ctx, R.path.spherical.map(R.view.toScreen), "#111", [4, 3]);
    }
    if (R.samples) {
      ctx.strokeStyle = "#e07a10";
      ctx.lineWidth = 2;
      for (const [x, y] of R.samples.map(R.view.toScreen)) {
        ctx.beginPath();
        ctx.moveTo(x - 4, y - 4); ctx.lineTo(x + 4, y + 4);
        ctx.moveTo(x + 4, y - 4); ctx.lineTo(x - 4, y + 4);
        ctx.stroke();
      }
    }
    page.picks.forEach((p, k) => {
      const xy = p.xy && p.xy[R.index];
      if (!xy) return;
      const [x, y] = R.view.toScreen(xy);
      ctx.fillStyle = "#111";
      ctx.font = "bold 12px system-ui, sans-serif";
      ctx.fillText(k === 0 ? "A" : "B", x + 9, y - 7);
    });
    if (R.marker) {
      const [x, y] = R.view.toScreen(R.marker);
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 4;
      ring(ctx, x, y);
      ctx.strokeStyle = "#d62728";
      ctx.lineWidth = 2;
      ring(ctx, x, y);
    }
  }

  function ring(ctx, x, y) {
    ctx.beginPath();
    ctx.arc(x, y, 7, 0, 2 * Math.PI);
    ctx.moveTo(x - 11, y); ctx.lineTo(x - 4, y);
    ctx.moveTo(x + 4, y); ctx.lineTo(x + 11, y);
    ctx.stroke();
  }

  function polyline(ctx, pts, colour, dash) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(dash);
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = colour;
    for (const [x, y] of pts) {
      ctx.beginPath();
      ctx.arc(x, y, 2, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  function nearest(R, px, py, radius) {
    let best = -1, bestD = radius * radius;
    R.screen.forEach(([x, y], i) => {
      const d = (x - px) ** 2 + (y - py) ** 2;
      if (d <= bestD) { best = i; bestD = d; }
    });
    return best;
  }

  function screenOf(r, i) {  // a test hook: where example i of run r is drawn, in CSS pixels of its canvas
    return page.runs[r].screen[i];
  }
  page.screenOf = screenOf;

  async function loadMap(R) {
    const projection = $("#projection").value;
    const colour = $(".colour", R.el).value;
    const q = new URLSearchParams({run: R.index, projection, colour});
    R.map = await call(`/api/map?${q}`);
    R.colours = colourer(R.map.colour);
    const what = R.map.method === "identity" ? "the codes themselves (2-D)" : R.map.method;
    $(".map-method", R.el).textContent = R.map.joint ? `${what}, one map for both runs` : what;
  }

  // Each map's extent: its examples, and the paths and samples drawn on it (one extent for a joint map).
  function fitViews() {
    const drawn = R => [R.map.xy, ...(R.path ? [R.path.linear, R.path.spherical] : []), ...(R.samples ? [R.samples] : [])];
    const shared = page.info.joint && page.runs.length > 1 ? bounds(page.runs.flatMap(drawn)) : null;
    for (const R of page.runs) {
      setView(R, shared || bounds(drawn(R)));
      drawMap(R);
    }
  }

  async function loadMaps() {
    status($("#projection").value === "tsne" ? "computing the t-SNE map (may take a while)…" : "loading maps…");
    for (const R of page.runs) await loadMap(R);
    for (const R of page.runs) {
      drawLegend(R);
      R.path = null;
      R.samples = null;
    }
    fitViews();
    page.picks = [];
    showPicks();
    status("");
  }

  // ------------------------------------------------------------------ hover
  const tooltip = $("#tooltip");
  let hoverWanted = null;

  async function hover(R, event) {
    const [px, py] = canvasXY(event);
    const i = nearest(R, px, py, HOVER_PX);
    if (i < 0) {
      hoverWanted = null;
      tooltip.hidden = true;
      return;
    }
    const key = `${R.index}:${i}`;
    hoverWanted = key;
    let ex = R.examples.get(i);
    if (!ex) {
      try {
        ex = await call(`/api/example?run=${R.index}&example=${i}`);
      } catch (err) {
        status(err.message, true);
        return;
      }
      R.examples.set(i, ex);
    }
    if (hoverWanted !== key) return;  // the pointer moved on while it loaded
    tooltip.replaceChildren(exampleView(R, ex));
    tooltip.hidden = false;
    const x = Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 4);
    const y = Math.min(event.clientY + 14, window.innerHeight - tooltip.offsetHeight - 4);
    tooltip.style.left = `${x}px`;
    tooltip.style.top = `${y}px`;
  }

  function exampleView(R, ex) {
    const box = document.createElement("div");
    if (ex.image) {
      const img = document.createElement("img");
      img.src = ex.image;
      img.alt = `example ${ex.example}`;
      img.className = R.info.kind === "molecule" ? "molecule" : "pixelated";
      box.append(img);
    }
    const lines = [`example ${ex.example} (${R.info.split} row ${ex.split_row})`];
    if (ex.smiles) lines.push(ex.smiles);
    for (const [k, v] of Object.entries(ex.values)) lines.push(`${k}: ${typeof v === "number" ? fmt(v) : v}`);
    for (const text of lines) {
      const line = document.createElement("div");
      line.className = "line";
      line.textContent = text;
      box.append(line);
    }
    return box;
  }

  function canvasXY(event) {
    const rect = event.target.getBoundingClientRect();
    return [(event.clientX - rect.left) * MAP_PX / rect.width, (event.clientY - rect.top) * MAP_PX / rect.height];
  }

  // ------------------------------------------------------------------ decoding
  function showDecoded(R, answer, final) {
    page.stats.decodeResponses += 1;
    const item = answer.item;
    const img = $("img.decoded", R.el);
    if (item.image) {
      img.src = item.image;
      img.hidden = false;
      img.classList.toggle("pixelated", R.info.kind === "image");
    } else {
      img.hidden = true;
      img.removeAttribute("src");
    }
    const validity = $(".validity", R.el);
    if (R.info.kind === "molecule") {
      $(".smiles", R.el).textContent = item.smiles || "(empty string)";
      validity.textContent = item.valid ? "valid" : "invalid";
      validity.className = `validity ${item.valid ? "valid" : "invalid"}`;
    }
    $(".source", R.el).textContent = answer.source;
    R.marker = answer.xy;
    R.item = item;
    R.source = answer.source;
    if (final) {
      R.code = answer.code.slice();
      syncSliders(R);
    }
    drawMap(R);
  }

  function decodeAt(R, at) {
    page.stats.decodeRequests += 1;
    R.decoder.request({run: R.index, at, projection: $("#projection").value, fill: $("#fill").value});
  }

  function selectExample(T, i) {
    T.example = i;
    $(".reset", T.el).disabled = false;
    $(".reset", T.el).textContent = "reset to this example";
    decodeAt(T, {example: i});
  }

  function pickExample(R, i) {
    const targets = page.info.linked ? page.runs : [R];
    targets.forEach(T => selectExample(T, i));
    addPick({run: R.index, at: {example: i}, text: `example ${i}`,
             xy: Object.fromEntries(targets.map(T => [T.index, T.map.xy[i]]))});
  }

  function pickPoint(R, point) {
    const targets = page.info.joint ? page.runs : [R];
    for (const T of targets) {
      T.example = null;
      T.base = {point};
      $(".reset", T.el).disabled = false;
      $(".reset", T.el).textContent = "reset to this point";
      decodeAt(T, {point});
    }
    addPick({run: R.index, at: {point}, text: `point (${fmt(point[0])}, ${fmt(point[1])})`,
             xy: Object.fromEntries(targets.map(T => [T.index, point]))});
  }

  function addPick(pick) {
    page.picks = [...page.picks, pick].slice(-2);
    showPicks();
    page.runs.forEach(drawMap);
  }

  function showPicks() {
    const names = ["A", "B"];
    $("#picks").textContent = page.picks.length
      ? `picks: ${page.picks.map((p, k) => `${names[k]} = ${p.text}`).join(", ")}` +
        (page.picks.length === 2 ? " — press 'path between last two picks'" : " — pick one more for a path")
      : "Hover a point to see its example; click a point to pick that example, click elsewhere to decode that place; two picks make a path.";
    $("#path").disabled = page.picks.length < 2;
  }

  // ------------------------------------------------------------------ sliders
  function buildSliders(R) {
    const box = $(".sliders", R.el);
    box.replaceChildren();
    R.sliders = new Map();
    for (const d of R.info.dims) {
      const row = document.createElement("div");
      row.className = "slider" + (d.collapsed ? " collapsed" : "");
      const name = document.createElement("span");
      name.textContent = `z${d.dim}`;
      const input = document.createElement("input");
      input.type = "range";
      input.min = d.lo;
      input.max = d.hi;
      input.step = (d.hi - d.lo) / 400;
      input.value = R.code[d.dim];
      input.dataset.dim = d.dim;
      input.setAttribute("aria-label", `latent dimension ${d.dim}`);
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = fmt(R.code[d.dim]);
      const stat = document.createElement("span");
      stat.className = "stat";
      const kl = d.kl === null ? "" : `, KL ${fmt(d.kl)} nats`;
      stat.textContent = (d.collapsed ? "collapsed: " : "") + `activity ${fmt(d.activity)}${kl}`;
      row.title = d.collapsed ? `dimension ${d.dim} is collapsed: Var(E[z|x]) = ${fmt(d.activity)} <= 0.01${kl}` : "";
      input.addEventListener("input", () => {
        R.code[d.dim] = parseFloat(input.value);
        value.textContent = fmt(R.code[d.dim]);
        decodeAt(R, {code: R.code.slice()});
      });
      row.append(name, input, value, stat);
      box.append(row);
      R.sliders.set(d.dim, {input, value});
    }
  }

  function syncSliders(R) {
    for (const [dim, s] of R.sliders) {
      s.input.value = R.code[dim];
      s.value.textContent = fmt(R.code[dim]);
    }
  }

  // ------------------------------------------------------------------ strips: paths and samples
  function tile(R, item, caption, onClick) {
    const box = document.createElement("div");
    box.className = `tile ${R.info.kind}` + (item.valid === false ? " invalid" : "") + (onClick ? " clickable" : "");
    if (item.image) {
      const img = document.createElement("img");
      img.src = item.image;
      img.alt = caption;
      if (R.info.kind === "image") img.className = "pixelated";
      box.append(img);
    }
    const cap = document.createElement("span");
    cap.className = "caption";
    cap.textContent = R.info.kind === "molecule" ? (item.valid ? item.smiles : `invalid: ${item.smiles}`) : caption;
    cap.title = cap.textContent;
    box.append(cap);
    if (onClick) box.addEventListener("click", onClick);
    return box;
  }

  async function drawPath() {
    if (page.picks.length < 2) return;
    const [a, b] = page.picks;
    const steps = parseInt($("#steps").value, 10);
    status("decoding the paths…");
    try {
      for (const R of page.runs) {
        if (!resolvable(a, R) || !resolvable(b, R)) continue;
        const answer = await call("/api/path", {run: R.index, a: a.at, b: b.at, steps,
                                                projection: $("#projection").value, fill: $("#fill").value});
        R.path = {linear: answer.linear.xy, spherical: answer.spherical.xy};
        for (const kind of ["linear", "spherical"]) {
          const strip = $(`.strip.${kind}`, R.el);
          strip.replaceChildren(...answer[kind].items.map((item, k) => tile(R, item, `t=${fmt(answer.t[k])}`)));
        }
        $(".path-strips", R.el).hidden = false;
      }
      fitViews();
      status("");
    } catch (err) {
      status(err.message, true);
    }
  }

  function resolvable(pick, R) {  // a pick made in another run means the same there when examples or maps are shared
    if (pick.run === R.index) return true;
    return "example" in pick.at ? page.info.linked : page.info.joint;
  }

  function clearPath() {
    for (const R of page.runs) {
      R.path = null;
      $(".path-strips", R.el).hidden = true;
    }
    fitViews();
  }

  async function drawSamples(R) {
    const sampler = $(".sampler", R.el).value;
    const n = parseInt($(".n", R.el).value, 10);
    const seed = parseInt($(".seed", R.el).value, 10);
    status(`drawing ${n} samples from ${sampler}…`);
    try {
      const answer = await call("/api/samples", {run: R.index, sampler, n, seed, projection: $("#projection").value});
      R.samples = answer.xy;
      const strip = $(".strip.samples", R.el);
      strip.replaceChildren(...answer.items.map((item, k) =>
        tile(R, item, `${sampler} ${k}`, () => decodeAt(R, {code: answer.codes[k]}))));
      fitViews();
      status(`${n} samples from ${answer.sampler}${answer.note ? ` (${answer.note})` : ""}; click one to decode it`);
    } catch (err) {
      status(err.message, true);
    }
  }

  // ------------------------------------------------------------------ exports
  function snapshot() {
    const margin = 12, head = 22, pictureSide = 200;
    const width = page.runs.length * (MAP_PX + pictureSide + 3 * margin);
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = MAP_PX + head + 2 * margin + 40;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    page.runs.forEach((R, k) => {
      const x0 = k * (MAP_PX + pictureSide + 3 * margin) + margin;
      ctx.fillStyle = "#1d2330";
      ctx.font = "bold 14px system-ui, sans-serif";
      ctx.fillText(`${R.info.name} (${R.info.model}, ${R.info.latent_dim}-D)`, x0, margin + 12);
      ctx.drawImage($("canvas.map", R.el), x0, margin + head, MAP_PX, MAP_PX);
      const img = $("img.decoded", R.el);
      if (!img.hidden && img.complete && img.naturalWidth) {
        ctx.imageSmoothingEnabled = R.info.kind !== "image";
        ctx.drawImage(img, x0 + MAP_PX + margin, margin + head, pictureSide, pictureSide);
      }
      ctx.fillStyle = "#667085";
      ctx.font = "11px system-ui, sans-serif";
      const lines = [R.item && R.item.smiles ? R.item.smiles : "", R.source || ""];
      lines.forEach((line, j) => ctx.fillText(line.slice(0, 60), x0 + MAP_PX + margin, margin + head + pictureSide + 16 + 14 * j));
    });
    return canvas;
  }

  function codeRecord() {
    return {
      tool: "vaelab explore",
      exported: new Date().toISOString(),
      projection: $("#projection").value,
      runs: page.runs.map(R => ({name: R.info.name, model: R.info.model, data: R.info.data, split: R.info.split,
                                 checkpoint: R.info.checkpoint, latent_dim: R.info.latent_dim, code: R.code,
                                 source: R.source || "", map_position: R.marker || null, example: R.example,
                                 smiles: R.item && R.item.smiles !== undefined ? R.item.smiles : null,
                                 valid: R.item && R.item.valid !== undefined ? R.item.valid : null})),
    };
  }

  function download(name, blob) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  function stamp() {
    return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  }

  page.snapshot = snapshot;      // for the browser tests: the PNG export's canvas
  page.codeRecord = codeRecord;  // and the JSON export's record

  function exportPng() {
    snapshot().toBlob(blob => download(`explore-${stamp()}.png`, blob), "image/png");
  }

  function exportJson() {
    download(`explore-${stamp()}.json`, new Blob([JSON.stringify(codeRecord(), null, 2)], {type: "application/json"}));
  }

  async function saveOnServer() {
    try {
      const png = await call("/api/export", {kind: "png", data: snapshot().toDataURL("image/png")});
      const json = await call("/api/export", {kind: "json", data: codeRecord()});
      status(`saved ${png.wrote} and ${json.wrote} in the export folder`);
    } catch (err) {
      status(err.message, true);
    }
  }

  // ------------------------------------------------------------------ set-up
  function makeRun(info, index) {
    const el = $("#run-template").content.firstElementChild.cloneNode(true);
    const R = {index, info, el, code: info.mean_code.slice(), example: null, base: null, marker: null,
               path: null, samples: null, examples: new Map(), item: null, source: ""};
    $(".run-name", el).textContent = info.name;
    const shown = info.examples < info.split_size ? `${info.examples} of ${info.split_size}` : `${info.examples}`;
    const notes = [`model ${info.model}`, `data ${info.data}`, `${info.latent_dim}-D latent`,
                   `${info.split} split: ${shown} examples`, `checkpoint ${info.checkpoint}`];
    if (!info.has_prior) notes.push("no prior (deterministic encoder)");
    $(".run-meta", el).textContent = notes.join(" · ");
    const colour = $(".colour", el);
    for (const c of info.colours) colour.add(new Option(c.label, c.key, false, c.key === info.default_colour));
    colour.addEventListener("change", async () => {
      try {
        await loadMap(R);
        drawLegend(R);
        fitViews();
      } catch (err) {
        status(err.message, true);
      }
    });
    const sampler = $(".sampler", el);
    for (const s of info.samplers) sampler.add(new Option(s, s));
    $(".draw", el).disabled = info.samplers.length === 0;
    $(".draw", el).addEventListener("click", () => drawSamples(R));
    $(".clear-samples", el).addEventListener("click", () => {
      R.samples = null;
      $(".strip.samples", el).replaceChildren();
      fitViews();
    });
    $(".reset", el).addEventListener("click", () => {
      if (R.example !== null) decodeAt(R, {example: R.example});
      else if (R.base) decodeAt(R, R.base);
    });
    const canvas = $("canvas.map", el);
    canvas.addEventListener("mousemove", event => hover(R, event));
    canvas.addEventListener("mouseleave", () => { hoverWanted = null; tooltip.hidden = true; });
    canvas.addEventListener("click", event => {
      const [px, py] = canvasXY(event);
      const i = nearest(R, px, py, PICK_PX);
      if (i >= 0) pickExample(R, i);
      else pickPoint(R, R.view.toData(px, py));
    });
    R.decoder = new Latest(payload => call("/api/decode", payload), (answer, final) => showDecoded(R, answer, final));
    $("#runs").append(el);
    return R;
  }

  async function start() {
    try {
      page.info = await call("/api/info");
    } catch (err) {
      status(err.message, true);
      return;
    }
    const info = page.info;
    document.documentElement.style.setProperty("--runs", String(info.runs.length));
    $("#runs").classList.toggle("pair", info.runs.length > 1);
    $("#runs-title").textContent = info.runs.map(r => r.name).join("  vs  ") +
      (info.runs.length > 1 ? (info.linked ? " (same examples)" : " (different data: examples not linked)") : "");
    document.title = `vaelab explore: ${info.runs.map(r => r.name).join(" vs ")}`;
    $("#save-server").hidden = !info.export;
    $("#steps").max = info.limits.steps;
    page.runs = info.runs.map(makeRun);
    page.runs.forEach(buildSliders);
    const anyProjected = info.runs.some(r => r.latent_dim > 2);
    $("#projection").disabled = !anyProjected;
    $("#projection").title = anyProjected ? $("#projection").title : "2-D latents are shown as they are";
    $("#projection").addEventListener("change", async () => {
      try {
        await loadMaps();
        page.runs.forEach(R => decodeAt(R, {code: R.code.slice()}));  // the marker moves to the new map
      } catch (err) {
        status(err.message, true);
      }
    });
    $("#path").addEventListener("click", drawPath);
    $("#clear-path").addEventListener("click", clearPath);
    $("#export-png").addEventListener("click", exportPng);
    $("#export-json").addEventListener("click", exportJson);
    $("#save-server").addEventListener("click", saveOnServer);
    try {
      await loadMaps();
    } catch (err) {
      status(err.message, true);
      return;
    }
    page.runs.forEach(R => selectExample(R, 0));  // start at the first example
    page.ready = true;
  }

  start();
})();
