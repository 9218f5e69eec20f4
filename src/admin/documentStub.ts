// The document object's admin methods as the Worker calls them over RPC.
import type { DocumentObject } from "../document/DocumentObject";
import type { Env } from "../env";

type AdminMethod = Extract<keyof DocumentObject, `admin${string}`>;

/**
 * Typed from the class itself. The platform's generic RPC stub type maps every argument and result
 * through its serializability checks, which recursive JSON types (metadata) send too deep; the
 * values themselves are plain data and cross RPC unchanged.
 */
export type DocumentAdminStub = {
  [K in AdminMethod]: (...args: Parameters<DocumentObject[K]>) => Promise<Awaited<ReturnType<DocumentObject[K]>>>;
};

export const documentStub = (env: Env, docId: string) => env.DOCUMENTS.getByName(docId) as unknown as DocumentAdminStub;
