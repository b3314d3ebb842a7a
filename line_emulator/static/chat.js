// Chat page of the LINE emulator: play a customer (or group member) talking to the bot.
"use strict";

(() => {
  const POLL_MS = 700;
  const $ = (id) => document.getElementById(id);
  const store = window.localStorage;
  // runAction is a hoisted declaration below; rendering needs it for buttons.
  const { el, actionButton, renderMessage } = window.createLineRender(runAction);
  const state = {
    users: [],
    userId: store.getItem("emu.userId") || "",
    groupMode: store.getItem("emu.groupMode") === "1",
    groupId: store.getItem("emu.groupId") || "",
    chatKey: "",
    since: 0,
    lastEntry: null,
    polling: false,
  };

  function hex(length) {
    const bytes = new Uint8Array(length / 2);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function setStatus(text, isError) {
    const node = $("status");
    node.textContent = text;
    node.classList.toggle("error", Boolean(isError));
  }

  async function api(method, path, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch("/_emulator" + path, options);
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    if (!response.ok && response.status !== 502) {
      throw new Error((data && (data.message || data.error)) || response.statusText);
    }
    return { status: response.status, data };
  }

  function currentUser() {
    return state.users.find((u) => u.userId === state.userId) || null;
  }

  function inGroup() {
    return state.groupMode && /^C[0-9a-f]{32}$/.test(state.groupId);
  }

  function chatId() {
    return inGroup() ? state.groupId : state.userId;
  }

  // ---- users and header -------------------------------------------------

  async function loadUsers() {
    state.users = (await api("GET", "/users")).data;
    if (state.users.length === 0) {
      const created = await api("POST", "/users",
        { displayName: "客人 1", language: "zh-TW", following: false });
      state.users = [created.data];
    }
    if (!currentUser()) selectUser(state.users[0].userId);
    const select = $("user-select");
    select.replaceChildren(...state.users.map((u) => {
      const option = el("option", "", `${u.displayName} (${u.following ? "friend" : "not friend"})`);
      option.value = u.userId;
      return option;
    }));
    select.value = state.userId;
    renderHeader();
  }

  function selectUser(userId) {
    state.userId = userId;
    store.setItem("emu.userId", userId);
  }

  function renderHeader() {
    const user = currentUser();
    $("user-id").textContent = user ? user.userId : "";
    $("chat-title").textContent = user ? user.displayName : "No user";
    const where = inGroup() ? `in group ${state.groupId.slice(0, 9)}…` : "one-on-one chat";
    const friend = user && user.following ? "friend" : "not a friend";
    $("chat-sub").textContent = user ? `${where} · ${friend} · ${user.language}` : "";
    $("follow-btn").disabled = !user || inGroup();
    $("block-btn").disabled = !user || inGroup();
    $("group-mode").checked = state.groupMode;
    $("group-id").value = state.groupId;
  }

  // ---- sending (each is a signed webhook to the bot) --------------------

  function reportWebhook(result, what) {
    if (result.status === 502) {
      setStatus(`${what}: ${result.data && result.data.error}`, true);
    } else {
      const code = result.data.status;
      setStatus(`${what} → bot answered HTTP ${code}`, code < 200 || code >= 300);
    }
  }

  async function send(kind, body, what) {
    try {
      reportWebhook(await api("POST", "/webhook/" + kind, body), what);
    } catch (err) {
      setStatus(`${what}: ${err.message}`, true);
    }
    await loadUsers();
    await poll();
  }

  function speaker() {
    const body = { userId: state.userId };
    if (inGroup()) body.groupId = state.groupId;
    return body;
  }

  function sendText(text) {
    if (!text) return Promise.resolve();
    return send("text", { ...speaker(), text }, "text message");
  }

  function sendPostback(data, displayText, params) {
    const body = { ...speaker(), data };
    if (displayText) body.displayText = displayText;
    if (params) body.params = params;
    return send("postback", body, "postback");
  }

  function runAction(action) {
    if (!action) return;
    $("quick-replies").replaceChildren();
    switch (action.type) {
      case "message":
        sendText(action.text);
        break;
      case "postback":
        sendPostback(action.data, action.displayText || action.text, null);
        break;
      case "uri":
        // LINE only opens these schemes; refusing others keeps bot data from running script here.
        if (/^(https?|tel|line):/i.test(action.uri || "")) window.open(action.uri, "_blank", "noopener");
        else setStatus(`refused to open ${action.uri}`, true);
        break;
      case "datetimepicker": {
        const hint = { date: "YYYY-MM-DD", time: "HH:mm", datetime: "YYYY-MM-DDTHH:mm" }[action.mode];
        const value = window.prompt(`${action.label || "Pick"} (${hint})`, action.initial || "");
        if (value) sendPostback(action.data, null, { [action.mode]: value });
        break;
      }
      case "clipboard":
        if (navigator.clipboard) navigator.clipboard.writeText(action.clipboardText || "");
        setStatus("copied to clipboard");
        break;
      default:
        setStatus(`action type "${action.type}" is not emulated`, true);
    }
  }

  // ---- timeline ---------------------------------------------------------

  const NOTES = {
    follow: (e) => (e.isUnblocked ? `${e.displayName} unblocked the bot` : `${e.displayName} added the bot as a friend`),
    unfollow: (e) => `${e.displayName} blocked the bot`,
    join: () => "The bot joined the group",
    leave: () => "The bot left the group",
    postback: (e) => `${e.displayName} tapped postback: ${e.postback && e.postback.data}`,
  };

  function clock(seconds) {
    return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function renderEntry(entry) {
    if (entry.via === "event") {
      const describe = NOTES[entry.event] || (() => entry.event);
      return el("div", "note", describe(entry));
    }
    const mine = entry.via === "user" && entry.userId === state.userId;
    const row = el("div", "entry" + (mine ? " mine" : ""));
    const col = el("div", "col");
    if (!mine) {
      const bot = entry.via !== "user";
      row.append(el("div", bot ? "avatar" : "avatar person", bot ? "Bot" : (entry.displayName || "?").slice(0, 2)));
      if (!bot) col.append(el("div", "who", entry.displayName));
    }
    col.append(renderMessage(entry.message || {}));
    if (entry.via !== "user") col.append(el("div", "via", entry.via));
    const time = el("div", "time", clock(entry.at));
    if (mine) row.append(time, col); else row.append(col, time);
    return row;
  }

  function renderQuickReplies() {
    const bar = $("quick-replies");
    bar.replaceChildren();
    const last = state.lastEntry;
    if (!last || last.via === "user" || last.via === "event" || !last.message) return;
    const quick = last.message.quickReply;
    if (!quick || !Array.isArray(quick.items)) return;
    quick.items.forEach((item) => bar.append(actionButton(item.action, "")));
  }

  function resetTimeline() {
    state.chatKey = chatId();
    state.since = 0;
    state.lastEntry = null;
    $("timeline").dataset.chat = state.chatKey;
    $("timeline").replaceChildren();
    $("quick-replies").replaceChildren();
  }

  // Clear another chat's timeline at once: a poll still in flight would leave it up until the next one.
  function showChat() {
    if (chatId() !== state.chatKey) resetTimeline();
    poll();
  }

  async function poll() {
    const id = chatId();
    if (!id || state.polling) return;
    if (id !== state.chatKey) resetTimeline();
    state.polling = true;
    try {
      const params = new URLSearchParams({ chatId: id, since: String(state.since) });
      const { data } = await api("GET", "/conversation?" + params);
      if (id !== chatId()) return;
      const timeline = $("timeline");
      const atBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 40;
      for (const entry of data.entries) {
        if (entry.seq <= state.since) continue;
        state.since = entry.seq;
        state.lastEntry = entry;
        timeline.append(renderEntry(entry));
      }
      if (data.entries.length) {
        renderQuickReplies();
        if (atBottom || data.entries.some((e) => e.via === "user")) timeline.scrollTop = timeline.scrollHeight;
      }
      $("loading").hidden = !(data.loadingUntil && data.loadingUntil * 1000 > Date.now());
    } catch (err) {
      setStatus("polling failed: " + err.message, true);
    } finally {
      state.polling = false;
    }
  }

  // ---- wiring -----------------------------------------------------------

  function bind() {
    $("user-select").addEventListener("change", (e) => {
      selectUser(e.target.value);
      renderHeader();
      showChat();
    });
    $("new-user-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const name = $("new-user-name").value.trim();
      if (!name) return;
      const created = await api("POST", "/users",
        { displayName: name, language: $("new-user-lang").value, following: false });
      selectUser(created.data.userId);
      $("new-user-name").value = "";
      await loadUsers();
      showChat();
    });
    $("composer").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = $("text");
      const text = input.value;
      input.value = "";
      sendText(text);
    });
    $("follow-btn").addEventListener("click", () => send("follow", { userId: state.userId }, "follow"));
    $("block-btn").addEventListener("click", () => send("unfollow", { userId: state.userId }, "unfollow"));
    $("group-mode").addEventListener("change", (e) => {
      state.groupMode = e.target.checked;
      store.setItem("emu.groupMode", state.groupMode ? "1" : "0");
      renderHeader();
      showChat();
    });
    $("group-id").addEventListener("change", (e) => {
      state.groupId = e.target.value.trim();
      store.setItem("emu.groupId", state.groupId);
      renderHeader();
      showChat();
    });
    $("new-group").addEventListener("click", () => {
      state.groupId = "C" + hex(32);
      state.groupMode = true;
      store.setItem("emu.groupId", state.groupId);
      store.setItem("emu.groupMode", "1");
      renderHeader();
      showChat();
    });
    $("join-group").addEventListener("click", () => {
      if (inGroup()) send("join", { groupId: state.groupId }, "join");
      else setStatus("enter a group ID (C + 32 hex) and tick the group box first", true);
    });
    $("leave-group").addEventListener("click", () => {
      if (inGroup()) send("leave", { groupId: state.groupId }, "leave");
      else setStatus("enter a group ID (C + 32 hex) and tick the group box first", true);
    });
  }

  async function start() {
    bind();
    try {
      await loadUsers();
    } catch (err) {
      setStatus("could not load users: " + err.message, true);
    }
    await poll();
    window.setInterval(poll, POLL_MS);
  }

  start();
})();
