// The live view's page: renders /api/stream snapshots; no library, no external asset.
"use strict";
(function () {
  const token = new URLSearchParams(location.search).get("token");
  const withToken = (url) => (token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : url);
  const collapsed = new Set(); // base + path of collapsed actors ("" is this node)
  const peers = new Map(); // base address -> {data, column, stream}
  let selected = null;
  let selectedBase = "";
  let latest = null;
  let panelBusy = false;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function stateOf(actor) {
    const status = actor.details && actor.details.status;
    if (actor.state === "running" && status && status !== "running") return status;
    return actor.state;
  }

  function mailbox(actor) {
    const ratio = actor.capacity ? actor.depth / actor.capacity : 0;
    const bar = el("span", { class: "mailbox" + (ratio >= 1 ? " full" : ratio >= 0.75 ? " high" : ""), title: `mailbox ${actor.depth} of ${actor.capacity}` });
    const fill = el("span");
    fill.style.width = Math.min(100, Math.round(ratio * 100)) + "%";
    bar.append(fill);
    return bar;
  }

  function infoOf(actor) {
    const d = actor.details || {};
    const parts = [];
    if (d.kind === "supervisor" || d.kind === "dynamic_supervisor") {
      parts.push(`${d.strategy}, restarts ${d.restarts_in_window}/${d.max_restarts} in ${d.within}s`);
      if (d.backoff) parts.push(`backoff ${d.backoff.min}s..${d.backoff.max}s`);
      if (d.kind === "dynamic_supervisor") parts.push(`${d.children.length} of ${d.max_children === null ? "any number of" : "at most " + d.max_children} children`);
    } else if (d.kind === "bus") {
      parts.push(`${d.subscribers} subscribers, ${d.patterns} subscriptions`);
    } else if (d.kind === "pool") {
      parts.push(`pool of ${d.routees}/${d.size}, ${d.routing}, restarts ${d.restarts_in_window}/${d.max_restarts} in ${d.within}s`);
    }
    if (d.introspect_error) parts.push("introspect failed: " + d.introspect_error);
    return parts.join("; ");
  }

  // When each actor last failed or restarted (page time), to make recent trouble stand out.
  const ALERT_MS = 10000;
  const trouble = new Map();

  function noteTrouble(actor, base, now) {
    const key = base + actor.path;
    const seen = trouble.get(key);
    const count = actor.failed + actor.restarts;
    if (!seen) trouble.set(key, { count, at: -Infinity });
    else if (count > seen.count) trouble.set(key, { count, at: now });
    for (const child of actor.children) noteTrouble(child, base, now);
  }

  function row(actor, base) {
    const key = base + actor.path;
    const state = stateOf(actor);
    const seen = trouble.get(key);
    const recent = seen !== undefined && performance.now() - seen.at < ALERT_MS;
    const alert = !["running", "stopped"].includes(state) || recent;
    const bad = ["suspended", "gave_up"].includes(state);
    const hasChildren = actor.children.length > 0;
    const isSelected = selected === actor.path && selectedBase === base;
    const r = el("div", { class: "row" + (alert ? " alert" : "") + (bad ? " bad" : "") + (isSelected ? " selected" : "") },
      el("span", { class: "toggle" }, hasChildren ? (collapsed.has(key) ? "▸" : "▾") : ""),
      el("span", { class: "name" }, actor.name),
      el("span", { class: "class" }, actor.actor_class),
      el("span", { class: "badge state " + state }, state),
      mailbox(actor),
      el("span", { class: "depth num", title: "mailbox depth / capacity" }, `${actor.depth}/${actor.capacity}`),
      el("span", { class: "processed num", title: "processed" }, `✓ ${actor.processed}`),
      el("span", { class: "failed num" + (actor.failed ? " nonzero" : ""), title: "failed" }, `✗ ${actor.failed}`),
      el("span", { class: "restarts num", title: "restarts of this actor" }, `↻ ${actor.restarts}`),
      el("span", { class: "info" }, infoOf(actor)),
      actor.subscriptions.length ? el("span", { class: "subs", title: "bus subscriptions" }, "⇢ " + actor.subscriptions.join(", ")) : null);
    r.addEventListener("click", (event) => {
      if (event.target.classList.contains("toggle") && hasChildren) {
        if (collapsed.has(key)) collapsed.delete(key); else collapsed.add(key);
        render();
        return;
      }
      select(actor.path, base);
    });
    return r;
  }

  function node(actor, base) {
    const item = el("li", { class: "actor" + (collapsed.has(base + actor.path) ? " collapsed" : ""), "data-path": actor.path, "data-state": stateOf(actor) }, row(actor, base));
    const list = el("ul");
    for (const child of actor.children) list.append(node(child, base));
    const live = new Set(actor.children.map((child) => child.name));
    for (const spec of (actor.details && actor.details.children) || []) {
      if (!live.has(spec.name)) {
        list.append(el("li", { class: "ghost", "data-spec": spec.path },
          el("div", { class: "row" }, el("span", { class: "toggle" }), el("span", { class: "name" }, spec.name),
            el("span", { class: "badge state " + spec.state }, spec.state), el("span", { class: "info" }, spec.restart + ", not running"))));
      }
    }
    if (list.childNodes.length) item.append(list);
    return item;
  }

  function time(at) {
    const date = new Date(at * 1000);
    return el("time", { dateTime: date.toISOString() }, date.toLocaleTimeString());
  }

  function eventItem(event) {
    const what = event.kind === "failure" || event.kind === "dead_letter"
      ? `${event.message_type} (${event.reason})`
      : event.supervisor ? `by ${event.supervisor}${event.count > 1 ? ` ×${event.count}` : ""}` : "";
    return el("li", { "data-kind": event.kind },
      time(event.at), el("span", { class: "badge kind " + event.kind }, event.kind.replace("_", " ")),
      el("span", { class: "actor" }, event.actor || "–"), " ", what,
      event.error ? el("div", { class: "error" }, event.error) : null);
  }

  function fill(list, events) {
    list.replaceChildren(...events.slice().reverse().map(eventItem));
    if (!events.length) list.append(el("li", { class: "none" }, "none"));
  }

  function render() {
    if (!latest) return;
    const data = latest;
    document.title = `${data.system}: live view`;
    document.getElementById("system").textContent = data.system;
    const health = document.getElementById("health");
    health.textContent = data.health;
    health.className = "badge " + data.health;
    for (const key of ["live_actors", "processed", "failed", "restarts", "dead_letters"]) {
      document.getElementById("stat-" + key).textContent = data.statistics[key];
    }
    document.getElementById("tree").replaceChildren(...data.actors.map((actor) => node(actor, "")));
    document.getElementById("runtime").replaceChildren(...data.runtime.map((actor) => node(actor, "")));
    for (const [base, peer] of peers) renderPeer(base, peer);
    const reasons = Object.entries(data.statistics.dead_letters_by_reason).map(([reason, count]) => `${reason} ${count}`);
    document.getElementById("reasons").textContent = "Dead letters by reason: " + (reasons.join(", ") || "none");
    fill(document.getElementById("timeline"), data.events);
  }

  // Other nodes' live views (the peers this node was given), each in a column of its own.
  function connectPeers(addresses) {
    for (const base of addresses) {
      if (peers.has(base)) continue;
      const column = el("div", { class: "node peer closed", "data-node": base },
        el("h2", {}, el("span", { class: "peer-name" }, base), el("span", { class: "peer-connection" }, "connecting…")),
        el("ul", { class: "tree actors" }), el("h2", { class: "runtime" }, "Runtime"), el("ul", { class: "tree runtime" }));
      document.getElementById("nodes").append(column);
      const peer = { data: null, column, stream: new EventSource(withToken(base + "api/stream")) };
      peers.set(base, peer);
      peer.stream.addEventListener("error", () => {
        column.classList.add("closed");
        column.querySelector(".peer-connection").textContent = "disconnected, reconnecting…";
      });
      peer.stream.addEventListener("snapshot", (message) => {
        peer.data = JSON.parse(message.data);
        column.classList.remove("closed");
        column.querySelector(".peer-connection").textContent = "live";
        const now = performance.now();
        for (const root of peer.data.actors) noteTrouble(root, base, now);
        renderPeer(base, peer);
      });
    }
  }

  function renderPeer(base, peer) {
    const data = peer.data;
    if (!data) return;
    peer.column.querySelector(".peer-name").textContent = `${data.system} (${data.health}, ${data.statistics.live_actors} actors)`;
    peer.column.querySelector(".tree.actors").replaceChildren(...data.actors.map((actor) => node(actor, base)));
    peer.column.querySelector(".tree.runtime").replaceChildren(...data.runtime.map((actor) => node(actor, base)));
  }

  async function refreshPanel() {
    if (!selected || panelBusy) return;
    panelBusy = true;
    try {
      const response = await fetch(withToken(selectedBase + "api/actors" + selected.split("/").map(encodeURIComponent).join("/")));
      const panel = document.getElementById("panel");
      if (response.status === 404) {
        document.getElementById("panel-title").textContent = selected + " (not alive)";
        return;
      }
      if (!response.ok) return;
      const actor = await response.json();
      panel.hidden = false;
      panel.dataset.path = actor.path;
      document.getElementById("panel-title").textContent = (selectedBase ? selectedBase + " " : "") + actor.path;
      const stats = { class: actor.actor_class, state: stateOf(actor), incarnation: actor.incarnation, restarts: actor.restarts, ...actor.statistics };
      const info = infoOf(actor);
      if (info) stats.supervision = info;
      if (actor.subscriptions.length) stats.subscriptions = actor.subscriptions.join(", ");
      document.getElementById("panel-stats").replaceChildren(...Object.entries(stats).map(([key, value]) =>
        el("tr", { "data-stat": key }, el("td", {}, key.replaceAll("_", " ")), el("td", {}, value))));
      fill(document.getElementById("panel-failures"), actor.failures);
      fill(document.getElementById("panel-dead-letters"), actor.dead_letters);
      fill(document.getElementById("panel-restarts"), actor.restart_events);
      const actions = document.getElementById("panel-actions");
      actions.replaceChildren();
      if (latest && latest.actions && selectedBase === "") {
        for (const action of ["stop", "kill", "restart"]) {
          const button = el("button", { type: "button" }, action);
          button.addEventListener("click", () => act(actor.path, action));
          actions.append(button);
        }
      }
    } catch (error) {
      // The stream's error handler shows the lost connection; the next update retries.
    } finally {
      panelBusy = false;
    }
  }

  async function act(path, action) {
    if (!confirm(`${action} ${path}?`)) return;
    const response = await fetch(withToken("api/actors" + path + "/" + action), { method: "POST", headers: token ? { Authorization: "Bearer " + token } : {} });
    const body = await response.json();
    if (!response.ok) alert(`${action} ${path}: ${body.error}`);
  }

  function select(path, base) {
    selected = path;
    selectedBase = base;
    render();
    refreshPanel();
  }

  document.getElementById("panel-close").addEventListener("click", () => {
    selected = null;
    document.getElementById("panel").hidden = true;
    render();
  });

  function connection(state, text) {
    document.body.dataset.connection = state;
    document.getElementById("connection").textContent = text;
    document.getElementById("banner").hidden = state !== "closed";
  }

  setInterval(render, 2000); // lets highlights of past trouble fade on a quiet tree

  const stream = new EventSource(withToken("api/stream"));
  stream.addEventListener("open", () => connection("open", "live"));
  stream.addEventListener("error", () => connection("closed", "disconnected, reconnecting…"));
  stream.addEventListener("snapshot", (message) => {
    latest = JSON.parse(message.data);
    const now = performance.now();
    for (const root of latest.actors) noteTrouble(root, "", now);
    connectPeers(latest.peers || []);
    connection("open", "live, updated " + new Date(latest.taken_at * 1000).toLocaleTimeString());
    render();
    refreshPanel();
  });
})();
