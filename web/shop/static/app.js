// emarket pages: a little vanilla JS over server-rendered pages. No build step, no inline
// script (the CSP forbids it); data comes in through data- attributes, text through
// textContent only, and the live parts are HTML fragments our own server rendered (the
// templates escape whatever a user typed), so nothing a user typed can become markup.
"use strict";

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

function csrfToken(fallback) {
  // flask-jwt-extended's double submit: the readable CSRF cookie, echoed in a header.
  return cookie("csrf_access_token") || fallback || "";
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

function show(node, text, isError) {
  node.textContent = text;
  node.classList.toggle("hidden", !text);
  node.classList.toggle("error", Boolean(isError));
}

// --- times: served in UTC, shown in the browser's own time zone ------------------------------
const TIME_STYLES = {
  datetime: { dateStyle: "medium", timeStyle: "short" },
  time: { timeStyle: "medium" },
  clock: { timeStyle: "short" },
};

function localTimes(root) {
  for (const node of root.querySelectorAll("time[datetime]")) {
    const moment = new Date(node.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) continue;
    const style = TIME_STYLES[node.dataset.style] || TIME_STYLES.datetime;
    node.textContent = new Intl.DateTimeFormat(undefined, style).format(moment);
    node.title = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" }).format(moment);
  }
}

// --- live fragments: [data-live] elements fetch their own HTML again while it can change -----
function live(element) {
  const offline = document.getElementById("offline");
  let last = null;
  let timer = null;

  async function refresh() {
    clearTimeout(timer);
    let final = false;
    try {
      const response = await fetch(element.dataset.live, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.redirected || response.status === 401) {
        window.location.reload();  // the session ended: a page load logs in again
        return;
      }
      if (!response.ok) throw new Error(`status ${response.status}`);
      const html = await response.text();
      offline.classList.add("hidden");
      if (html !== last) {
        const before = element.querySelector(".live-root");
        // Keyboard users keep their place: focus returns to the same control, or near it.
        const hadFocus = element.contains(document.activeElement) ? document.activeElement.id || "-" : "";
        last = html;
        element.innerHTML = html;
        localTimes(element);
        if (hadFocus) {
          element.tabIndex = -1;
          (document.getElementById(hadFocus) || element).focus();
        }
        const after = element.querySelector(".live-root");
        element.dispatchEvent(new CustomEvent("live:update", {
          detail: { before: before && before.dataset.status, after: after && after.dataset.status },
        }));
      }
      const root = element.querySelector(".live-root");
      final = Boolean(root && root.dataset.final === "yes");
    } catch (error) {
      offline.classList.remove("hidden");  // the next poll tries again
    }
    const pace = Number(element.dataset.interval || 1500);
    timer = setTimeout(refresh, final ? Math.max(pace, 10000) : pace);
  }

  element.refresh = refresh;
  timer = setTimeout(refresh, Number(element.dataset.interval || 1500));
}

// --- the order page: the payment countdown, Pay and Cancel -----------------------------------
function orderPage() {
  const root = document.getElementById("order");
  const livepart = document.getElementById("order-live");
  const message = document.getElementById("message");

  function tick() {
    const countdown = document.getElementById("countdown");
    if (!countdown || !countdown.dataset.deadline) return;
    const left = Math.max(0, Math.floor((Date.parse(countdown.dataset.deadline) - Date.now()) / 1000));
    countdown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
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
      if (status === 202) show(message, action === "payment" ? "Payment started: your wallet is being charged." : "Order cancelled.");
      else if (status === 200) show(message, "This order had already moved on: see its status above.");
      else show(message, (data.error && data.error.message) || "That did not work.", true);
      break;
    }
    livepart.refresh();
  }

  // Cancel asks first, in the page (a dialog box would block the live updates): the question
  // and its two answers appear beside the button, and the keyboard lands on "Yes".
  function askToCancel(button) {
    const ask = document.getElementById("cancel-ask");
    ask.classList.remove("hidden");
    button.setAttribute("aria-expanded", "true");
    document.getElementById("cancel-yes").focus();
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.id === "pay") act("payment", button);
    if (button.id === "cancel") askToCancel(button);
    if (button.id === "cancel-yes") act("cancel", button);
    if (button.id === "cancel-no") {
      document.getElementById("cancel-ask").classList.add("hidden");
      document.getElementById("cancel").setAttribute("aria-expanded", "false");
      document.getElementById("cancel").focus();
    }
  });
  // A message about Pay or Cancel is news only until the order's status moves on; the new
  // status is then said in the announcer, a live region that is never replaced itself.
  const announcer = document.getElementById("status-announcer");
  livepart.addEventListener("live:update", (event) => {
    if (event.detail.before !== event.detail.after) {
      show(message, "");
      const status = document.getElementById("status");
      if (status && announcer) announcer.textContent = `Order status: ${status.textContent.trim()}`;
    }
    tick();
  });
  setInterval(tick, 1000);
  tick();
}

// --- field errors: a message next to each field, from the browser's checks or the API's -------
function fieldErrors(form) {
  const slots = form.querySelectorAll(".field-error[data-for], .error[data-for]");
  function clear() {
    for (const slot of slots) show(slot, "");
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  }
  function put(field, text) {
    const slot = form.querySelector(`[data-for="${field}"]`) || form.querySelector('[data-for="form"]');
    show(slot, text, slot.classList.contains("error"));
    const input = form.elements[field];
    if (input) input.setAttribute("aria-invalid", "true");
  }
  function checkLocally() {
    let ok = true;
    for (const input of form.querySelectorAll("input:not([type=hidden]), textarea")) {
      if (!input.checkValidity()) {
        put(input.name, input.validationMessage);
        if (ok) input.focus();
        ok = false;
      }
    }
    return ok;
  }
  function fromApi(data, fallbackField) {
    const text = (data.error && data.error.message) || "Not saved.";
    let placed = false;
    for (const part of text.split("; ")) {  // "price: Input should be …; count: …"
      const [field, ...rest] = part.split(": ");
      if (rest.length && form.elements[field]) { put(field, rest.join(": ")); placed = true; }
    }
    if (!placed) put(fallbackField || "form", text);
  }
  return { clear, put, checkLocally, fromApi };
}

// --- the wallet: top-ups from the bank, their progress shown live ----------------------------
function walletPage() {
  const section = document.getElementById("topups");
  if (!section) return;
  const message = document.getElementById("topup-message");
  const livepart = document.getElementById("wallet-live");
  const announcer = document.getElementById("status-announcer");
  let lastTopup = "";
  // The newest top-up's status, said once when it changes; "confirm it at your bank" stands only
  // while the top-up still waits for that.
  livepart.addEventListener("live:update", () => {
    const newest = livepart.querySelector("#topup-rows li");
    if (!newest) return;
    const now = `${newest.dataset.topupId} ${newest.dataset.status}`;
    if (now !== lastTopup && lastTopup) {
      announcer.textContent = `Top-up ${newest.querySelector(".topup-amount").textContent}: ${newest.querySelector(".status").textContent}`;
    }
    lastTopup = now;
    if (!["initiated", "pending_confirmation"].includes(newest.dataset.status)) show(message, "");
  });
  const form = document.getElementById("topup-form");
  const errors = fieldErrors(form);
  form.dataset.key = newKey();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    show(message, "");
    if (!errors.checkLocally()) return;
    const amount = Math.round(Number(form.elements["amount"].value) * 100);
    const { status, data } = await api("POST", section.dataset.api,
      { amount, bank_account: form.elements["bank_account"].value.trim() }, form.elements["csrf_token"].value,
      { "Idempotency-Key": form.dataset.key });  // a double submit starts one top-up
    if (status === 202 || status === 201 || status === 200) {
      show(message, "Top-up started: confirm it at your bank when the link appears above.");
      form.reset();
      form.dataset.key = newKey();
      document.getElementById("wallet-live").refresh();
    } else if (status === 404) {
      errors.put("bank_account", "Your bank knows no such account.");
    } else {
      errors.fromApi(data, "amount");
    }
  });
}

// --- the admin's product forms: JSON to the products API, price typed in currency units -------
function adminPage() {
  for (const form of document.querySelectorAll("form.product-form")) {
    const errors = fieldErrors(form);
    const saved = form.querySelector(".saved");
    function showState(data) {
      form.querySelector('[data-field="reserved"]').textContent = String(data.reserved);
      form.querySelector('[data-field="available"]').textContent = String(data.available);
      form.querySelector('[data-field="shown"]').textContent = data.hidden ? "No: hidden" : "Yes";
      form.elements["count"].min = String(data.reserved);
      form.elements["name"].value = data.name;  // as stored: trimmed
      const toggle = form.querySelector("button.visibility");
      toggle.dataset.hidden = data.hidden ? "yes" : "no";
      toggle.textContent = data.hidden ? "Show in the catalogue" : "Hide from the catalogue";
      form.classList.toggle("is-hidden", Boolean(data.hidden));
    }
    async function send(payload, done) {
      errors.clear();
      if (saved) show(saved, "");  // an earlier "Saved." must not stand beside a new failure
      const { status, data } = await api(form.dataset.method, form.dataset.url, payload, form.elements["csrf_token"].value);
      if (status === 201) window.location.assign(`${window.location.pathname}?created=${data.id}#product-${data.id}`);
      else if (status === 200) { showState(data); show(saved, done(data)); }
      else errors.fromApi(data, status === 409 ? "count" : "form");
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      errors.clear();
      if (saved) show(saved, "");
      if (!errors.checkLocally()) return;
      send({
        name: form.elements["name"].value,
        description: form.elements["description"].value,
        price: Math.round(Number(form.elements["price"].value) * 100),
        count: Number.parseInt(form.elements["count"].value, 10),
      }, () => "Saved.");
    });
    const toggle = form.querySelector("button.visibility");
    if (toggle) toggle.addEventListener("click", () => send({ hidden: toggle.dataset.hidden !== "yes" },
      (data) => (data.hidden ? "Hidden: shoppers no longer see it; orders that hold it are kept." : "Shown in the catalogue again.")));
  }
}

// --- the cart: one order per checkout, however often "Place order" is pressed -----------------
function cartPage() {
  const form = document.getElementById("cart-form");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    if (!event.submitter || event.submitter.id !== "place-order") return;
    if (form.dataset.sent) { event.preventDefault(); return; }  // the server's key is the backstop
    form.dataset.sent = "yes";
    event.submitter.setAttribute("aria-busy", "true");
    event.submitter.textContent = "Placing your order…";
  });
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes(document);
  // Back from "Add to cart" (…#add-<id>): the keyboard stays at the button that was pressed.
  const added = window.location.hash.startsWith("#add-") && document.getElementById(window.location.hash.slice(1));
  if (added) added.focus();
  for (const element of document.querySelectorAll("[data-live]")) live(element);
  const pages = { order: orderPage, wallet: walletPage, admin: adminPage, cart: cartPage };
  const start = pages[document.body.dataset.page];
  if (start) start();
});
