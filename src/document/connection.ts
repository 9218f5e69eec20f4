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
  quire: { session: Session; presence: AwarenessEntry[] };
}

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
    const attachment = { quire: { session: this.session, presence: entries } };
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
