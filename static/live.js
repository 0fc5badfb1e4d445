// The live protocol (docs/protocol.md) for browsers, mirroring app/client.py:
// hello with the stored token and last_seq, welcome/event changes applied to a view,
// the server-clock offset from every message, commands with random ids that are sent
// again under the same ids after a reconnect, and reconnecting by itself with back-off.

const FINAL_CODES = new Set(["not_authenticated", "forbidden", "no_such_workshop", "removed", "logged_out"]);
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5000; // browsers are many: back off further than the Python client

/** Random hex, for command and item ids (never derived from a name). */
export function randomId(prefix) {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Apply a welcome's or an event's changes to a view in place. */
export function applyChanges(view, changes) {
  for (const change of changes) {
    const section = view[change.section] ?? (view[change.section] = {});
    if (change.value === null) {
      delete section[change.key];
    } else {
      section[change.key] = change.value;
    }
  }
}

export class LiveConnection {
  /**
   * @param {string} workshop the workshop id
   * @param {string} token the participant token
   * @param {{onView: Function, onState: Function, onError: Function}} handlers
   */
  constructor(workshop, token, handlers) {
    this.workshop = workshop;
    this.token = token;
    this.handlers = handlers;
    this.view = {};
    this.seq = null;
    this.you = null;
    this.offsetMs = 0; // server clock minus local clock, from the latest message
    this.pending = new Map(); // command id -> {text, resolve}
    this.socket = null;
    this.delay = FIRST_DELAY_MS;
    this.stopped = false;
    this.welcomed = false; // welcomed at least once: later drops show "offline"
    this.live = false; // welcomed on the current socket
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/live`;
  }

  /** The server's time now, in milliseconds since the epoch. */
  serverNow() {
    return Date.now() + this.offsetMs;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop(state = "closed") {
    this.stopped = true;
    if (this.socket) this.socket.close(1000);
    this.handlers.onState(state);
  }

  connect() {
    this.handlers.onState(this.welcomed ? "offline" : "connecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.live = false;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({
        type: "hello", v: 1, workshop: this.workshop, token: this.token, last_seq: this.seq,
      }));
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.live = false;
      if (this.stopped) return;
      this.handlers.onState("offline");
      const wait = this.delay * (0.5 + Math.random()); // jitter: not everyone at once
      this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
      setTimeout(() => { if (!this.stopped) this.connect(); }, wait);
    });
  }

  receive(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (message.server_time) {
      this.offsetMs = Date.parse(message.server_time) - Date.now();
    }
    switch (message.type) {
      case "welcome":
        this.you = message.you;
        if (message.resumed) {
          applyChanges(this.view, message.changes);
        } else {
          this.view = message.view ?? {};
        }
        this.seq = message.seq;
        this.welcomed = true;
        this.live = true;
        this.delay = FIRST_DELAY_MS;
        this.handlers.onState("online");
        // commands that got no answer before the connection dropped go again, same ids
        for (const { text } of this.pending.values()) this.socket?.send(text);
        break;
      case "event":
        applyChanges(this.view, message.changes);
        this.seq = Math.max(this.seq ?? 0, message.seq);
        break;
      case "ack":
        this.seq = Math.max(this.seq ?? 0, message.last_seq);
        this.answer(message);
        break;
      case "error":
        if (message.ref === null && FINAL_CODES.has(message.code)) {
          this.stop("closed");
        }
        this.answer(message);
        break;
      case "heartbeat":
      case "pong":
        this.seq = Math.max(this.seq ?? 0, message.seq);
        break;
      case "bye":
        if (FINAL_CODES.has(message.code)) {
          this.handlers.onError(message);
          this.stop("closed");
        }
        break;
      default:
        break;
    }
    this.handlers.onView(this.view, message);
  }

  answer(message) {
    const entry = message.ref ? this.pending.get(message.ref) : undefined;
    if (entry) {
      this.pending.delete(message.ref);
      entry.resolve(message);
    }
    if (message.type === "error") this.handlers.onError(message);
  }

  /** Send a command; resolves with its ack or typed error (after reconnects, too). */
  command(body) {
    const id = randomId("c-");
    const text = JSON.stringify({ type: "command", id, command: body });
    return new Promise((resolve) => {
      this.pending.set(id, { text, resolve });
      if (this.live && this.socket?.readyState === WebSocket.OPEN) {
        this.socket.send(text);
      }
    });
  }
}
