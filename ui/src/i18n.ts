// Every word a person reads comes from the one catalogue the engine uses too (crates/opnc-core/locales/*.ftl,
// Project Fluent), bundled here as it is: the wizard's own words under `ui-…`, the engine's under the codes it
// sends (findings, checks, phases, severities, servers) or as `Said` texts with their values. Nothing here ever
// looks at English text to decide anything.
import { FluentBundle, FluentResource, type FluentVariable } from "@fluent/bundle";
import enSource from "../../crates/opnc-core/locales/en.ftl?raw";
import deSource from "../../crates/opnc-core/locales/de.ftl?raw";
import type { Said, SaidArg } from "./bindings";

export type Language = "en" | "de";

function bundle(language: Language, source: string): FluentBundle {
  // Placeholders go into sentences as they are, as the engine's own rendering does (no isolation marks).
  const b = new FluentBundle(language, { useIsolating: false });
  b.addResource(new FluentResource(source));
  return b;
}

// Parsed when first needed: a window that never switches holds one language's messages, not both.
const parsed: Partial<Record<Language, FluentBundle>> = {};
const bundles = {
  get(l: Language): FluentBundle {
    return (parsed[l] ??= bundle(l, l === "de" ? deSource : enSource));
  },
};

/** The system's language, as the desktop starts in it. */
export function systemLanguage(languages: readonly string[] = navigator.languages ?? [navigator.language]): Language {
  return languages.some((l) => l.toLowerCase().startsWith("de")) && !languages[0]?.toLowerCase().startsWith("en")
    ? "de"
    : "en";
}

let language: Language = systemLanguage();

export function setLanguage(l: Language): void {
  language = l;
  document.documentElement.lang = l;
}

export function currentLanguage(): Language {
  return language;
}

/** Whether the catalogue has a text for `key`. */
export function has(key: string, l: Language = language): boolean {
  return bundles.get(l).hasMessage(key);
}

/** The text for a catalogue key with its values; the key itself where the catalogue has none. */
export function said(key: string, args: Record<string, FluentVariable> = {}, l: Language = language): string {
  const b = bundles.get(l);
  const message = b.getMessage(key);
  if (!message?.value) return key;
  return b.formatPattern(message.value, args);
}

/** A text the engine sent by its key, with nested texts (a server's name) said in the same language. */
export function sayText(text: Said, l: Language = language): string {
  const args: Record<string, FluentVariable> = {};
  for (const [name, value] of Object.entries(text.args ?? {})) {
    args[name] = sayArg(value as SaidArg, l);
  }
  return said(text.key, args, l);
}

function sayArg(value: SaidArg, l: Language): FluentVariable {
  if (typeof value !== "string") return sayText(value, l);
  // Counts stay numbers, so that plural rules apply (as in the engine).
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/** The wizard's own words: `ui-<key>`, with `n` and named values. */
export function t(key: string, n?: number, words: Record<string, string> = {}): string {
  const args: Record<string, FluentVariable> = { ...words };
  if (n !== undefined) args.n = n;
  return said(`ui-${key}`, args);
}
