// The demo user's name and cursor color, kept in localStorage; `?name=` overrides the name.

export interface DemoUser {
  name: string;
  color: string;
}

const KEY = "quire-demo-user";
const COLORS = ["#e8590c", "#1c7ed6", "#2b8a3e", "#ae3ec9", "#c2255c", "#0c8599", "#5f3dc4", "#d9480f"];
const ANIMALS = ["Otter", "Heron", "Lynx", "Marten", "Ibex", "Puffin", "Gecko", "Tapir"];

const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];

export function loadUser(): DemoUser {
  let user: DemoUser | null = null;
  try {
    user = JSON.parse(localStorage.getItem(KEY) ?? "null") as DemoUser | null;
  } catch {
    user = null;
  }
  user ??= { name: `${pick(ANIMALS)} ${Math.floor(Math.random() * 90) + 10}`, color: pick(COLORS) };
  const named = new URL(location.href).searchParams.get("name");
  if (named) user.name = named.slice(0, 32);
  saveUser(user);
  return user;
}

export function saveUser(user: DemoUser): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(user));
  } catch {
    // Storage may be disabled; the name then lasts for this page only.
  }
}
