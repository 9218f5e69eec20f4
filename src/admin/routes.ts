// The admin routes (documents, webhooks) in one table: src/index.ts registers it, openapi.ts
// describes it, and test/admin/openapi.test.ts checks that every /v1 route registered is described
// and vice versa.
import type { RouterType } from "itty-router";
import type { Env } from "../env";
import { getJson, getUpdate, postUpdate } from "./content";
import { createDoc, deleteDoc, getDoc, listDocs, patchDoc } from "./documents";
import { getOpenApi } from "./openapi";
import { getConnections, postDisconnect, postRevoke } from "./sessions";
import { getDeliveries, getWebhooks, postWebhook, removeWebhook } from "./webhooks";

export type AdminRequest = Request & { params: Record<string, string> };
export type AdminHandler = (request: AdminRequest, env: Env, ctx: ExecutionContext) => Promise<Response> | Response;

export interface AdminRoute {
  method: "GET" | "PUT" | "PATCH" | "POST" | "DELETE";
  /** itty-router syntax: `:name` is a path parameter. */
  path: string;
  handler: AdminHandler;
}

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  { method: "GET", path: "/v1/openapi.json", handler: getOpenApi },
  { method: "GET", path: "/v1/docs", handler: listDocs },
  { method: "PUT", path: "/v1/docs/:docId", handler: createDoc },
  { method: "GET", path: "/v1/docs/:docId", handler: getDoc },
  { method: "PATCH", path: "/v1/docs/:docId", handler: patchDoc },
  { method: "DELETE", path: "/v1/docs/:docId", handler: deleteDoc },
  { method: "GET", path: "/v1/docs/:docId/update", handler: getUpdate },
  { method: "POST", path: "/v1/docs/:docId/update", handler: postUpdate },
  { method: "GET", path: "/v1/docs/:docId/json", handler: getJson },
  { method: "GET", path: "/v1/docs/:docId/connections", handler: getConnections },
  { method: "POST", path: "/v1/docs/:docId/disconnect", handler: postDisconnect },
  { method: "POST", path: "/v1/docs/:docId/revoke", handler: postRevoke },
  { method: "POST", path: "/v1/webhooks", handler: postWebhook },
  { method: "GET", path: "/v1/webhooks", handler: getWebhooks },
  { method: "DELETE", path: "/v1/webhooks/:webhookId", handler: removeWebhook },
  { method: "GET", path: "/v1/webhooks/:webhookId/deliveries", handler: getDeliveries },
];

export function registerAdminRoutes(router: RouterType<AdminRequest, [Env, ExecutionContext]>): void {
  for (const route of ADMIN_ROUTES) {
    const method = route.method.toLowerCase() as "get" | "put" | "patch" | "post" | "delete";
    router[method](route.path, route.handler);
  }
}
