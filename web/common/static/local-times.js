// Times are served in UTC inside <time datetime>; this writes them in the reader's own time
// zone (pages whose Content-Security-Policy allows scripts from 'self' only, such as the bank's).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const node of document.querySelectorAll("time[datetime]")) {
    const moment = new Date(node.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) continue;
    node.textContent = new Intl.DateTimeFormat(undefined, { timeStyle: "short" }).format(moment);
    node.title = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" }).format(moment);
  }
});
