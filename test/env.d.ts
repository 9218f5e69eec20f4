// Types for `cloudflare:workers`' env and exports inside the workers test project.
import type { Env as QuireEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends QuireEnv {}
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "DocumentObject";
    }
  }
}
