// emarket pages: a little vanilla JS over the shop's JSON API. No build step, no inline
// script (the CSP forbids it); data comes in through data- attributes, text through
// textContent only, so nothing a user typed can become markup.
"use strict";

const FINAL = ["completed", "cancelled"];

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

function csrfToken(fallback) {
  // flask-jwt-extended's double submit: the readable CSRF cookie, echoed in a header.
  return cookie("csrf_access_token") || fallback || "";
}

function money(minor) {
  if (minor === null || minor === undefined) return "—";
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const units = Math.floor(abs / 100).toLocaleString("en-US");
  return `${sign}${units}.${String(abs % 100).padStart(2, "0")} ${document.body.dataset.currency}`;
}

async function api(method, url, body, csrf, extraHeaders) {
  const headers = { Accept: "application/json", "X-CSRF-TOKEN": csrfToken(csrf), ...(extraHeaders || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    // The access cookie expired: a page load renews it with the refresh cookie (or logs in).
    window.location.reload();
    throw new Error("unauthorized");
  }
  const data = await response.json().catch(() => ({}));
  return { status: response.status, data, retryAfter: Number(response.headers.get("Retry-After") || 1) };
}

function newKey() {
  // crypto.randomUUID exists only in secure contexts; random bytes do everywhere.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function setStatus(node, status) {
  node.textContent = status;
  node.className = `status status-${status}`;
}

function show(node, text, isError) {
  node.textContent = text;
  node.classList.toggle("hidden", !text);
  node.classList.toggle("error", Boolean(isError));
}

// --- the order page: live status, the payment countdown, Pay and Cancel, the timeline ------
function orderPage() {
  const root = document.getElementById("order");
  const $ = (id) => document.getElementById(id);
  const message = $("message");
  let order = null;
  let timer = null;

  function render(o) {
    order = o;
    setStatus($("status"), o.status);
    $("reason").textContent = o.reason || "";
    $("total").textContent = money(o.total);
    $("pay").textContent = `Pay ${money(o.total)}`;
    const payable = o.status === "awaiting_payment";
    $("pay").disabled = !payable;
    $("cancel").disabled = !payable;
    $("countdown").dataset.deadline = o.payment_deadline || "";
    $("deadline-line").classList.toggle("hidden", !(payable && o.payment_deadline));
    const items = $("items");
    items.replaceChildren(...o.items.map((item) => {
      const row = element("tr");
      const link = element("a", `#${item.product_id}`);
      link.href = `/products/${item.product_id}`;
      const cell = element("td");
      cell.append(link);
      row.append(cell, element("td", String(item.quantity)), element("td", money(item.price)));
      return row;
    }));
    $("events").replaceChildren(...o.events.map((event) => {
      const li = element("li");
      li.append(element("span", event.name, "event-name"), " ", element("time", event.at));
      if (event.detail) li.append(" ", element("span", event.detail, "muted"));
      return li;
    }));
  }

  function tick() {
    const deadline = $("countdown").dataset.deadline;
    if (!deadline) return;
    const left = Math.max(0, Math.floor((Date.parse(deadline) - Date.now()) / 1000));
    $("countdown").textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  }

  async function poll() {
    try {
      const { status, data } = await api("GET", root.dataset.api, undefined, root.dataset.csrf);
      if (status === 200) render(data);
    } catch (error) { /* the next poll tries again */ }
    const delay = order && FINAL.includes(order.status) ? 10000 : 1000;
    timer = setTimeout(poll, delay);
  }

  async function act(action, button) {
    button.disabled = true;
    show(message, action === "payment" ? "Paying…" : "Cancelling…");
    for (;;) {
      const { status, data, retryAfter } = await api("POST", `${root.dataset.api}/${action}`, {}, root.dataset.csrf);
      if (status === 503) {  // no answer in time: both actions are idempotent, so ask again
        await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
        continue;
      }
      if (status === 202) show(message, action === "payment" ? "Payment started." : "Order cancelled.");
      else if (status === 200) show(message, `The order is ${data.status}.`);
      else show(message, (data.error && data.error.message) || "That did not work.", true);
      break;
    }
    clearTimeout(timer);
    poll();
  }

  $("pay").addEventListener("click", () => act("payment", $("pay")));
  $("cancel").addEventListener("click", () => act("cancel", $("cancel")));
  setInterval(tick, 1000);
  tick();
  poll();
}

// --- the cabinet: one row per order, statuses updating without a reload --------------------
function cabinetPage() {
  const table = document.getElementById("cabinet");
  const rows = document.getElementById("cabinet-rows");

  function row(o) {
    const tr = element("tr");
    tr.dataset.orderId = o.id;
    const link = element("a");
    link.href = `/orders/${o.id}`;
    link.append(element("code", o.id));
    const idCell = element("td");
    idCell.append(link);
    const statusCell = element("td");
    const status = element("span", o.status, `status status-${o.status}`);
    status.dataset.field = "status";
    const reason = element("span", o.reason || "", "reason");
    reason.dataset.field = "reason";
    statusCell.append(status, " ", reason);
    const total = element("td", money(o.total));
    total.dataset.field = "total";
    const placed = element("td");
    placed.append(element("time", o.created_at));
    tr.append(idCell, statusCell, total, placed);
    return tr;
  }

  function update(orders) {
    for (const o of [...orders].reverse()) {
      let tr = rows.querySelector(`tr[data-order-id="${CSS.escape(o.id)}"]`);
      if (!tr) {
        if (table.dataset.live !== "yes") continue;
        tr = row(o);
        rows.prepend(tr);
      }
      setStatus(tr.querySelector('[data-field="status"]'), o.status);
      tr.querySelector('[data-field="reason"]').textContent = o.reason || "";
      tr.querySelector('[data-field="total"]').textContent = money(o.total);
    }
    document.getElementById("cabinet-empty").classList.toggle("hidden", rows.children.length > 0);
  }

  async function poll() {
    try {
      const { status, data } = await api("GET", table.dataset.api, undefined, table.dataset.csrf);
      if (status === 200) update(data.orders);
    } catch (error) { /* the next poll tries again */ }
    setTimeout(poll, 2000);
  }
  poll();
}

// --- the wallet: top-ups from the bank ------------------------------------------------------
function walletPage() {
  const section = document.getElementById("topups");
  if (!section) return;
  const body = document.getElementById("topup-rows");
  const message = document.getElementById("topup-message");
  const pending = ["initiated", "pending_confirmation", "captured"];

  async function load() {
    let again = false;
    try {
      const { status, data } = await api("GET", section.dataset.api, undefined, section.dataset.csrf);
      if (status === 200) {
        body.replaceChildren(...data.topups.map((t) => {
          const tr = element("tr");
          const link = element("td");
          if (t.confirm_url && t.status === "pending_confirmation") {
            const a = element("a", "Confirm at the bank");
            a.href = t.confirm_url;
            a.rel = "noopener";
            link.append(a);
          }
          const status = element("span");
          setStatus(status, t.status);
          const statusCell = element("td");
          statusCell.append(status);
          tr.append(element("td", t.id.slice(0, 8)), element("td", money(t.amount)), statusCell, link);
          return tr;
        }));
        again = data.topups.some((t) => pending.includes(t.status));
      }
    } catch (error) { again = true; }
    setTimeout(load, again ? 2000 : 10000);
  }

  const topupForm = document.getElementById("topup-form");
  topupForm.dataset.key = newKey();
  topupForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const amount = Math.round(Number(form.elements["amount"].value) * 100);
    const { status, data } = await api("POST", section.dataset.api,
      { amount, bank_account: form.elements["bank_account"].value.trim() }, form.elements["csrf_token"].value,
      { "Idempotency-Key": form.dataset.key });  // a double submit starts one top-up
    if (status === 202 || status === 201 || status === 200) {
      show(message, "Top-up started: confirm it at your bank when the link appears below.");
      form.reset();
      form.dataset.key = newKey();
    } else {
      show(message, (data.error && data.error.message) || "The top-up was refused.", true);
    }
  });
  load();
}

// --- the admin's product forms: JSON to the products API --------------------------------------
function adminPage() {
  for (const form of document.querySelectorAll("form.product-form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = form.querySelector(".error");
      const payload = {
        name: form.elements["name"].value,
        description: form.elements["description"].value,
        price: Number.parseInt(form.elements["price"].value, 10),
        count: Number.parseInt(form.elements["count"].value, 10),
      };
      const { status, data } = await api(form.dataset.method, form.dataset.url, payload, form.elements["csrf_token"].value);
      if (status === 200 || status === 201) window.location.reload();
      else show(error, (data.error && data.error.message) || "Not saved.", true);
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const pages = { order: orderPage, cabinet: cabinetPage, wallet: walletPage, admin: adminPage };
  const start = pages[document.body.dataset.page];
  if (start) start();
});
