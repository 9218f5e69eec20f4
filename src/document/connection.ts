// One client connection as the room sees it: a socket plus the session and presence it carries.
// On the platform both live in the WebSocket attachment, so they survive hibernation.
import type { Access } from "../auth/tokens";
import type { AwarenessEntry } from "../protocol/awareness";

export interface Session {
  /** Random id of this connection, for the admin API. */
  id: string;
  userId: string;
  access: Access;
  connectedAt: number;
  /** The client asked for the ack extension (`?ext=ack`). */
  ack: boolean;
  /** When the token was issued (seconds, its `iat`), or null if it does not say: revocation compares it. */
  issuedAt: number | null;
}

export interface Connection {
  readonly session: Session;
  /** The awareness entries this client owns, with their latest states. */
  readonly presence: readonly AwarenessEntry[];
  setPresence(entries: AwarenessEntry[]): void;
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
}

interface Attachment {
  /** `seenAt`: when a message last came, to SEEN_PRECISION_MS; absent until the first one. */
  quire: { session: Session; presence: AwarenessEntry[]; seenAt?: number };
}

/** How stale the stored last-message time may get: it is written at most this often per connection. */
const SEEN_PRECISION_MS = 10_000;

/** A Connection over a hibernatable WebSocket. */
export class SocketConnection implements Connection {
  private attachment: Attachment;

  constructor(
    private readonly ws: WebSocket,
    /** Called once the server closes the socket, so nothing more is sent to it. */
    private readonly onClose: () => void,
  ) {
    this.attachment = ws.deserializeAttachment() as Attachment;
  }

  static accept(ws: WebSocket, session: Session, onClose: () => void): SocketConnection {
    ws.serializeAttachment({ quire: { session, presence: [] } } satisfies Attachment);
    return new SocketConnection(ws, onClose);
  }

  get session(): Session {
    return this.attachment.quire.session;
  }

  get presence(): readonly AwarenessEntry[] {
    return this.attachment.quire.presence;
  }

  /** Stores the presence in the attachment; the room keeps it under MAX_PRESENCE_BYTES, so it fits the 16 KiB. */
  setPresence(entries: AwarenessEntry[]): void {
    this.store({ ...this.attachment.quire, presence: entries });
  }

  /** When a message last came from the client (as stored, so it survives hibernation), or null. */
  get seenAt(): number | null {
    return this.attachment.quire.seenAt ?? null;
  }

  /** A message came: remembered in the attachment, at most once per SEEN_PRECISION_MS. */
  noteSeen(now = Date.now()): void {
    if (now - (this.attachment.quire.seenAt ?? 0) < SEEN_PRECISION_MS) return;
    this.store({ ...this.attachment.quire, seenAt: now });
  }

  private store(quire: Attachment["quire"]): void {
    const attachment = { quire };
    this.ws.serializeAttachment(attachment);
    this.attachment = attachment;
  }

  send(frame: Uint8Array): void {
    try {
      this.ws.send(frame);
    } catch {
      // The socket closed under us; its close event cleans up.
    }
  }

  close(code: number, reason: string): void {
    this.onClose();
    try {
      this.ws.close(code, reason);
    } catch {
      // Already closed.
    }
  }
}
