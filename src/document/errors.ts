// The ways handling one message or admin call can end other than normally.

/** A decision to close one connection, carried as an exception out of message handling. */
export class CloseConnection extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** An update handed to the server directly (admin API, restore) was refused; `status` is the HTTP answer. */
export class UpdateRejected extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly code: "invalid_update" | "document_too_large",
    message: string,
  ) {
    super(message);
  }
}

/** The document could not be loaded (its snapshot store failed); nothing about it is known to be wrong. */
export class DocumentUnavailable extends Error {
  constructor(cause: unknown) {
    super("the document could not be loaded", { cause });
  }
}
